import type { KObject } from '@skiff/api';

/** `namespace/name`, or `name` for cluster-scoped objects: the key work queues carry. */
export function keyOf(obj: Pick<KObject, 'metadata'>): string {
  const ns = obj.metadata.namespace;
  return ns ? `${ns}/${obj.metadata.name ?? ''}` : obj.metadata.name ?? '';
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export type IndexFunc = (obj: KObject) => string[];

/**
 * The informer's store (client-go's Indexer): objects by key plus named secondary
 * indexes. Objects handed out are the cached ones and must be treated as read-only;
 * callers deep-copy before changing anything.
 */
export class ObjectCache {
  private readonly items = new Map<string, KObject>();
  private readonly indexers = new Map<string, IndexFunc>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc> = {}) {
    this.addIndexer('namespace', (o) => [o.metadata.namespace ?? '']);
    for (const [n, f] of Object.entries(indexers)) this.addIndexer(n, f);
  }

  addIndexer(name: string, fn: IndexFunc): void {
    this.indexers.set(name, fn);
    const idx = new Map<string, Set<string>>();
    this.indexes.set(name, idx);
    for (const [k, o] of this.items) for (const v of fn(o)) addTo(idx, v, k);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): KObject | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string | undefined, name: string): KObject | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): KObject[] {
    if (namespace === undefined) return [...this.items.values()];
    return this.byIndex('namespace', namespace);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  byIndex(index: string, value: string): KObject[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) return [];
    const out: KObject[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** Adds or replaces; returns the previous object. */
  upsert(obj: KObject): KObject | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) for (const v of fn(obj)) addTo(this.indexes.get(name)!, v, key);
    return old;
  }

  remove(key: string): KObject | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private unindex(key: string, obj: KObject): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indexes.get(name)!;
      for (const v of fn(obj)) {
        const s = idx.get(v);
        if (!s) continue;
        s.delete(key);
        if (s.size === 0) idx.delete(v);
      }
    }
  }
}

function addTo(idx: Map<string, Set<string>>, value: string, key: string): void {
  let s = idx.get(value);
  if (!s) idx.set(value, (s = new Set()));
  s.add(key);
}

/** Index of objects by the uids of their owners. */
export const byOwnerUid: IndexFunc = (o) => (o.metadata.ownerReferences ?? []).map((r) => r.uid);
/** Index of pods by the node they are bound to. */
export const byNodeName: IndexFunc = (o) => {
  const n = (o.spec as { nodeName?: string } | undefined)?.nodeName;
  return n ? [n] : [];
};
