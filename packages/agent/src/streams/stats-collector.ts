import { promises as fs } from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeStats, PodStats } from '@skiff/rpc';
import type { Runtime, RuntimeObject } from '../runtime/runtime';

/** A cumulative CPU counter read at a moment. */
export interface CpuSample { atMs: number; cpuNs: number }

/** Rates need two samples at least this far apart; older baselines than MAX_BASELINE_MS are dropped. */
export const MIN_WINDOW_MS = 1000;
export const MAX_BASELINE_MS = 120_000;

/**
 * Usage in nanocores between the newest sample and the newest one at least
 * MIN_WINDOW_MS older; undefined when there is no such baseline yet.
 */
export function cpuRate(history: readonly CpuSample[]): { nanoCores: number; windowMs: number } | undefined {
  const last = history[history.length - 1];
  if (!last) return undefined;
  for (let i = history.length - 2; i >= 0; i--) {
    const base = history[i]!;
    const dt = last.atMs - base.atMs;
    if (dt < MIN_WINDOW_MS) continue;
    if (dt > MAX_BASELINE_MS) return undefined;
    const used = Math.max(0, last.cpuNs - base.cpuNs);
    return { nanoCores: Math.round((used / dt) * 1e3), windowMs: dt };
  }
  return undefined;
}

/** Keeps the newest sample plus enough older ones to have a baseline. */
export function pushSample(history: CpuSample[], s: CpuSample): CpuSample[] {
  const out = [...history.filter((h) => s.atMs - h.atMs <= MAX_BASELINE_MS && h.atMs < s.atMs), s];
  // The newest baseline at least MIN_WINDOW_MS old is all a rate needs; drop anything older.
  let keepFrom = 0;
  for (let i = out.length - 2; i >= 0; i--) {
    if (s.atMs - out[i]!.atMs >= MIN_WINDOW_MS) { keepFrom = i; break; }
  }
  return out.slice(keepFrom);
}

/** The node's busy CPU time (`/proc/stat`, all CPUs, in ns) and working set (`/proc/meminfo`). */
export async function readNodeCounters(proc = '/proc'): Promise<{ cpuNs: number; workingSetBytes: number }> {
  const stat = await fs.readFile(`${proc}/stat`, 'utf8');
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  const f = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy excludes idle and iowait. USER_HZ is 100.
  const busy = [0, 1, 2, 5, 6, 7].reduce((a, i) => a + (f[i] ?? 0), 0);
  const mem = await fs.readFile(`${proc}/meminfo`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(mem)?.[1] ?? 0);
  return { cpuNs: busy * 1e7, workingSetBytes: Math.max(0, kb('MemTotal') - kb('MemAvailable')) * 1024 };
}

interface Snapshot {
  atMs: number;
  containers: Map<string, { obj: RuntimeObject; workingSetBytes: number }>;
  nodeWorkingSetBytes: number;
}

/**
 * CPU and memory of the node and of every running container of this node's
 * pods, in the shape metrics.k8s.io serves. CPU is a rate, so the first call
 * samples twice (MIN_WINDOW_MS apart); later calls use the previous call's
 * samples as the baseline. Concurrent calls share one collection.
 */
export class StatsCollector {
  private readonly history = new Map<string, CpuSample[]>();
  private inflight?: Promise<NodeStats>;

  constructor(private readonly deps: { runtime: Runtime; pods: () => Pod[]; now?: () => number; proc?: string }) {}

  collect(): Promise<NodeStats> {
    if (!this.inflight) this.inflight = this.doCollect().finally(() => { this.inflight = undefined; });
    return this.inflight;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  private async doCollect(): Promise<NodeStats> {
    let snap = await this.sample();
    const needsBaseline = !cpuRate(this.history.get('node') ?? []) || [...snap.containers.keys()].some((id) => !cpuRate(this.history.get(id) ?? []));
    if (needsBaseline) {
      await new Promise((r) => setTimeout(r, MIN_WINDOW_MS + 50));
      snap = await this.sample();
    }
    return this.render(snap);
  }

  private record(key: string, s: CpuSample): void {
    this.history.set(key, pushSample(this.history.get(key) ?? [], s));
  }

  private async sample(): Promise<Snapshot> {
    const pods = new Set(this.deps.pods().map((p) => p.metadata?.uid ?? ''));
    const objs = (await this.deps.runtime.list()).filter((o) => o.type === 'container' && o.state === 'running' && o.podUid && pods.has(o.podUid));
    const containers = new Map<string, { obj: RuntimeObject; workingSetBytes: number }>();
    await Promise.all(objs.map(async (o) => {
      try {
        const s = await this.deps.runtime.stats(o.id);
        this.record(o.id, { atMs: this.now(), cpuNs: s.cpuUsageCoreNanoSeconds });
        containers.set(o.id, { obj: o, workingSetBytes: s.memoryWorkingSetBytes });
      } catch {
        // Gone between list and stats: left out of this report.
      }
    }));
    const node = await readNodeCounters(this.deps.proc);
    const atMs = this.now();
    this.record('node', { atMs, cpuNs: node.cpuNs });
    const live = new Set([...containers.keys(), 'node']);
    for (const k of [...this.history.keys()]) if (!live.has(k)) this.history.delete(k);
    return { atMs, containers, nodeWorkingSetBytes: node.workingSetBytes };
  }

  private render(snap: Snapshot): NodeStats {
    const nodeRate = cpuRate(this.history.get('node') ?? []);
    const byPod = new Map<string, PodStats>();
    const timestamp = new Date(snap.atMs).toISOString();
    for (const pod of this.deps.pods()) {
      const uid = pod.metadata?.uid ?? '';
      byPod.set(uid, { namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '', uid, timestamp, window_seconds: 0, containers: [] });
    }
    for (const [id, c] of snap.containers) {
      const ps = byPod.get(c.obj.podUid ?? '');
      const rate = cpuRate(this.history.get(id) ?? []);
      if (!ps || !rate) continue;
      ps.containers.push({ name: c.obj.name, cpu_usage_nano_cores: rate.nanoCores, memory_working_set_bytes: c.workingSetBytes });
      ps.window_seconds = Math.max(ps.window_seconds, rate.windowMs / 1000);
    }
    return {
      timestamp,
      window_seconds: (nodeRate?.windowMs ?? 0) / 1000,
      cpu_usage_nano_cores: nodeRate?.nanoCores ?? 0,
      memory_working_set_bytes: snap.nodeWorkingSetBytes,
      pods: [...byPod.values()].filter((p) => p.containers.length > 0).map((p) => ({ ...p, containers: p.containers.sort((a, b) => a.name.localeCompare(b.name)) })),
    };
  }
}
