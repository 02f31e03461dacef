/**
 * `skiffctl get pods` against `kubectl get pods` on the same cluster: wall time of whole
 * process runs (20 each, interleaved), both with a warm discovery cache.
 */
import { join } from 'node:path';
import { ControlPlane, REPO, run } from '../lib/control-plane';
import { percentile, printPairs, timeIt } from './stats';

const RUNS = Number(process.env.SKIFF_BENCH_CTL_RUNS ?? 20);
const PODS = Number(process.env.SKIFF_BENCH_CTL_PODS ?? 20);

export async function benchCtl(): Promise<void> {
  const cp = await ControlPlane.start();
  try {
    const docs: string[] = [];
    for (let i = 0; i < PODS; i++) {
      docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: bench-${i}, labels: {app: bench}}\nspec:\n  containers: [{name: c, image: skiff/busybox:latest}]\n`);
    }
    await cp.k(['create', '-f', '-'], { input: docs.join('---\n') });
    const cache = join(cp.dir, 'bench-cache');
    const skiffctl = join(REPO, 'packages/ctl/dist/main.js');
    const kubectl = (): Promise<unknown> => run('kubectl', ['--kubeconfig', cp.kubeconfig, '--cache-dir', cache, 'get', 'pods']);
    const ours = (): Promise<unknown> => run(process.execPath, [skiffctl, '--kubeconfig', cp.kubeconfig, '--cache-dir', cache, 'get', 'pods']);
    // warm both discovery caches (and the OS page cache)
    for (let i = 0; i < 2; i++) { await kubectl(); await ours(); }
    // the floor: Node starting and exiting (NODE_EXTRA_CA_CERTS, when set, makes Node 20 load a trust store at start)
    const bare = (): Promise<unknown> => run(process.execPath, ['-e', '0']);
    const k: number[] = [];
    const s: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      k.push(await timeIt(kubectl));
      s.push(await timeIt(ours));
      b.push(await timeIt(bare));
    }
    printPairs(`get pods (${PODS} pods, ${RUNS} runs each, warm discovery cache; "raw" = kubectl 1.32)`, [
      { name: 'get pods p50', ours: percentile(s, 50), raw: percentile(k, 50), goal: 1.5 },
      { name: 'get pods p90', ours: percentile(s, 90), raw: percentile(k, 90) },
      { name: 'node -e 0 p50 (Node alone)', ours: percentile(b, 50), raw: percentile(k, 50) },
    ]);
  } finally {
    await cp.stop();
  }
}
