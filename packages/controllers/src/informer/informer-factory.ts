import { findByKind, ResourceInfo } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import { Informer } from './informer';
import type { IndexFunc } from './object-cache';

/** One shared informer per resource, so every controller reads the same caches. */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();

  constructor(private readonly registry: Registry, private readonly log: Logger, private readonly resyncMs = 0) {}

  forKind(apiVersion: string, kind: string, indexers: Record<string, IndexFunc> = {}): Informer {
    const info = findByKind(apiVersion, kind);
    if (!info) throw new Error(`unknown kind ${apiVersion} ${kind}`);
    return this.forResource(info, indexers);
  }

  forResource(info: ResourceInfo, indexers: Record<string, IndexFunc> = {}): Informer {
    const id = `${info.group}/${info.plural}`;
    let inf = this.informers.get(id);
    if (!inf) {
      inf = new Informer(this.registry, info, this.log.child({ informer: info.plural }), { resyncMs: this.resyncMs });
      this.informers.set(id, inf);
    }
    for (const [n, f] of Object.entries(indexers)) inf.cache.addIndexer(n, f);
    return inf;
  }

  /** Starts every informer created so far; resolves once all have synced. */
  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].filter((i) => !i.hasSynced).map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}
