import { quantityToBytes, quantityToMillis, type KObject } from '@skiff/api';
import type { PodMetricsSource, PodUsage } from '@skiff/controllers';
import { podMetrics } from './metrics-api';
import type { NodeStatsCache } from './node-stats-cache';

/**
 * The HorizontalPodAutoscaler's pod metrics: the PodMetrics objects metrics.k8s.io serves
 * (same stats cache, same conversion), read in-process and turned back into numbers.
 */
export function statsPodMetricsSource(stats: NodeStatsCache): PodMetricsSource {
  return {
    async podMetrics(pods: KObject[]): Promise<Map<string, PodUsage>> {
      const nodeOf = (p: KObject): string => (p.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
      const byNode = await stats.getMany(new Set(pods.map(nodeOf).filter(Boolean)));
      const out = new Map<string, PodUsage>();
      for (const p of pods) {
        const s = byNode.get(nodeOf(p))?.pods.find((x) => x.uid === p.metadata.uid);
        if (!s) continue;
        const m = podMetrics(p, s) as KObject & { timestamp: string; containers: { name: string; usage: { cpu: string; memory: string } }[] };
        out.set(p.metadata.name!, {
          timestamp: Date.parse(m.timestamp),
          windowMs: s.window_seconds * 1000,
          containers: m.containers.map((c) => ({ name: c.name, cpuMilli: quantityToMillis(c.usage.cpu), memoryBytes: quantityToBytes(c.usage.memory) })),
        });
      }
      return out;
    },
  };
}
