import type { Logger } from '@skiff/logging';
import type { NodeStats } from '@skiff/rpc';
import type { AgentTunnels } from '../streams/agent-tunnels';

/** Stats younger than this are served again rather than asked for. */
export const STATS_MAX_AGE_MS = 10_000;
const STATS_TIMEOUT_MS = 10_000;

/**
 * Node stats asked of the agents through their stream tunnels, kept for
 * STATS_MAX_AGE_MS; concurrent requests for one node share one call.
 */
export class NodeStatsCache {
  private readonly cache = new Map<string, { at: number; stats: NodeStats }>();
  private readonly inflight = new Map<string, Promise<NodeStats | undefined>>();

  constructor(private readonly tunnels: AgentTunnels, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  /** The node's stats, or undefined when it has no tunnel or does not answer. */
  get(node: string): Promise<NodeStats | undefined> {
    const hit = this.cache.get(node);
    if (hit && this.now() - hit.at < STATS_MAX_AGE_MS) return Promise.resolve(hit.stats);
    if (!this.tunnels.isConnected(node)) return Promise.resolve(undefined);
    let p = this.inflight.get(node);
    if (!p) {
      p = this.fetch(node).finally(() => this.inflight.delete(node));
      this.inflight.set(node, p);
    }
    return p;
  }

  async getMany(nodes: Iterable<string>): Promise<Map<string, NodeStats>> {
    const out = new Map<string, NodeStats>();
    await Promise.all([...new Set(nodes)].map(async (n) => {
      const s = await this.get(n);
      if (s) out.set(n, s);
    }));
    return out;
  }

  private async fetch(node: string): Promise<NodeStats | undefined> {
    try {
      const session = await this.tunnels.open(node, 'stats', {}, STATS_TIMEOUT_MS);
      const stats = await new Promise<NodeStats | undefined>((resolve) => {
        const t = setTimeout(() => { session.end(); resolve(undefined); }, STATS_TIMEOUT_MS);
        session.onFrame((f) => { if (f.frame === 'stats' && f.stats) { clearTimeout(t); resolve(f.stats); } });
        session.onEnd(() => { clearTimeout(t); resolve(undefined); });
      });
      session.end();
      if (stats) this.cache.set(node, { at: this.now(), stats });
      else this.cache.delete(node);
      return stats;
    } catch (e) {
      this.log.warn('node stats unavailable', { node, error: (e as Error).message });
      return undefined;
    }
  }
}
