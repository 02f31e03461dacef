/**
 * `npm run bench -- scheduler`: the scheduler in skiff-master against 100 hollow nodes
 * (test/lib/hollow-node.ts: real agent protocol, pods reported Running without containers).
 *
 *   (a) 2000 pods created through the API (SKIFF_BENCH_SCHED_CONCURRENCY at a time, 64):
 *       scheduled pods/s from the first create to the last binding seen by a watch;
 *   (b) raw: the same number of binding-sized writes, one etcd transaction per pod
 *       (compare-and-swap on the mod revision, as a binding is) through etcd3 at the same
 *       concurrency, on the same etcd; goal: >= 300 pods/s and >= half the raw rate;
 *   (c) a 1000-replica Deployment: create until every pod is bound, and until every pod
 *       is Running as the hollow nodes report.
 * Plus the pure decision (`schedule(pod, snapshot)`) on 100 and 1000 nodes.
 * SKIFF_BENCH_SCHED_NODES / _PODS / _REPLICAS change the sizes.
 */
import { Agent as HttpsAgent, request } from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { addPod, buildSnapshot, schedule } from '@skiff/scheduler';
import { FakeClient, FakeRecorder, ObjectCache, SchedulerLoop, type Informer } from '@skiff/controllers';
import type { KObject } from '@skiff/api';
import { nullLogger } from '@skiff/logging';
import { ControlPlane, waitFor } from '../lib/control-plane';
import { PodWatch } from '../lib/agent-node';
import { HollowCluster } from '../lib/hollow-node';
import { fmtMs, percentile } from './stats';

const N_NODES = Number(process.env.SKIFF_BENCH_SCHED_NODES ?? 100);
const N_PODS = Number(process.env.SKIFF_BENCH_SCHED_PODS ?? 2000);
const N_REPLICAS = Number(process.env.SKIFF_BENCH_SCHED_REPLICAS ?? 1000);
const CONCURRENCY = Number(process.env.SKIFF_BENCH_SCHED_CONCURRENCY ?? 64);

function node(i: number): Node {
  return {
    metadata: { name: `node-${String(i).padStart(4, '0')}`, labels: { 'kubernetes.io/hostname': `node-${i}`, zone: `z${i % 3}` } },
    spec: i % 10 === 0 ? { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } : {},
    status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(i: number, owner: string, anti: boolean): Pod {
  return {
    metadata: { name: `p-${i}`, namespace: 'default', labels: { app: owner }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
      affinity: anti ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: owner } } }] } } : undefined,
    },
  };
}

function run(nodes: number, placed: number, decisions: number): void {
  const ns = Array.from({ length: nodes }, (_, i) => node(i));
  const existing: Pod[] = [];
  for (let i = 0; i < placed; i++) {
    const p = pod(i, `rs-${i % 50}`, false);
    existing.push({ ...p, spec: { ...p.spec!, nodeName: ns[(i * 7) % nodes]!.metadata!.name } });
  }
  const snapshot = buildSnapshot(ns, existing);
  const byName = new Map(snapshot.nodes.map((n) => [n.name, n]));
  const times: number[] = [];
  let unschedulable = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) {
    const p = pod(placed + i, `new-${i % 20}`, i % 4 === 0);
    const s = process.hrtime.bigint();
    const r = schedule(p, snapshot);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (r.node === undefined) { unschedulable++; continue; }
    addPod(byName.get(r.node)!, { ...p, spec: { ...p.spec!, nodeName: r.node } });
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`${`${nodes} nodes, ${placed} pods placed`.padEnd(34)} p50 ${fmtMs(percentile(times, 50)).padStart(9)}  p99 ${fmtMs(percentile(times, 99)).padStart(9)}  ${(decisions / total).toFixed(0).padStart(6)} decisions/s  (${unschedulable} unschedulable)\n`);
}

/**
 * The scheduler loop alone, in process: informer-fed SnapshotCache, priority queue, assume,
 * bindings answered at once and confirmed through the pod handler as an informer would.
 */
async function runLoop(nodes: number, count: number): Promise<void> {
  const pods = new ObjectCache();
  const nodeCache = new ObjectCache();
  const client = new FakeClient();
  const loop = new SchedulerLoop({ pods, nodes: nodeCache, client, recorder: new FakeRecorder(), log: nullLogger() });
  type H = { add(o: KObject): void; update(old: KObject, o: KObject): void };
  const hs: Record<string, H[]> = { pods: [], nodes: [] };
  const inf = (k: string): Informer => ({ addHandler: (h: H) => { hs[k]!.push(h); } }) as unknown as Informer;
  loop.register(inf('pods'), inf('nodes'));
  const up = (k: 'pods' | 'nodes', o: KObject): void => {
    const old = (k === 'pods' ? pods : nodeCache).upsert(o);
    for (const h of hs[k]!) { if (old) h.update(old, o); else h.add(o); }
  };
  for (let i = 0; i < nodes; i++) up('nodes', node(i) as unknown as KObject);
  for (let i = 0; i < count; i++) up('pods', { apiVersion: 'v1', kind: 'Pod', ...pod(i, `rs-${i % 20}`, false), status: { phase: 'Pending' } } as unknown as KObject);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    await loop.reconcile(`default/p-${i}`);
    const bind = client.actions[client.actions.length - 1];
    const p = pods.get(`default/p-${i}`)!;
    if (bind?.name === `p-${i}`) up('pods', { ...p, spec: { ...(p.spec as object), nodeName: bind.node } });
  }
  await loop.flush();
  const secs = (performance.now() - t0) / 1000;
  const bound = client.actions.filter((a) => a.verb === 'bind').length;
  process.stdout.write(`${`loop: ${nodes} nodes, ${count} pending pods`.padEnd(34)} ${(count / secs).toFixed(0).padStart(6)} pods/s decided+bound in process (${bound} bindings)\n`);
}

class Api {
  private readonly agent: HttpsAgent;
  constructor(private readonly port: number, dir: string) {
    this.agent = new HttpsAgent({
      keepAlive: true, maxSockets: CONCURRENCY, rejectUnauthorized: false,
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

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  const f = `/proc/${pid ?? 0}/stat`;
  if (!pid || !existsSync(f)) return NaN;
  const fields = readFileSync(f, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs fn(i) for i in [0, n) with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, n) }, async () => {
    while (next < n) await fn(next++);
  }));
}

function benchPod(name: string, app: string): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [{ name: 'app', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
    },
  };
}

const isRunning = (p: Pod): boolean => p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Times from `t0` until `count` pods matching `app` are bound (and Running), from the watch. */
function track(watch: PodWatch, app: string, count: number): { bound: Promise<number>; running: Promise<number>; boundAt: Map<string, number> } {
  const boundAt = new Map<string, number>();
  const runningAt = new Set<string>();
  let onBound: (t: number) => void = () => undefined;
  let onRunning: (t: number) => void = () => undefined;
  const bound = new Promise<number>((r) => { onBound = r; });
  const running = new Promise<number>((r) => { onRunning = r; });
  watch.onChange((key, rec) => {
    if (rec.pod.metadata?.labels?.app !== app) return;
    const now = performance.now();
    if (rec.pod.spec?.nodeName && !boundAt.has(key)) {
      boundAt.set(key, now);
      if (boundAt.size === count) onBound(now);
    }
    if (isRunning(rec.pod) && !runningAt.has(key)) {
      runningAt.add(key);
      if (runningAt.size === count) onRunning(now);
    }
  });
  return { bound, running, boundAt };
}

/** One compare-and-swap transaction per pod on pre-written pod-sized values, `limit` at a time. */
async function rawBindingRate(etcd: Etcd3, sample: Pod, n: number, limit: number): Promise<number> {
  const key = (i: number): string => `/skiff-bench/raw-binding/p-${i}`;
  const revs: string[] = [];
  await pool(n, limit, async (i) => {
    const body = JSON.stringify({ ...sample, metadata: { ...sample.metadata, name: `p-${i}` } });
    await etcd.put(key(i)).value(body);
  });
  const got = await etcd.getAll().prefix('/skiff-bench/raw-binding/').exec();
  for (const kv of got.kvs) revs[Number(kv.key.toString().split('p-')[1])] = kv.mod_revision;
  const t0 = performance.now();
  await pool(n, limit, async (i) => {
    const body = JSON.stringify({ ...sample, metadata: { ...sample.metadata, name: `p-${i}` }, spec: { ...sample.spec!, nodeName: `hollow-${String(i % N_NODES).padStart(3, '0')}` } });
    const r = await etcd.if(key(i), 'Mod', '==', revs[i]!).then(etcd.put(key(i)).value(body)).commit();
    if (!r.succeeded) throw new Error('raw binding transaction lost its compare');
  });
  const secs = (performance.now() - t0) / 1000;
  await etcd.delete().prefix('/skiff-bench/raw-binding/');
  return n / secs;
}

async function benchCluster(): Promise<void> {
  // Liveness is not what is measured: on a loaded machine a lease renewal can be late, and a
  // node marked unreachable mid-run would turn the figures into eviction figures.
  const cp = await ControlPlane.start(['--node-monitor-grace-period', '5m']);
  let hollow: HollowCluster | undefined;
  let watch: PodWatch | undefined;
  const api = new Api(cp.port, cp.dir);
  const etcd = new Etcd3({ hosts: cp.etcd.clientUrl });
  try {
    const tj = performance.now();
    hollow = await HollowCluster.start(cp, N_NODES, { cpu: 32, memory: '128Gi', parallel: 10 });
    await waitFor(`${N_NODES} Ready nodes`, async () => {
      const r = await api.call('GET', '/api/v1/nodes');
      const nodes = (JSON.parse(r.body) as { items: Node[] }).items;
      return nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === N_NODES;
    }, 120_000, 500);
    process.stdout.write(`${N_NODES} hollow nodes joined and Ready in ${fmtMs(performance.now() - tj)}\n`);
    watch = await PodWatch.start(cp);

    // (a) pods through the API, scheduled and bound by skiff-master.
    const t = track(watch, 'bench-sched', N_PODS);
    const createLat: number[] = [];
    const createdAt = new Map<string, number>();
    const cpu0 = { master: cpuSeconds(cp.master?.pid), etcd: cpuSeconds(cp.etcd.proc?.pid), self: process.cpuUsage() };
    const t0 = performance.now();
    await pool(N_PODS, CONCURRENCY, async (i) => {
      const s = performance.now();
      const r = await api.call('POST', '/api/v1/namespaces/default/pods', benchPod(`sched-${i}`, 'bench-sched'));
      if (r.status !== 201) throw new Error(`create pod: HTTP ${r.status} ${r.body.slice(0, 200)}`);
      createLat.push(performance.now() - s);
      createdAt.set(`default/sched-${i}`, performance.now());
    });
    const created = performance.now();
    const lastBound = await Promise.race([t.bound, new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`only ${t.boundAt.size}/${N_PODS} pods bound after 300 s`)), 300_000))]);
    const sched = N_PODS / ((lastBound - t0) / 1000);
    const createRate = N_PODS / ((created - t0) / 1000);
    const cpuMaster = cpuSeconds(cp.master?.pid) - cpu0.master;
    const cpuEtcd = cpuSeconds(cp.etcd.proc?.pid) - cpu0.etcd;
    const selfUsage = process.cpuUsage(cpu0.self);
    const cpuSelf = (selfUsage.user + selfUsage.system) / 1e6;
    const allRunning = await t.running;

    // (b) the raw binding-write rate on the same etcd.
    const raw = await rawBindingRate(etcd, benchPod('raw', 'raw'), N_PODS, CONCURRENCY);

    process.stdout.write(`\n${N_PODS} pods created through the API (${CONCURRENCY} concurrent) on ${N_NODES} hollow nodes\n`);
    process.stdout.write(`  creates alone                        ${createRate.toFixed(0).padStart(7)} pods/s   (create p50 ${fmtMs(percentile(createLat, 50))}, p99 ${fmtMs(percentile(createLat, 99))})\n`);
    process.stdout.write(`  scheduled (first create->last bind)  ${sched.toFixed(0).padStart(7)} pods/s   last bind ${fmtMs(lastBound - t0)}, all Running ${fmtMs(allRunning - t0)}\n`);
    const toBound = [...t.boundAt].map(([k, at]) => at - (createdAt.get(k) ?? at));
    process.stdout.write(`  create answered -> bound seen         p50 ${fmtMs(percentile(toBound, 50))}, p99 ${fmtMs(percentile(toBound, 99))}\n`);
    process.stdout.write(`  raw etcd3 binding txns               ${raw.toFixed(0).padStart(7)} pods/s\n`);
    process.stdout.write(`  CPU from first create to last bind   skiff-master ${cpuMaster.toFixed(1)} s (${(cpuMaster * 1000 / N_PODS).toFixed(1)} ms/pod), etcd ${cpuEtcd.toFixed(1)} s, bench+hollow nodes ${cpuSelf.toFixed(1)} s; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs\n`);
    const ratio = sched / raw;
    const ok = sched >= 300 && ratio >= 0.5;
    process.stdout.write(`  ratio scheduled/raw                  ${ratio.toFixed(2).padStart(7)}         goal >= 300 pods/s and >= 0.50: ${ok ? 'ok' : 'MISSED'}\n`);
    const perNode = new Map<string, number>();
    for (const key of t.boundAt.keys()) { const n = watch.pods.get(key)?.pod.spec?.nodeName ?? ''; perNode.set(n, (perNode.get(n) ?? 0) + 1); }
    process.stdout.write(`  spread: ${perNode.size} nodes used, ${Math.min(...perNode.values())}..${Math.max(...perNode.values())} pods per node\n`);

    // (c) a Deployment of N_REPLICAS.
    if (N_REPLICAS <= 0) return;
    const d = track(watch, 'bench-deploy', N_REPLICAS);
    const td = performance.now();
    const dep = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bench-deploy', namespace: 'default' },
      spec: { replicas: N_REPLICAS, selector: { matchLabels: { app: 'bench-deploy' } }, template: { metadata: { labels: { app: 'bench-deploy' } }, spec: benchPod('x', 'bench-deploy').spec } },
    };
    const r = await api.call('POST', '/apis/apps/v1/namespaces/default/deployments', dep);
    if (r.status !== 201) throw new Error(`create deployment: HTTP ${r.status} ${r.body.slice(0, 200)}`);
    const timeout = new Promise<number>((_, rej) => setTimeout(() => rej(new Error(`deployment: only ${d.boundAt.size}/${N_REPLICAS} pods bound after 600 s`)), 600_000));
    const dBound = await Promise.race([d.bound, timeout]);
    const dRunning = await Promise.race([d.running, timeout]);
    process.stdout.write(`\nDeployment of ${N_REPLICAS} replicas: all bound ${fmtMs(dBound - td)} (${(N_REPLICAS / ((dBound - td) / 1000)).toFixed(0)} pods/s), all Running ${fmtMs(dRunning - td)}\n`);
  } finally {
    watch?.stop();
    api.close();
    etcd.close();
    hollow?.stop();
    await cp.stop();
  }
}

export async function benchScheduler(): Promise<void> {
  process.stdout.write('pure decision, schedule(pod, snapshot):\n');
  run(100, 2000, 1000);
  run(1000, 20000, 500);
  await runLoop(100, N_PODS);
  process.stdout.write('\n');
  await benchCluster();
}
