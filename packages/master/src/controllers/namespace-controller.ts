import { RESOURCES, findByKind, KObject, StatusError } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';

const NS = findByKind('v1', 'Namespace')!;

/**
 * Empties terminating namespaces: deletes everything in them, then drops the `kubernetes`
 * finalizer so the namespace itself goes. Level-triggered: each pass looks at what is
 * stored, so a restart at any point just continues.
 */
export class NamespaceController {
  private timer?: NodeJS.Timeout;
  private running = false;
  private watch?: { close(): void };

  constructor(private readonly registry: Registry, private readonly log: Logger, private readonly resyncMs = 2000) {}

  async start(): Promise<void> {
    const w = await this.registry.watch(NS, undefined, {}, (ev) => {
      if (ev.object.metadata.deletionTimestamp) this.kick();
    }, () => this.kick());
    this.watch = w;
    this.timer = setInterval(() => this.kick(), this.resyncMs);
    this.kick();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.watch?.close();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.syncAll().catch((e: Error) => this.log.warn('namespace sync failed', { error: e.message })).finally(() => { this.running = false; });
  }

  async syncAll(): Promise<void> {
    const list = await this.registry.list(NS, undefined, {});
    for (const ns of list.items) if (ns.metadata.deletionTimestamp) await this.reconcile(ns);
  }

  /** Deletes the namespace's contents; finalizes the namespace once nothing is left. */
  async reconcile(ns: KObject): Promise<void> {
    const name = ns.metadata.name!;
    let remaining = 0;
    for (const info of RESOURCES) {
      if (!info.namespaced) continue;
      const { items } = await this.registry.list(info, name, {});
      for (const item of items) {
        remaining++;
        if (item.metadata.deletionTimestamp && info.kind !== 'Pod') continue;
        try {
          await this.registry.delete(info, name, item.metadata.name!, { propagationPolicy: 'Background' });
        } catch (e) {
          if (!(e instanceof StatusError && e.code === 404)) throw e;
        }
      }
    }
    if (remaining > 0) return;
    const spec = (ns.spec ?? {}) as { finalizers?: string[] };
    if ((spec.finalizers ?? []).length > 0) {
      const next = { ...ns, spec: { ...spec, finalizers: [] } };
      await this.registry.update(NS, undefined, name, next, {});
      this.log.info('namespace finalized', { namespace: name });
    }
  }
}
