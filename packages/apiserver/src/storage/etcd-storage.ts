import { Etcd3, IKeyValue, IRequestOp, ICompare, Watcher } from 'etcd3';
import { StatusError } from '@skiff/api';

/** One stored value as read from etcd: the JSON text and its revisions. */
export interface StoredValue {
  key: string;
  value: Buffer;
  modRevision: number;
  createRevision: number;
}

export interface RangeResult {
  items: StoredValue[];
  /** The store revision the range was read at. */
  revision: number;
  more: boolean;
}

export type WatchEventType = 'put' | 'delete';

export interface StorageEvent {
  type: WatchEventType;
  key: string;
  /** The new value (put) or undefined (delete). */
  value?: Buffer;
  prevValue?: Buffer;
  modRevision: number;
  createRevision: number;
}

export interface StorageWatch {
  close(): void;
}

/** A write done in the same transaction as the main one (e.g. an IP allocation key). */
export interface SideEffect {
  key: string;
  /** Put this value; undefined deletes the key. */
  value?: string;
  /** Require the key to be absent before the put (allocation). */
  mustNotExist?: boolean;
}

export class CompactedError extends Error {
  constructor(readonly requested: number) {
    super(`too old resource version: ${requested}`);
  }
}

/** etcd refuses requests over 1.5 MiB; refuse them here first so the client's circuit breaker never trips on our input. */
export const MAX_VALUE_BYTES = 1536 * 1024;
const MAX_KEY_BYTES = 1024;

function checkSize(key: string, value?: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw StatusError.badRequest(`the object's key is too long (${Buffer.byteLength(key)} bytes, at most ${MAX_KEY_BYTES})`);
  if (value !== undefined && Buffer.byteLength(value) > MAX_VALUE_BYTES) {
    throw new StatusError(413, 'RequestEntityTooLarge', `etcdserver: request is too large: the object is ${Buffer.byteLength(value)} bytes, at most ${MAX_VALUE_BYTES}`);
  }
}

function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

function toStored(kv: IKeyValue): StoredValue {
  return { key: kv.key.toString(), value: kv.value, modRevision: Number(kv.mod_revision), createRevision: Number(kv.create_revision) };
}

function isCompactedMessage(e: unknown): boolean {
  return e instanceof Error && /compacted/i.test(e.message);
}

/**
 * The only code that talks to etcd for objects: ranges, compare-and-swap writes,
 * and watches from a revision. Knows nothing about Kubernetes objects.
 */
export class EtcdStorage {
  constructor(readonly client: Etcd3) {}

  async get(key: string): Promise<StoredValue | undefined> {
    checkSize(key);
    const res = await this.client.kv.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    return kv ? toStored(kv) : undefined;
  }

  /** Range over keys with the prefix, from startKey (inclusive), at a revision (0 = newest). */
  async range(prefix: string, opts: { startKey?: string; limit?: number; revision?: number } = {}): Promise<RangeResult> {
    const p = Buffer.from(prefix);
    try {
      const res = await this.client.kv.range({
        key: opts.startKey ? Buffer.from(opts.startKey) : p,
        range_end: prefixEnd(p),
        limit: opts.limit ?? 0,
        revision: opts.revision ?? 0,
      });
      return { items: res.kvs.map(toStored), revision: Number(res.header.revision), more: res.more };
    } catch (e) {
      if (isCompactedMessage(e)) throw new CompactedError(opts.revision ?? 0);
      throw e;
    }
  }

  async currentRevision(): Promise<number> {
    const res = await this.client.kv.range({ key: Buffer.from('/registry/'), limit: 1, keys_only: true });
    return Number(res.header.revision);
  }

  private sideOps(effects: SideEffect[]): { compare: ICompare[]; ops: IRequestOp[] } {
    const compare: ICompare[] = [];
    const ops: IRequestOp[] = [];
    for (const e of effects) {
      if (e.mustNotExist) compare.push({ key: Buffer.from(e.key), target: 'Create', result: 'Equal', create_revision: 0 });
      if (e.value === undefined) ops.push({ request_delete_range: { key: Buffer.from(e.key) } });
      else ops.push({ request_put: { key: Buffer.from(e.key), value: Buffer.from(e.value) } });
    }
    return { compare, ops };
  }

  /**
   * Creates key only if absent. Returns the new revision, or undefined when the key exists.
   * Throws a Conflict StatusError when a side effect's key already exists.
   */
  async create(key: string, value: string, effects: SideEffect[] = [], leaseId?: string): Promise<number | undefined> {
    checkSize(key, value);
    const side = this.sideOps(effects);
    const put: IRequestOp = { request_put: { key: Buffer.from(key), value: Buffer.from(value), lease: leaseId ?? 0 } };
    const res = await this.client.kv.txn({
      compare: [{ key: Buffer.from(key), target: 'Create', result: 'Equal', create_revision: 0 }, ...side.compare],
      success: [put, ...side.ops],
      failure: [{ request_range: { key: Buffer.from(key), keys_only: true } }],
    });
    if (res.succeeded) return Number(res.header.revision);
    const exists = res.responses[0]?.response_range?.kvs.length ?? 0;
    if (exists > 0) return undefined;
    throw new StatusError(409, 'Conflict', 'a value this object needs is already allocated');
  }

  /** Writes key if its mod revision is still `expected`. Returns the new revision or undefined on mismatch. */
  async update(key: string, value: string, expected: number, effects: SideEffect[] = []): Promise<number | undefined> {
    checkSize(key, value);
    const side = this.sideOps(effects);
    const res = await this.client.kv.txn({
      compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: expected }, ...side.compare],
      success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }, ...side.ops],
      failure: [{ request_range: { key: Buffer.from(key) } }],
    });
    if (res.succeeded) return Number(res.header.revision);
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (kv && Number(kv.mod_revision) === expected && side.compare.length > 0) {
      throw new StatusError(409, 'Conflict', 'a value this object needs is already allocated');
    }
    return undefined;
  }

  /** Deletes key if its mod revision is still `expected`. Returns the revision or undefined on mismatch. */
  async delete(key: string, expected: number, effects: SideEffect[] = []): Promise<number | undefined> {
    const side = this.sideOps(effects);
    const res = await this.client.kv.txn({
      compare: [{ key: Buffer.from(key), target: 'Mod', result: 'Equal', mod_revision: expected }],
      success: [{ request_delete_range: { key: Buffer.from(key) } }, ...side.ops],
      failure: [],
    });
    return res.succeeded ? Number(res.header.revision) : undefined;
  }

  /** Raw put without conditions (used for allocation bookkeeping and tests). */
  async put(key: string, value: string): Promise<number> {
    const res = await this.client.kv.put({ key: Buffer.from(key), value: Buffer.from(value) });
    return Number(res.header.revision);
  }

  /**
   * Watches keys under prefix for revisions after `afterRevision`.
   * Rejects with CompactedError when that revision is no longer available.
   */
  async watch(
    prefix: string,
    afterRevision: number,
    onEvents: (events: StorageEvent[]) => void,
    onError: (e: Error) => void,
  ): Promise<StorageWatch> {
    if (afterRevision > 0) {
      // etcd only tells a watcher about compaction by cancelling it; ask first so the
      // client gets a clean 410 before any event.
      try {
        await this.client.kv.range({ key: Buffer.from(prefix), limit: 1, revision: afterRevision, keys_only: true });
      } catch (e) {
        if (isCompactedMessage(e)) throw new CompactedError(afterRevision);
        throw e;
      }
    }
    const builder = this.client.watch().prefix(prefix).withPreviousKV();
    if (afterRevision > 0) builder.startRevision(String(afterRevision + 1));
    const watcher: Watcher = await builder.create();
    let closed = false;
    watcher.on('data', (res) => {
      if (closed) return;
      const events: StorageEvent[] = res.events.map((ev) => {
        const out: StorageEvent = {
          type: ev.type === 'Delete' ? 'delete' : 'put',
          key: ev.kv.key.toString(),
          modRevision: Number(ev.kv.mod_revision),
          createRevision: Number(ev.kv.create_revision),
        };
        if (ev.type !== 'Delete') out.value = ev.kv.value;
        if (ev.prev_kv) out.prevValue = ev.prev_kv.value;
        return out;
      });
      if (events.length) onEvents(events);
    });
    watcher.on('error', (e: Error) => {
      if (closed) return;
      closed = true;
      onError(isCompactedMessage(e) ? new CompactedError(afterRevision) : e);
      void watcher.cancel().catch(() => undefined);
    });
    return {
      close: () => {
        if (closed) return;
        closed = true;
        void watcher.cancel().catch(() => undefined);
      },
    };
  }

  /** A lease for objects that expire (events). */
  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.client.leaseClient.leaseGrant({ TTL: ttlSeconds });
    return String(res.ID);
  }
}
