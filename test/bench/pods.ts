/**
 * `npm run bench -- pods`: pod start-up on a real skiff-agent against the same
 * containers made directly through dockerode.
 *
 *   (a) latency: 30 single-container pods one after another, API create to
 *       Ready=True seen by a watch; raw: pause container + app container
 *       (NetworkMode/IpcMode container:<pause>) created and started.
 *   (b) burst: 20 pods created at once until all are Ready; raw: 20 such
 *       pairs at once.
 *   RSS of the agent process (VmRSS) idle and with the 20 pods running.
 *
 * SKIFF_BENCH_PODS_SEQ / SKIFF_BENCH_PODS_BURST / SKIFF_BENCH_PODS_BURST_ROUNDS
 * change the counts (burst rounds alternate which path goes first).
 */
import { Agent as HttpsAgent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Pod } from 'kubernetes-types/core/v1';
import { AgentNode } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';
import { fmtMs, percentile, printPairs } from './stats';

const N_SEQ = Number(process.env.SKIFF_BENCH_PODS_SEQ ?? 30);
const N_BURST = Number(process.env.SKIFF_BENCH_PODS_BURST ?? 20);
const BURST_ROUNDS = Number(process.env.SKIFF_BENCH_PODS_BURST_ROUNDS ?? 2);
const IMAGE = 'skiff/busybox:latest';
const PAUSE = 'skiff/pause:3.9';
const CMD = ['sleep', '3600'];

class Api {
  private readonly agent: HttpsAgent;
  constructor(private readonly port: number, dir: string) {
    this.agent = new HttpsAgent({
      keepAlive: true, maxSockets: 32, rejectUnauthorized: false,
      cert: readFileSync(join(dir, 'pki/admin.crt')), key: readFileSync(join(dir, 'pki/admin.key')),
    });
  }

  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((res, rej) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port: this.port, method, path, agent: this.agent, headers: { Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json' } : {}) } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', rej);
      req.end(data);
    });
  }

  close(): void { this.agent.destroy(); }
}

function podJson(name: string, nodeName: string): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'bench-pods' } },
    spec: {
      nodeName, terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: IMAGE, imagePullPolicy: 'IfNotPresent', command: CMD }],
    },
  };
}

const isReady = (p: Pod): boolean => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** Creates pods through the API and resolves with each one's create-to-Ready time (ms). */
async function startPods(node: AgentNode, api: Api, names: string[]): Promise<number[]> {
  const t0 = new Map<string, number>();
  const ready = new Map<string, number>();
  let done: () => void = () => undefined;
  const all = new Promise<void>((r) => { done = r; });
  const off = node.watch.onChange((key, rec) => {
    const name = key.slice('default/'.length);
    if (t0.has(name) && !ready.has(name) && isReady(rec.pod)) {
      ready.set(name, performance.now());
      if (ready.size === names.length) done();
    }
  });
  try {
    await Promise.all(names.map(async (n) => {
      t0.set(n, performance.now());
      const r = await api.call('POST', '/api/v1/namespaces/default/pods', podJson(n, node.nodeName));
      if (r.status !== 201) throw new Error(`create ${n}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    }));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`pods not Ready in time: ${ready.size}/${names.length}`)), 120_000); })]);
    clearTimeout(timer);
  } finally {
    off();
  }
  return names.map((n) => ready.get(n)! - t0.get(n)!);
}

async function deletePods(node: AgentNode, api: Api, names: string[]): Promise<void> {
  const uids = names.map((n) => node.watch.get(n)?.pod.metadata?.uid).filter((u): u is string => !!u);
  await Promise.all(names.map((n) => api.call('DELETE', `/api/v1/namespaces/default/pods/${n}`, { gracePeriodSeconds: 0 })));
  await waitFor('bench pods removed from Docker', async () => uids.every((u) => node.dockerIds(u).length === 0), 120_000, 500);
}

/** The raw path: what a pod is to Docker, made directly. */
class Raw {
  private readonly made: string[] = [];
  constructor(private readonly docker: Docker, private readonly tag: string) {}

  async pod(i: number): Promise<number> {
    const t0 = performance.now();
    const labels = { 'io.skiff.bench': this.tag };
    const pause = await this.docker.createContainer({
      name: `skiff-bench-raw-pause-${this.tag}-${i}`, Image: PAUSE, Labels: labels,
      HostConfig: { NetworkMode: 'bridge', IpcMode: 'shareable', RestartPolicy: { Name: 'no' } },
    });
    this.made.push(pause.id);
    await pause.start();
    const app = await this.docker.createContainer({
      name: `skiff-bench-raw-app-${this.tag}-${i}`, Image: IMAGE, Cmd: CMD, Labels: labels,
      HostConfig: { NetworkMode: `container:${pause.id}`, IpcMode: `container:${pause.id}`, RestartPolicy: { Name: 'no' } },
    });
    this.made.push(app.id);
    await app.start();
    return performance.now() - t0;
  }

  async cleanup(): Promise<void> {
    const ids = this.made.splice(0).reverse();
    await Promise.all(ids.map((id) => this.docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
  }
}

function rssMiB(node: AgentNode): number {
  return node.agentRssKiB() / 1024;
}

export async function benchPods(): Promise<void> {
  const docker = new Docker();
  const node = await AgentNode.start();
  const api = new Api(node.cp.port, node.cp.dir);
  const tag = `${process.pid}`;
  const raw = new Raw(docker, tag);
  try {
    // Warm-up on both paths (image and engine caches, the agent's first pod).
    const warm = Array.from({ length: 3 }, (_, i) => `warm-${i}`);
    for (const n of warm) await startPods(node, api, [n]);
    await deletePods(node, api, warm);
    for (let i = 0; i < 3; i++) await raw.pod(1000 + i);
    await raw.cleanup();
    await new Promise((r) => setTimeout(r, 2000));
    const rssIdle = rssMiB(node);

    // (a) one after another, the two paths interleaved so that both see the same machine load.
    const seqNames = Array.from({ length: N_SEQ }, (_, i) => `seq-${i}`);
    const ours: number[] = [];
    const rawSeq: number[] = [];
    for (let i = 0; i < N_SEQ; i++) {
      ours.push(...await startPods(node, api, [seqNames[i]!]));
      rawSeq.push(await raw.pod(i));
    }
    await deletePods(node, api, seqNames);
    await raw.cleanup();

    // (b) all at once; rounds alternate which path goes first (ABBA) to cancel order effects.
    const oursBursts: number[] = [];
    const rawBursts: number[] = [];
    let rssBusy = NaN;
    for (let round = 0; round < BURST_ROUNDS; round++) {
      const skiffBurst = async (): Promise<void> => {
        const names = Array.from({ length: N_BURST }, (_, i) => `burst-${round}-${i}`);
        const tb = performance.now();
        await startPods(node, api, names);
        oursBursts.push(performance.now() - tb);
        if (round === 0) {
          await new Promise((r) => setTimeout(r, 3000));
          rssBusy = rssMiB(node);
        }
        await deletePods(node, api, names);
      };
      const rawBurst = async (): Promise<void> => {
        const rb = performance.now();
        await Promise.all(Array.from({ length: N_BURST }, (_, i) => raw.pod(100 * (round + 1) + i)));
        rawBursts.push(performance.now() - rb);
        await raw.cleanup();
      };
      if (round % 2 === 0) { await skiffBurst(); await rawBurst(); } else { await rawBurst(); await skiffBurst(); }
    }
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    const oursBurst = mean(oursBursts);
    const rawBurst = mean(rawBursts);

    printPairs(`pod start-up: skiff (API create -> Ready in a watch) vs raw dockerode (pause + app created and started)`, [
      { name: `sequential p50 (n=${N_SEQ})`, ours: percentile(ours, 50), raw: percentile(rawSeq, 50), goal: 1.3 },
      { name: `sequential p99 (n=${N_SEQ})`, ours: percentile(ours, 99), raw: percentile(rawSeq, 99) },
      { name: `burst of ${N_BURST}, all Ready (mean of ${BURST_ROUNDS})`, ours: oursBurst, raw: rawBurst, goal: 1.3 },
    ]);
    process.stdout.write(`\nbursts skiff: ${oursBursts.map(fmtMs).join(', ')}; raw: ${rawBursts.map(fmtMs).join(', ')}\n`);
    process.stdout.write(`sequential skiff: min ${fmtMs(Math.min(...ours))}, max ${fmtMs(Math.max(...ours))}; raw: min ${fmtMs(Math.min(...rawSeq))}, max ${fmtMs(Math.max(...rawSeq))}\n`);
    const goal = rssBusy < 120 ? 'ok' : 'MISSED';
    process.stdout.write(`agent RSS (VmRSS): idle ${rssIdle.toFixed(1)} MiB, with ${N_BURST} pods ${rssBusy.toFixed(1)} MiB (goal < 120 MiB with 20 pods: ${goal})\n`);
  } finally {
    await raw.cleanup();
    api.close();
    await node.stop();
  }
}
