import { randomUUID } from 'node:crypto';
import {
  apiVersionOf, deepCopy, deepEqual, isPlainObject, KObject, ResourceInfo, StatusError, FieldError, fieldErr,
} from '@skiff/api';
import { EtcdStorage, StoredValue, SideEffect, CompactedError, StorageWatch, StorageEvent } from '../storage/etcd-storage';
import { objectKey, resourcePrefix } from './keys';
import { decodeContinue, encodeContinue } from './continue-token';
import { ServiceAllocator } from './service-allocator';
import * as hooks from './api-hooks';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** For apply patches: take fields from other managers. */
  force?: boolean;
  /** The request's user, for managedFields and audit. */
  user?: string;
  /** A write by the system itself (binding): update rules on immutable fields do not apply. */
  systemWrite?: boolean;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** "" or undefined: most recent; "0": any (we serve most recent); a number: at least that recent. */
  resourceVersion?: string;
}

export interface ListResult {
  items: KObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObject;
}

export interface WatchOptions extends ListOptions {
  /** Send synthetic ADDED events for existing objects first (resourceVersion unset or "0"). */
  sendInitialEvents?: boolean;
}

/** What the registry needs to ask about namespaces (kept by the server's namespace cache). */
export interface NamespaceLookup {
  phase(name: string): Promise<string | undefined>;
}

const MAX_RETRIES = 16;
/** Kinds whose PUT creates a missing object, as their Kubernetes strategies allow. */
const CREATE_ON_UPDATE = new Set(['Endpoints', 'Event', 'Lease', 'EndpointSlice', 'Node']);

function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function qualified(info: ResourceInfo): string {
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

function hasGeneration(info: ResourceInfo): boolean {
  return ['apps', 'batch', 'policy', 'autoscaling'].includes(info.group) || info.kind === 'Pod';
}

function hasStatusSubresource(info: ResourceInfo): boolean {
  return info.subresources.some((s) => s.name === 'status');
}

/** Everything except metadata and status: a change here bumps `metadata.generation`. */
function specPart(obj: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/**
 * The generic REST storage behind every resource: Kubernetes object semantics (uid,
 * resourceVersion from etcd revisions, generation, generateName, finalizers, graceful
 * deletion, status subresource) on top of EtcdStorage, with defaulting, validation and
 * admission on every write. Controllers inside skiff-master write through this too.
 */
export class Registry {
  readonly allocator: ServiceAllocator;
  private eventLease?: { id: string; expires: number };

  constructor(readonly storage: EtcdStorage, private readonly namespaces: NamespaceLookup, allocator?: ServiceAllocator) {
    this.allocator = allocator ?? new ServiceAllocator(storage);
  }

  // ---- decoding -----------------------------------------------------------

  decode(info: ResourceInfo, sv: StoredValue | { value: Buffer; modRevision: number }): KObject {
    const obj = JSON.parse(sv.value.toString('utf8')) as KObject;
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    obj.metadata.resourceVersion = String(sv.modRevision);
    return obj;
  }

  /** Stored JSON always starts with metadata, so lists can splice the resourceVersion in without parsing. */
  private encode(obj: KObject): string {
    const metadata = { ...obj.metadata };
    delete metadata.resourceVersion;
    const { metadata: _m, ...rest } = obj;
    return JSON.stringify({ metadata, ...rest });
  }

  /** The stored text with metadata.resourceVersion set, or undefined when the text has another shape. */
  private spliceResourceVersion(sv: StoredValue): string | undefined {
    const head = '{"metadata":{"';
    if (sv.value.length < head.length || sv.value.toString('latin1', 0, head.length) !== head) return undefined;
    return `{"metadata":{"resourceVersion":"${sv.modRevision}",${sv.value.toString('utf8', head.length - 1)}`;
  }

  /**
   * A list without selectors as JSON text, built from the stored bytes without parsing each
   * object (the hot path of `kubectl get -o json` and informers' relists).
   */
  async listText(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<string | undefined> {
    if ((opts.labelSelector && opts.labelSelector.trim()) || (opts.fieldSelector && opts.fieldSelector.trim()) || opts.limit || opts.continue) return undefined;
    const prefix = resourcePrefix(info, info.namespaced ? namespace : undefined);
    const parts: string[] = [];
    let start: string | undefined;
    let revision = 0;
    for (;;) {
      const res = await this.storage.range(prefix, { startKey: start, limit: 1000, revision });
      revision = res.revision;
      for (const sv of res.items) {
        const text = this.spliceResourceVersion(sv);
        if (text === undefined) return undefined;
        parts.push(text);
      }
      const last = res.items[res.items.length - 1];
      if (!res.more || !last) break;
      start = last.key + '\0';
    }
    return `{"kind":"${info.kind}List","apiVersion":"${apiVersionOf(info)}","metadata":{"resourceVersion":"${revision}"},"items":[${parts.join(',')}]}`;
  }

  // ---- reads --------------------------------------------------------------

  async get(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KObject> {
    const sv = await this.storage.get(objectKey(info, namespace, name));
    if (!sv) throw StatusError.notFound(info.plural, name, info.group);
    return this.decode(info, sv);
  }

  /** The stored object as JSON text without a parse/serialize round trip (GET's hot path). */
  async getText(info: ResourceInfo, namespace: string | undefined, name: string): Promise<string> {
    const sv = await this.storage.get(objectKey(info, namespace, name));
    if (!sv) throw StatusError.notFound(info.plural, name, info.group);
    return this.spliceResourceVersion(sv) ?? JSON.stringify(this.decode(info, sv));
  }

  async tryGet(info: ResourceInfo, namespace: string | undefined, name: string): Promise<KObject | undefined> {
    const sv = await this.storage.get(objectKey(info, namespace, name));
    return sv ? this.decode(info, sv) : undefined;
  }

  async list(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const prefix = resourcePrefix(info, info.namespaced ? namespace : undefined);
    const match = hooks.compileSelectors(info, opts.labelSelector, opts.fieldSelector);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let revision = 0;
    let start: string | undefined;
    if (opts.continue) {
      const t = decodeContinue(opts.continue, prefix);
      revision = t.rv;
      start = t.start;
    }
    const items: KObject[] = [];
    let listRev = revision;
    for (;;) {
      let res;
      try {
        // Read a little more than asked when filtering, so one etcd round trip usually suffices;
        // unlimited lists are read in chunks at one revision to keep messages small.
        const batch = limit ? (match ? Math.max(limit * 2, 100) : limit + 1) : 1000;
        res = await this.storage.range(prefix, { startKey: start, limit: batch, revision });
      } catch (e) {
        if (e instanceof CompactedError) {
          throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
        }
        throw e;
      }
      listRev = res.revision;
      revision = res.revision;
      for (const sv of res.items) {
        if (limit && items.length === limit) {
          return { items, resourceVersion: String(listRev), continue: encodeContinue({ rv: listRev, start: sv.key }) };
        }
        const obj = this.decode(info, sv);
        if (!match || match(obj)) items.push(obj);
      }
      const last = res.items[res.items.length - 1];
      if (!res.more || !last) break;
      start = last.key + '\0';
    }
    return { items, resourceVersion: String(listRev) };
  }

  // ---- writes -------------------------------------------------------------

  private async admitNamespace(info: ResourceInfo, namespace: string | undefined, creating: boolean): Promise<void> {
    if (!info.namespaced) return;
    if (!namespace) throw StatusError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const phase = await this.namespaces.phase(namespace);
    if (phase === undefined) throw new StatusError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    if (creating && phase === 'Terminating') {
      throw new StatusError(403, 'Forbidden', `${info.plural} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`);
    }
  }

  /** Sets identity fields the server owns and checks the object against the URL. */
  private prepareMeta(info: ResourceInfo, namespace: string | undefined, obj: KObject): void {
    if (!isPlainObject(obj.metadata)) obj.metadata = {};
    const md = obj.metadata;
    if (info.namespaced) {
      if (md.namespace && namespace && md.namespace !== namespace) {
        throw StatusError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      md.namespace = namespace ?? md.namespace;
    } else {
      delete md.namespace;
    }
    if (!md.name && md.generateName) {
      md.name = `${md.generateName}${randomSuffix()}`;
    }
  }

  async create(info: ResourceInfo, namespace: string | undefined, input: KObject, opts: WriteOptions = {}): Promise<KObject> {
    const obj = deepCopy(input);
    obj.apiVersion = apiVersionOf(info);
    obj.kind = info.kind;
    this.prepareMeta(info, namespace, obj);
    const md = obj.metadata;
    await this.admitNamespace(info, md.namespace, true);
    md.uid = randomUUID();
    md.creationTimestamp = nowRFC3339();
    delete md.resourceVersion;
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    if (hasGeneration(info)) md.generation = 1; else delete md.generation;
    hooks.prepareForCreate(info, obj);
    await hooks.admitCreate(this, info, obj);
    hooks.applyDefaults(info, obj);
    const errors: FieldError[] = [];
    if (!md.name) errors.push(fieldErr.required('metadata.name', 'name or generateName is required'));
    errors.push(...hooks.validateCreate(info, obj));
    if (errors.length) throw StatusError.invalid(info.kind, String(md.name ?? ''), dedupe(errors), info.group);
    if (opts.fieldManager) hooks.trackManagedFields(info, undefined, obj, opts.fieldManager, 'Update');

    let effects: SideEffect[] = [];
    if (info.kind === 'Service') {
      // An existing service is AlreadyExists, not a clash over the addresses it holds.
      if (await this.storage.get(objectKey(info, md.namespace, md.name!))) throw StatusError.alreadyExists(info.plural, md.name!, info.group);
      effects = await this.allocator.allocate(obj as KObject & { spec?: Record<string, unknown> });
    }
    if (opts.dryRun) return obj;
    const lease = info.ttlSeconds ? await this.leaseFor(info.ttlSeconds) : undefined;
    const rev = await this.storage.create(objectKey(info, md.namespace, md.name!), this.encode(obj), effects, lease);
    if (rev === undefined) throw StatusError.alreadyExists(info.plural, md.name!, info.group);
    md.resourceVersion = String(rev);
    this.afterWrite(info, obj);
    return obj;
  }

  /**
   * Replaces an object (PUT), or its status with `subresource: 'status'`. A non-empty
   * resourceVersion must match the stored one (409 otherwise); an empty one updates
   * unconditionally. Creates the object when absent, as Kubernetes does for PUT where allowed.
   */
  async update(
    info: ResourceInfo, namespace: string | undefined, name: string, input: KObject,
    opts: WriteOptions & { subresource?: 'status' } = {},
  ): Promise<{ object: KObject; created: boolean }> {
    if (!isPlainObject(input.metadata)) input.metadata = {};
    if (input.metadata.name && input.metadata.name !== name) {
      throw StatusError.badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    const wantRV = input.metadata.resourceVersion;
    return this.guaranteedUpdate(info, namespace, name, opts, async (old) => {
      if (!old) {
        if (opts.subresource || wantRV || !CREATE_ON_UPDATE.has(info.kind)) throw StatusError.notFound(info.plural, name, info.group);
        return { create: { ...input, metadata: { ...input.metadata, name } } };
      }
      if (wantRV && wantRV !== old.metadata.resourceVersion) {
        throw StatusError.conflict(qualified(info).split('.')[0]!, name, 'the object has been modified; please apply your changes to the latest version and try again', info.group);
      }
      return { next: deepCopy(input) };
    });
  }

  /** Applies a patch of any of the four kinds to the stored object. */
  async patch(
    info: ResourceInfo, namespace: string | undefined, name: string, type: PatchType, body: unknown,
    opts: WriteOptions & { subresource?: 'status' } = {},
  ): Promise<{ object: KObject; created: boolean }> {
    return this.guaranteedUpdate(info, namespace, name, opts, async (old) => {
      if (!old) {
        if (type === 'apply' && !opts.subresource) {
          const created = hooks.applyPatch(info, undefined, body, opts.fieldManager ?? '', !!opts.force);
          created.metadata = { ...created.metadata, name };
          return { create: created, managersDone: true };
        }
        throw StatusError.notFound(info.plural, name, info.group);
      }
      const base = deepCopy(old);
      let next: KObject;
      switch (type) {
        case 'json': next = hooks.jsonPatch(base, body); break;
        case 'merge': next = hooks.mergePatch(base, body); break;
        case 'strategic': next = hooks.strategicPatch(info, base, body); break;
        case 'apply':
          if (!opts.fieldManager) throw StatusError.badRequest('PATCH requests with apply content type must have a fieldManager');
          next = hooks.applyPatch(info, base, body, opts.fieldManager, !!opts.force);
          return { next, managersDone: true };
      }
      if (!isPlainObject(next) || !isPlainObject(next.metadata)) throw StatusError.badRequest('the patch produced an object without metadata');
      return { next };
    });
  }

  /**
   * Read-modify-write with compare-and-swap on the mod revision, retried on conflicts with
   * concurrent writers. `mutate` receives the current object (undefined if absent).
   */
  private async guaranteedUpdate(
    info: ResourceInfo, namespace: string | undefined, name: string, opts: WriteOptions & { subresource?: 'status' },
    mutate: (old: KObject | undefined) => Promise<{ next?: KObject; create?: KObject; managersDone?: boolean }>,
  ): Promise<{ object: KObject; created: boolean }> {
    const key = objectKey(info, namespace, name);
    await this.admitNamespace(info, namespace, false);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const sv = await this.storage.get(key);
      const old = sv ? this.decode(info, sv) : undefined;
      const r = await mutate(old ? deepCopy(old) : undefined);
      if (r.create) {
        if (opts.subresource) throw StatusError.notFound(info.plural, name, info.group);
        try {
          const object = await this.create(info, namespace, r.create, { ...opts, fieldManager: r.managersDone ? undefined : opts.fieldManager });
          return { object, created: true };
        } catch (e) {
          if (e instanceof StatusError && e.reason === 'AlreadyExists') continue;
          throw e;
        }
      }
      if (!old || !sv || !r.next) throw StatusError.notFound(info.plural, name, info.group);
      const next = r.next;
      this.prepareUpdate(info, old, next, opts.subresource);
      if (opts.fieldManager && !r.managersDone) hooks.trackManagedFields(info, old, next, opts.fieldManager, 'Update');
      if (!opts.subresource) hooks.applyDefaults(info, next);
      const errors = opts.systemWrite ? hooks.validateCreate(info, next) : hooks.validateUpdate(info, next, old);
      if (errors.length) throw StatusError.invalid(info.kind, name, dedupe(errors), info.group);

      let effects: SideEffect[] = [];
      if (info.kind === 'Service' && !opts.subresource) effects = await this.allocator.allocate(next as KObject & { spec?: Record<string, unknown> }, old as KObject & { spec?: Record<string, unknown> });

      // Nothing changed: no write, same resourceVersion (as Kubernetes does).
      next.metadata.resourceVersion = old.metadata.resourceVersion;
      if (deepEqual(stripVolatile(next), stripVolatile(old))) return { object: old, created: false };
      if (opts.dryRun) return { object: next, created: false };

      // Finalizers removed from an object that is being deleted: it goes now.
      if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0 && readyToVanish(info, next)) {
        const release = info.kind === 'Service' ? this.allocator.release(next as never) : [];
        const rev = await this.storage.delete(key, sv.modRevision, release);
        if (rev === undefined) continue;
        next.metadata.resourceVersion = String(rev);
        return { object: next, created: false };
      }
      const rev = await this.storage.update(key, this.encode(next), sv.modRevision, effects);
      if (rev === undefined) continue;
      next.metadata.resourceVersion = String(rev);
      this.afterWrite(info, next);
      return { object: next, created: false };
    }
    throw StatusError.conflict(info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', info.group);
  }

  /** Keeps what a write may not change: identity, and status or spec depending on the subresource. */
  private prepareUpdate(info: ResourceInfo, old: KObject, next: KObject, subresource?: 'status'): void {
    next.apiVersion = apiVersionOf(info);
    next.kind = info.kind;
    if (!isPlainObject(next.metadata)) next.metadata = {};
    const md = next.metadata;
    const om = old.metadata;
    md.name = om.name;
    if (info.namespaced) md.namespace = om.namespace; else delete md.namespace;
    md.uid = om.uid;
    md.creationTimestamp = om.creationTimestamp;
    md.deletionTimestamp = om.deletionTimestamp;
    md.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    if (md.deletionTimestamp === undefined) delete md.deletionTimestamp;
    if (md.deletionGracePeriodSeconds === undefined) delete md.deletionGracePeriodSeconds;
    if (om.generation !== undefined) md.generation = om.generation; else delete md.generation;
    if (om.deletionTimestamp && md.finalizers) {
      // While deleting, finalizers may only be removed.
      md.finalizers = md.finalizers.filter((f) => (om.finalizers ?? []).includes(f));
    }
    if (subresource === 'status') {
      // Only status changes; metadata changes other than labels/annotations are dropped too.
      const keep = deepCopy(old);
      keep.status = next.status;
      keep.metadata = { ...om };
      Object.assign(next, keep);
      for (const k of Object.keys(next)) if (!(k in keep)) delete next[k];
      if (next.status === undefined) delete next.status;
      return;
    }
    if (hasStatusSubresource(info) && info.kind !== 'Namespace') {
      if (old.status === undefined) delete next.status; else next.status = deepCopy(old.status);
    }
    if (info.kind === 'Namespace') {
      next.status = deepCopy(old.status);
    }
    if (om.generation !== undefined && !deepEqual(specPart(next), specPart(old))) {
      md.generation = (om.generation ?? 0) + 1;
    }
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KObject> {
    const key = objectKey(info, namespace, name);
    for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
      const sv = await this.storage.get(key);
      if (!sv) throw StatusError.notFound(info.plural, name, info.group);
      const obj = this.decode(info, sv);
      const md = obj.metadata;
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== md.uid) {
        throw StatusError.conflict(info.plural, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${md.uid}`, info.group);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== md.resourceVersion) {
        throw StatusError.conflict(info.plural, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${md.resourceVersion}`, info.group);
      }
      const next = deepCopy(obj);
      const nmd = next.metadata;
      let finalizers = [...(nmd.finalizers ?? [])];
      if (opts.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
      if (opts.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (opts.propagationPolicy === 'Background') finalizers = finalizers.filter((f) => f !== 'orphan' && f !== 'foregroundDeletion');

      // Namespaces go through the namespace controller: mark Terminating.
      if (info.kind === 'Namespace') {
        const specFin = ((next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []);
        if (specFin.length > 0 || finalizers.length > 0) {
          if (!nmd.deletionTimestamp) nmd.deletionTimestamp = nowRFC3339();
          nmd.deletionGracePeriodSeconds = 0;
          nmd.finalizers = finalizers.length ? finalizers : undefined;
          if (!nmd.finalizers) delete nmd.finalizers;
          next.status = { ...(isPlainObject(next.status) ? next.status : {}), phase: 'Terminating' };
          if (opts.dryRun) return next;
          if (deepEqual(next, obj)) return obj;
          const rev = await this.storage.update(key, this.encode(next), sv.modRevision);
          if (rev === undefined) continue;
          nmd.resourceVersion = String(rev);
          this.afterWrite(info, next);
          return next;
        }
      }

      const grace = this.gracePeriod(info, obj, opts.gracePeriodSeconds);
      if (grace > 0 || finalizers.length > 0) {
        const now = Date.now();
        const newDeadline = new Date(now + grace * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        if (!nmd.deletionTimestamp) {
          nmd.deletionTimestamp = newDeadline;
          nmd.deletionGracePeriodSeconds = grace;
        } else if (grace < (nmd.deletionGracePeriodSeconds ?? 0)) {
          // A shorter grace period may replace a longer one, never the reverse.
          nmd.deletionTimestamp = newDeadline;
          nmd.deletionGracePeriodSeconds = grace;
        }
        if (finalizers.length) nmd.finalizers = finalizers; else delete nmd.finalizers;
        if (grace > 0 || (nmd.finalizers ?? []).length > 0) {
          if (opts.dryRun) return next;
          if (deepEqual(next, obj)) return obj;
          const rev = await this.storage.update(key, this.encode(next), sv.modRevision);
          if (rev === undefined) continue;
          nmd.resourceVersion = String(rev);
          this.afterWrite(info, next);
          return next;
        }
      }
      if (opts.dryRun) return obj;
      const release = info.kind === 'Service' ? this.allocator.release(obj as never) : [];
      const rev = await this.storage.delete(key, sv.modRevision, release);
      if (rev === undefined) continue;
      return obj;
    }
    throw StatusError.conflict(info.plural, name, 'the object has been modified; please apply your changes to the latest version and try again', info.group);
  }

  /** Pods bound to a node terminate gracefully; everything else goes at once. */
  private gracePeriod(info: ResourceInfo, obj: KObject, requested?: number): number {
    if (info.kind !== 'Pod') return 0;
    const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const phase = (obj.status as { phase?: string } | undefined)?.phase;
    if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
    const g = requested ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }

  async deleteCollection(info: ResourceInfo, namespace: string | undefined, list: ListOptions, opts: DeleteOptions = {}): Promise<KObject[]> {
    const { items } = await this.list(info, namespace, list);
    const out: KObject[] = [];
    for (const item of items) {
      try {
        out.push(await this.delete(info, item.metadata.namespace, item.metadata.name!, opts));
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  // ---- watch --------------------------------------------------------------

  /**
   * Streams events after `resourceVersion` (or, without one, the current objects as ADDED
   * and then changes). Selector transitions become ADDED/DELETED as Kubernetes sends them.
   */
  async watch(info: ResourceInfo, namespace: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent) => void, onError: (e: StatusError) => void): Promise<StorageWatch & { startRevision: number }> {
    const prefix = resourcePrefix(info, info.namespaced ? namespace : undefined);
    const match = hooks.compileSelectors(info, opts.labelSelector, opts.fieldSelector);
    let after = opts.resourceVersion && opts.resourceVersion !== '0' ? Number(opts.resourceVersion) : 0;
    if (!Number.isFinite(after) || after < 0) throw StatusError.badRequest(`invalid resource version: ${opts.resourceVersion}`);
    const initial: WatchEvent[] = [];
    if (!after || opts.sendInitialEvents) {
      const listed = await this.list(info, namespace, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, resourceVersion: opts.resourceVersion });
      for (const item of listed.items) initial.push({ type: 'ADDED', object: item });
      after = Number(listed.resourceVersion);
    }
    const translate = (ev: StorageEvent): WatchEvent | undefined => {
      if (ev.type === 'delete') {
        if (!ev.prevValue) return undefined;
        const prev = this.decode(info, { value: ev.prevValue, modRevision: ev.modRevision });
        if (match && !match(prev)) return undefined;
        return { type: 'DELETED', object: prev };
      }
      const cur = this.decode(info, { value: ev.value!, modRevision: ev.modRevision });
      const curMatch = !match || match(cur);
      if (!ev.prevValue || ev.createRevision === ev.modRevision) return curMatch ? { type: 'ADDED', object: cur } : undefined;
      if (!match) return { type: 'MODIFIED', object: cur };
      const prevMatch = match(this.decode(info, { value: ev.prevValue, modRevision: ev.modRevision }));
      if (curMatch && prevMatch) return { type: 'MODIFIED', object: cur };
      if (curMatch) return { type: 'ADDED', object: cur };
      if (prevMatch) return { type: 'DELETED', object: cur };
      return undefined;
    };
    let handle: StorageWatch;
    try {
      handle = await this.storage.watch(prefix, after, (events) => {
        for (const ev of events) {
          const out = translate(ev);
          if (out) onEvent(out);
        }
      }, (e) => onError(e instanceof CompactedError ? StatusError.gone(`too old resource version: ${opts.resourceVersion ?? ''}`) : StatusError.internal(e.message)));
    } catch (e) {
      if (e instanceof CompactedError) throw new StatusError(410, 'Expired', `too old resource version: ${after}`);
      throw e;
    }
    for (const e of initial) onEvent(e);
    return { close: () => handle.close(), startRevision: after };
  }

  // ---- helpers ------------------------------------------------------------

  /** Listeners told about every successful write made through this registry. */
  private readonly writeListeners: ((info: ResourceInfo, obj: KObject) => void)[] = [];

  onWrite(fn: (info: ResourceInfo, obj: KObject) => void): void {
    this.writeListeners.push(fn);
  }

  private afterWrite(info: ResourceInfo, obj: KObject): void {
    for (const l of this.writeListeners) l(info, obj);
  }

  private async leaseFor(ttl: number): Promise<string> {
    // One lease per ten minutes of writes keeps the number of leases small.
    const now = Date.now();
    if (!this.eventLease || this.eventLease.expires < now + ttl * 1000) {
      const id = await this.storage.grantLease(ttl + 600);
      this.eventLease = { id, expires: now + 600 * 1000 + ttl * 1000 };
    }
    return this.eventLease.id;
  }
}

function readyToVanish(info: ResourceInfo, obj: KObject): boolean {
  if (info.kind === 'Namespace') {
    return ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length === 0;
  }
  return (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
}

function stripVolatile(obj: KObject): KObject {
  const c = { ...obj, metadata: { ...obj.metadata } };
  delete c.metadata.managedFields;
  delete c.metadata.resourceVersion;
  return c;
}

function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.field}|${e.detail}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)];
  return s;
}
