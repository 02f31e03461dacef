import type { KObject } from '@skiff/api';

/** One pod's usage as metrics.k8s.io reports it (PodMetrics), in numbers. */
export interface PodUsage {
  /** When the sample was taken (ms since the epoch). */
  timestamp: number;
  /** The window the CPU rate was measured over (ms). */
  windowMs: number;
  containers: { name: string; cpuMilli: number; memoryBytes: number }[];
}

/**
 * Where the HPA reads pod metrics: skiff-master passes the same source its metrics.k8s.io API
 * serves from (the agents' stats); tests pass a fixed map. Pods without metrics are absent.
 */
export interface PodMetricsSource {
  podMetrics(pods: KObject[]): Promise<Map<string, PodUsage>>;
}

/** A fixed set of usages, keyed by pod name (tests, and a loop without metrics). */
export class StaticPodMetrics implements PodMetricsSource {
  constructor(readonly usage = new Map<string, PodUsage>()) {}

  async podMetrics(pods: KObject[]): Promise<Map<string, PodUsage>> {
    const out = new Map<string, PodUsage>();
    for (const p of pods) {
      const u = this.usage.get(p.metadata.name ?? '');
      if (u) out.set(p.metadata.name!, u);
    }
    return out;
  }
}
