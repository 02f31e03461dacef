import { deepEqual, KObject, ResourceInfo, StatusError } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import { IndexFunc, keyOf, ObjectCache } from './object-cache';

export interface EventHandlers {
  add?(obj: KObject): void;
  update?(oldObj: KObject, newObj: KObject): void;
  /** The last known state of the deleted object. */
  delete?(obj: KObject): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Record<string, IndexFunc>;
  /** Calls update(obj, obj) for every cached object this often (0: never). */
  resyncMs?: number;
  /** Delay before relisting after a watch failure. */
  relistDelayMs?: number;
}

/**
 * List+watch of one resource through the Registry (the same storage layer the API serves
 * from) into an ObjectCache, notifying handlers. A watch error (e.g. 410 Expired after a
 * compaction) leads to a relist that diffs against the cache, so handlers see the changes
 * they missed. Handlers should only enqueue keys.
 */
export class Informer {
  readonly cache: ObjectCache;
  private readonly handlers: EventHandlers[] = [];
  private watchHandle?: { close(): void };
  private stopped = false;
  private synced = false;
  private resyncTimer?: NodeJS.Timeout;
  private relistTimer?: NodeJS.Timeout;
  private generation = 0;

  constructor(
    private readonly registry: Registry,
    readonly info: ResourceInfo,
    private readonly log: Logger,
    private readonly opts: InformerOptions = {},
  ) {
    this.cache = new ObjectCache(opts.indexers);
  }

  addHandler(h: EventHandlers): void {
    this.handlers.push(h);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves after the first list has filled the cache and the watch is open. */
  async start(): Promise<void> {
    await this.listAndWatch();
    this.synced = true;
    if (this.opts.resyncMs) {
      this.resyncTimer = setInterval(() => {
        for (const o of this.cache.list()) this.emit('update', o, o);
      }, this.opts.resyncMs);
      this.resyncTimer.unref?.();
    }
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.relistTimer) clearTimeout(this.relistTimer);
    this.watchHandle?.close();
    this.watchHandle = undefined;
  }

  private async listAndWatch(): Promise<void> {
    const gen = ++this.generation;
    this.watchHandle?.close();
    this.watchHandle = undefined;
    const sel = { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector };
    const listed = await this.registry.list(this.info, this.opts.namespace, sel);
    if (this.stopped || gen !== this.generation) return;
    this.replace(listed.items);
    const handle = await this.registry.watch(this.info, this.opts.namespace, { ...sel, resourceVersion: listed.resourceVersion }, (ev) => {
      if (gen !== this.generation) return;
      switch (ev.type) {
        case 'ADDED':
        case 'MODIFIED': this.upsert(ev.object); break;
        case 'DELETED': this.removeObj(ev.object); break;
        default: break;
      }
    }, (err: StatusError) => {
      if (gen !== this.generation || this.stopped) return;
      this.log.debug('watch ended, relisting', { resource: this.info.plural, error: err.message });
      this.scheduleRelist();
    });
    if (this.stopped || gen !== this.generation) {
      handle.close();
      return;
    }
    this.watchHandle = handle;
  }

  private scheduleRelist(): void {
    this.generation++;
    this.watchHandle?.close();
    this.watchHandle = undefined;
    if (this.relistTimer) return;
    this.relistTimer = setTimeout(() => {
      this.relistTimer = undefined;
      if (this.stopped) return;
      this.listAndWatch().catch((e: Error) => {
        this.log.warn('relist failed', { resource: this.info.plural, error: e.message });
        this.scheduleRelist();
      });
    }, this.opts.relistDelayMs ?? 1000);
    this.relistTimer.unref?.();
  }

  /** Replaces the cache contents with a fresh list, emitting the differences. */
  private replace(items: KObject[]): void {
    const seen = new Set<string>();
    for (const o of items) {
      seen.add(keyOf(o));
      this.upsert(o);
    }
    for (const k of this.cache.keys()) {
      if (seen.has(k)) continue;
      const old = this.cache.remove(k);
      if (old) this.emit('delete', old);
    }
  }

  private upsert(obj: KObject): void {
    const old = this.cache.upsert(obj);
    if (!old) this.emit('add', obj);
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion || !deepEqual(old, obj)) this.emit('update', old, obj);
  }

  private removeObj(obj: KObject): void {
    const old = this.cache.remove(keyOf(obj));
    this.emit('delete', old ?? obj);
  }

  private emit(kind: 'add' | 'update' | 'delete', a: KObject, b?: KObject): void {
    for (const h of this.handlers) {
      try {
        if (kind === 'add') h.add?.(a);
        else if (kind === 'update') h.update?.(a, b!);
        else h.delete?.(a);
      } catch (e) {
        this.log.error('informer handler threw', { resource: this.info.plural, error: (e as Error).message });
      }
    }
  }
}
