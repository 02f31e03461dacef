/**
 * End to end: the one-machine lab with real processes. `skiff-lab up --nodes 3`
 * (3 etcd members, a master, 3 worker namespaces each with its own dockerd and
 * skiff-agent), kubectl sees 3 Ready nodes with lab addresses, a pod on
 * worker-1 reaches a pod on worker-3 by IP (host-gw routes), worker-2 survives
 * `node kill` + `node start`, the lab's memory is measured, and `down` leaves
 * no namespace, interface, rule or process behind.
 *
 * Needs root, iproute2, iptables, etcd, dockerd and the host Docker engine (for
 * the test images). Skipped with SKIFF_SKIP_LAB=1, when not root, or when a lab
 * (namespaces skiff-lab-*, bridge skiff-lab0) already exists on this machine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..', '..');
const LAB_MAIN = join(REPO, 'packages/lab/dist/main.js');

interface Result { code: number; stdout: string; stderr: string }

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Result> {
  return new Promise((res) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : 1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function labExists(): boolean {
  return existsSync('/sys/class/net/skiff-lab0') || (existsSync('/run/netns') && readdirSync('/run/netns').some((n) => n.startsWith('skiff-lab-')));
}

const notRoot = process.getuid?.() !== 0;
const skip = process.env.SKIFF_SKIP_LAB === '1' ? 'SKIFF_SKIP_LAB=1'
  : notRoot ? 'needs root'
  : labExists() ? 'a lab is already running on this machine (skiff-lab down first)'
  : !existsSync(LAB_MAIN) ? 'packages/lab is not built'
  : false;

describe('skiff-lab: a 3-node lab on one machine', { skip }, () => {
  const home = mkdtempSync(join(tmpdir(), 'skiff-lab-e2e-'));
  const env = { ...process.env, SKIFF_LAB_HOME: home };
  const kubeconfig = join(home, 'kubeconfig');
  let upDone = false;
  let downDone = false;

  const lab = (args: string[], timeoutMs = 180_000): Promise<Result> => sh(process.execPath, [LAB_MAIN, ...args], { env, timeoutMs });
  const kubectl = (args: string[], input?: string): Promise<Result> =>
    sh('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'kube-cache'), ...args], input !== undefined ? { input } : {});
  const k = async (args: string[], input?: string): Promise<string> => {
    const r = await kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const nodeSock = (node: string): string => `unix://${join(home, 'nodes', node, 'docker.sock')}`;
  const podPhase = async (name: string): Promise<string> => (await kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout.trim();
  const pod = (name: string, node: string, container: Record<string, unknown>, restartPolicy = 'Always'): string => JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { nodeName: node, restartPolicy, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', imagePullPolicy: 'IfNotPresent', ...container }] },
  });

  before(() => {
    process.stderr.write(`lab state dir: ${home}\n`);
  });

  after(async () => {
    if (upDone && !downDone) {
      const r = await lab(['down']);
      if (r.code !== 0) process.stderr.write(`skiff-lab down (cleanup) failed: ${r.stderr}\n`);
    }
    if (!process.env.SKIFF_KEEP_LAB_HOME) rmSync(home, { recursive: true, force: true });
  });

  test('up --nodes 3 comes up in under 90 s', async () => {
    const t0 = Date.now();
    const r = await lab(['up', '--nodes', '3', '--no-merge-kubeconfig', '--json']);
    const seconds = (Date.now() - t0) / 1000;
    upDone = true;
    assert.equal(r.code, 0, `skiff-lab up failed:\n${r.stderr}`);
    process.stderr.write(`${r.stderr}lab bring-up: ${seconds.toFixed(1)} s (wall clock, including the CLI start)\n`);
    const out = JSON.parse(r.stdout) as { elapsedMs: number; kubeconfig: string; workers: string[] };
    assert.deepEqual(out.workers, ['worker-1', 'worker-2', 'worker-3']);
    assert.equal(out.kubeconfig, kubeconfig);
    assert.ok(seconds < 90, `bring-up took ${seconds.toFixed(1)} s`);
    assert.match(r.stderr, /etcd: 3\/3 members healthy/);
    assert.match(r.stderr, /nodes Ready: 3\/3/);
  });

  test('up again is idempotent: nothing restarted', async () => {
    const before = JSON.parse((await lab(['status', '--json'])).stdout) as { members: { name: string; processes: { pid?: number }[] }[] };
    const r = await lab(['up', '--nodes', '3', '--no-merge-kubeconfig', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /already running/);
    const afterUp = JSON.parse((await lab(['status', '--json'])).stdout) as typeof before;
    assert.deepEqual(afterUp.members.map((m) => m.processes.map((p) => p.pid)), before.members.map((m) => m.processes.map((p) => p.pid)));
  });

  test('kubectl get nodes -o wide: 3 Ready nodes with lab addresses and docker versions', async () => {
    const out = await k(['get', 'nodes', '-o', 'wide', '--no-headers']);
    process.stderr.write(`${out}`);
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.equal(rows.length, 3, out);
    for (const [i, row] of rows.entries()) {
      assert.equal(row[0], `worker-${i + 1}`);
      assert.equal(row[1], 'Ready');
      assert.equal(row[5], `10.250.0.${101 + i}`, `INTERNAL-IP of ${row[0]}`);
      assert.match(row[row.length - 1]!, /^docker:\/\/\d+\.\d+/);
    }
  });

  test('a pod on worker-1 reaches a pod on worker-3 by IP', async () => {
    await k(['apply', '-f', '-'], pod('web-3', 'worker-3', { image: 'skiff/web:latest' }));
    const ip = await waitFor('web-3 Running with an IP', async () => {
      const r = await kubectl(['get', 'pod', 'web-3', '-o', 'jsonpath={.status.phase} {.status.podIP}']);
      const [phase, podIP] = r.stdout.trim().split(' ');
      return phase === 'Running' && podIP ? podIP : undefined;
    }, 60_000);
    assert.match(ip, /^10\.244\.3\.\d+$/, 'worker-3 pods get addresses from 10.244.3.0/24');

    await k(['apply', '-f', '-'], pod('client-1', 'worker-1', { image: 'skiff/busybox:latest', command: ['sh', '-c', `timeout 10 wget -q -O - http://${ip}/ && echo REACHED-${ip}`] }, 'Never'));
    // Negative control: an address in worker-3's range that nobody holds must not answer.
    await k(['apply', '-f', '-'], pod('client-miss', 'worker-1', { image: 'skiff/busybox:latest', command: ['sh', '-c', 'timeout 5 wget -q -O - http://10.244.3.250/'] }, 'Never'));
    const phase = await waitFor('client-1 finished', async () => { const p = await podPhase('client-1'); return p === 'Succeeded' || p === 'Failed' ? p : undefined; }, 60_000);
    assert.equal(phase, 'Succeeded', 'busybox wget from worker-1 to the pod on worker-3 exits 0');
    const podIP = (await k(['get', 'pod', 'client-1', '-o', 'jsonpath={.status.podIP}'])).trim();
    assert.match(podIP, /^10\.244\.1\.\d+$/);
    // The container's output, read from worker-1's own engine.
    const ids = (await sh('docker', ['-H', nodeSock('worker-1'), 'ps', '-aq', '--filter', 'label=io.skiff.pod.name=client-1', '--filter', 'label=io.skiff.container.name=main'])).stdout.trim().split('\n').filter(Boolean);
    assert.equal(ids.length, 1);
    const logs = await sh('docker', ['-H', nodeSock('worker-1'), 'logs', ids[0]!]);
    assert.match(logs.stdout, /Welcome to nginx|<html/i);
    assert.match(logs.stdout, new RegExp(`REACHED-${ip.replace(/\./g, '\\.')}`));
    const miss = await waitFor('client-miss finished', async () => { const p = await podPhase('client-miss'); return p === 'Succeeded' || p === 'Failed' ? p : undefined; }, 60_000);
    assert.equal(miss, 'Failed', 'an unused pod address does not answer (the check is not vacuous)');
  });

  test('node kill worker-2 stops its whole process tree; node start brings it back Ready and running pods', async () => {
    const kill = await lab(['node', 'kill', 'worker-2']);
    assert.equal(kill.code, 0, kill.stderr);
    const st = JSON.parse((await lab(['status', '--json'])).stdout) as { up: boolean; members: { name: string; netns: boolean; processes: { pid?: number }[] }[] };
    const w2 = st.members.find((m) => m.name === 'worker-2')!;
    assert.ok(w2.processes.every((p) => p.pid === undefined), 'agent and dockerd of worker-2 are gone');
    assert.ok(w2.netns, 'the node\'s namespace (its "hardware") stays');
    assert.equal(st.up, false);
    assert.equal((await sh('docker', ['-H', nodeSock('worker-2'), 'version'], { timeoutMs: 10_000 })).code === 0, false, 'worker-2 engine is down');

    const start = await lab(['node', 'start', 'worker-2']);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stderr, /worker-2: running/);
    assert.match(await k(['get', 'node', 'worker-2', '--no-headers']), /\sReady\s/);
    await k(['apply', '-f', '-'], pod('after-restart-2', 'worker-2', { image: 'skiff/busybox:latest', command: ['sleep', '3600'] }));
    await waitFor('a pod on the restarted worker-2 Running', async () => ((await podPhase('after-restart-2')) === 'Running' ? true : undefined), 60_000);
    assert.match((await k(['get', 'pod', 'after-restart-2', '-o', 'jsonpath={.status.podIP}'])).trim(), /^10\.244\.2\.\d+$/);
    assert.equal((JSON.parse((await lab(['status', '--json'])).stdout) as { up: boolean }).up, true);
  });

  test('memory of the whole lab (sum of RSS) is measured', async () => {
    const st = JSON.parse((await lab(['status', '--json'])).stdout) as { memory: { processes: number; rssKiB: number } };
    process.stderr.write(`lab memory: ${(st.memory.rssKiB / 1024).toFixed(0)} MiB RSS across ${st.memory.processes} processes (etcd x3, master, 3 x dockerd+containerd+agent, shims, pods)\n`);
    assert.ok(st.memory.processes >= 13, `at least 13 lab processes, got ${st.memory.processes}`);
    assert.ok(st.memory.rssKiB > 100 * 1024);
  });

  test('down leaves no namespaces, interfaces, rules or processes', async () => {
    const r = await lab(['down'], 120_000);
    downDone = true;
    assert.equal(r.code, 0, r.stderr);
    const netns = (await sh('ip', ['netns', 'list'])).stdout;
    assert.doesNotMatch(netns, /skiff-lab-/);
    assert.notEqual((await sh('ip', ['link', 'show', 'skiff-lab0'])).code, 0, 'bridge skiff-lab0 is gone');
    assert.doesNotMatch((await sh('ip', ['-o', 'link', 'show'])).stdout, /\ssl-(etcd|master|worker)-\d+[@:]/);
    const rules = (await sh('iptables', ['-S'])).stdout;
    assert.doesNotMatch(rules, /SKIFF-LAB/);
    assert.doesNotMatch((await sh('ip', ['route'])).stdout, /skiff-lab0/);
    const st = JSON.parse((await lab(['status', '--json'])).stdout) as { memory: { processes: number }; leftovers: string[] };
    assert.equal(st.memory.processes, 0);
    assert.deepEqual(st.leftovers, []);
    assert.ok(!existsSync('/sys/fs/cgroup/pids/skiff-lab'), 'the lab cgroup is removed');
  });
});
