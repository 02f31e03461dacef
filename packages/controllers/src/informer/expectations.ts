/**
 * Creations and deletions a controller has asked for but not yet seen in its cache
 * (client-go's ControllerExpectations). Until they are observed, or time out, a reconcile
 * must not act on the stale cache again, or it would create the same pods twice.
 */
export class Expectations {
  private readonly pending = new Map<string, { adds: number; dels: Set<string>; at: number }>();

  constructor(private readonly ttlMs = 5 * 60_000, private readonly clock: () => number = Date.now) {}

  satisfied(key: string): boolean {
    const e = this.pending.get(key);
    if (!e) return true;
    if ((e.adds <= 0 && e.dels.size === 0) || this.clock() - e.at > this.ttlMs) return true;
    return false;
  }

  expectCreations(key: string, n: number): void {
    this.pending.set(key, { adds: n, dels: new Set(), at: this.clock() });
  }

  /** Expected deletions are tracked by object key, since a delete may be seen as update or delete. */
  expectDeletions(key: string, objectKeys: string[]): void {
    this.pending.set(key, { adds: 0, dels: new Set(objectKeys), at: this.clock() });
  }

  creationObserved(key: string): void {
    const e = this.pending.get(key);
    if (e) e.adds--;
  }

  /** A create that failed will never be observed. */
  lowerCreations(key: string, n = 1): void {
    const e = this.pending.get(key);
    if (e) e.adds -= n;
  }

  deletionObserved(key: string, objectKey: string): void {
    this.pending.get(key)?.dels.delete(objectKey);
  }

  delete(key: string): void {
    this.pending.delete(key);
  }
}
