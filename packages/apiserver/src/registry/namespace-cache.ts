import { findByKind, KObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { NamespaceLookup, Registry } from './store';

const NS = findByKind('v1', 'Namespace')!;

function phaseOf(obj: KObject): string {
  return (obj.status as { phase?: string } | undefined)?.phase ?? 'Active';
}

/**
 * Knows which namespaces exist (and which are terminating) without an etcd read per write:
 * a watch keeps the map current; a miss falls back to etcd so a namespace created a moment
 * ago through another master is never refused.
 */
export class NamespaceCache implements NamespaceLookup {
  private readonly phases = new Map<string, string>();
  private registry?: Registry;
  private stop?: () => void;

  async start(registry: Registry, log: Logger): Promise<void> {
    this.registry = registry;
    registry.onWrite((info, obj) => {
      if (info.kind === 'Namespace' && obj.metadata.name) this.phases.set(obj.metadata.name, phaseOf(obj));
    });
    const run = async (): Promise<void> => {
      const list = await registry.list(NS, undefined, {});
      this.phases.clear();
      for (const ns of list.items) this.phases.set(ns.metadata.name!, phaseOf(ns));
      const w = await registry.watch(NS, undefined, { resourceVersion: list.resourceVersion }, (ev) => {
        const name = ev.object.metadata.name;
        if (!name) return;
        if (ev.type === 'DELETED') this.phases.delete(name);
        else if (ev.type !== 'BOOKMARK' && ev.type !== 'ERROR') this.phases.set(name, phaseOf(ev.object));
      }, (err) => {
        log.warn('namespace watch ended, relisting', { error: err.message });
        setTimeout(() => void run().catch((e: Error) => log.error('namespace relist failed', { error: e.message })), 500);
      });
      this.stop = () => w.close();
    };
    await run();
  }

  close(): void {
    this.stop?.();
  }

  async phase(name: string): Promise<string | undefined> {
    const p = this.phases.get(name);
    if (p !== undefined) return p;
    if (!this.registry) return undefined;
    const obj = await this.registry.tryGet(NS, undefined, name);
    if (!obj) return undefined;
    const ph = phaseOf(obj);
    this.phases.set(name, ph);
    return ph;
  }
}
