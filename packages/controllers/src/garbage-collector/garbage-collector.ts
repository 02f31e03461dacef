import { deepCopy, findByKind, isStatusError, KObject, ResourceInfo } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import type { ApiClient } from '../informer/api-client';
import type { Informer } from '../informer/informer';
import { keyOf, splitKey, type ObjectCache } from '../informer/object-cache';
import { WorkQueue } from '../informer/work-queue';
import { ownerRefsPatch } from '../common/controller-ref';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

export interface MonitoredResource {
  info: ResourceInfo;
  /** Indexed by owner uid under `owner`. */
  cache: ObjectCache;
}

export interface GarbageCollectorDeps {
  resources: MonitoredResource[];
  client: ApiClient;
  /** A live read (not the cache): owners may be newer than what their informer has seen. */
  getLive(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KObject | undefined>;
  log: Logger;
  queue?: WorkQueue;
}

/** Work items are `<group>/<plural>|<namespace>/<name>`. */
function itemKey(info: ResourceInfo, obj: KObject): string {
  return `${info.group}/${info.plural}|${keyOf(obj)}`;
}

/**
 * Deletes objects whose owners are all gone (background propagation), deletes the dependents
 * of owners being deleted with the `foregroundDeletion` finalizer and then drops that
 * finalizer once no dependent is left, and for the `orphan` finalizer removes the owner's
 * references from its dependents before dropping the finalizer.
 */
export class GarbageCollector {
  readonly queue: WorkQueue;
  private readonly byId = new Map<string, MonitoredResource>();

  constructor(private readonly d: GarbageCollectorDeps) {
    this.queue = d.queue ?? new WorkQueue(50, 30_000);
    for (const r of d.resources) this.byId.set(`${r.info.group}/${r.info.plural}`, r);
  }

  register(informers: Informer[]): void {
    for (const inf of informers) {
      const info = inf.info;
      inf.addHandler({
        add: (o) => this.observe(info, o),
        update: (_a, o) => this.observe(info, o),
        delete: (o) => {
          // Dependents of a vanished owner, and owners waiting for this dependent.
          this.enqueueDependents(o.metadata.uid!);
          this.enqueueOwners(o);
        },
      });
    }
  }

  private observe(info: ResourceInfo, o: KObject): void {
    const fin = o.metadata.finalizers ?? [];
    if (o.metadata.deletionTimestamp && (fin.includes(FOREGROUND) || fin.includes(ORPHAN))) this.queue.add(itemKey(info, o));
    if ((o.metadata.ownerReferences ?? []).length) this.queue.add(itemKey(info, o));
    if (o.metadata.deletionTimestamp) this.enqueueOwners(o);
  }

  private enqueueOwners(o: KObject): void {
    for (const ref of o.metadata.ownerReferences ?? []) {
      const info = findByKind(ref.apiVersion, ref.kind);
      if (!info) continue;
      this.queue.add(`${info.group}/${info.plural}|${info.namespaced && o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${ref.name}`);
    }
  }

  private enqueueDependents(uid: string): void {
    for (const r of this.d.resources) for (const dep of r.cache.byIndex('owner', uid)) this.queue.add(itemKey(r.info, dep));
  }

  private dependentsOf(uid: string): { info: ResourceInfo; obj: KObject }[] {
    const out: { info: ResourceInfo; obj: KObject }[] = [];
    for (const r of this.d.resources) for (const obj of r.cache.byIndex('owner', uid)) out.push({ info: r.info, obj });
    return out;
  }

  async reconcile(item: string): Promise<void> {
    const bar = item.indexOf('|');
    const res = this.byId.get(item.slice(0, bar));
    if (!res) return;
    const obj = res.cache.get(item.slice(bar + 1));
    if (!obj) return;
    const fin = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && fin.includes(ORPHAN)) await this.orphanDependents(res.info, obj);
    else if (obj.metadata.deletionTimestamp && fin.includes(FOREGROUND)) await this.deleteDependentsFirst(res.info, obj);
    if ((obj.metadata.ownerReferences ?? []).length) await this.checkOwners(res.info, obj);
  }

  private async orphanDependents(info: ResourceInfo, owner: KObject): Promise<void> {
    const uid = owner.metadata.uid!;
    for (const { info: di, obj } of this.dependentsOf(uid)) {
      const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      await ignoreNotFound(this.d.client.patch(di, obj.metadata.namespace, obj.metadata.name!, 'merge', ownerRefsPatch(obj, refs)));
    }
    await this.removeFinalizer(info, owner, ORPHAN);
  }

  private async deleteDependentsFirst(info: ResourceInfo, owner: KObject): Promise<void> {
    const deps = this.dependentsOf(owner.metadata.uid!);
    for (const { info: di, obj } of deps) {
      if (obj.metadata.deletionTimestamp) continue;
      await ignoreNotFound(this.d.client.delete(di, obj.metadata.namespace, obj.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: obj.metadata.uid } }));
    }
    if (deps.length === 0) await this.removeFinalizer(info, owner, FOREGROUND);
  }

  private async removeFinalizer(info: ResourceInfo, obj: KObject, f: string): Promise<void> {
    const next = deepCopy(obj);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((x) => x !== f);
    await ignoreNotFound(this.d.client.update(info, next));
    this.d.log.debug('finalizer removed', { object: keyOf(obj), finalizer: f });
  }

  /** Deletes an object whose owners are all gone; drops references to owners that are gone. */
  private async checkOwners(info: ResourceInfo, obj: KObject): Promise<void> {
    if (obj.metadata.deletionTimestamp) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    let waiting = false;
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const oi = findByKind(ref.apiVersion, ref.kind);
      if (!oi) { solid.push(ref); continue; } // unknown kinds are never collected
      const owner = await this.d.getLive(oi, oi.namespaced ? obj.metadata.namespace : undefined, ref.name);
      if (!owner || owner.metadata.uid !== ref.uid) { dangling.push(ref); continue; }
      if (owner.metadata.deletionTimestamp && (owner.metadata.finalizers ?? []).includes(FOREGROUND)) { waiting = true; continue; }
      solid.push(ref);
    }
    if (solid.length === 0) {
      this.d.log.debug('collecting', { object: `${info.plural}/${keyOf(obj)}`, waiting });
      await ignoreNotFound(this.d.client.delete(info, obj.metadata.namespace, obj.metadata.name!, {
        propagationPolicy: waiting ? 'Foreground' : 'Background', preconditions: { uid: obj.metadata.uid },
      }));
      return;
    }
    if (dangling.length) {
      const refs = (obj.metadata.ownerReferences ?? []).filter((r) => !dangling.some((d) => d.uid === r.uid));
      await ignoreNotFound(this.d.client.patch(info, obj.metadata.namespace, obj.metadata.name!, 'merge', ownerRefsPatch(obj, refs)));
    }
  }
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(isStatusError(e) && e.code === 404)) throw e;
  }
}

export { splitKey };
