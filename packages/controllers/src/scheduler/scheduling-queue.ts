import { WorkQueue } from '../informer/work-queue';

interface Entry { key: string; priority: number; seq: number }

/** Higher priority first, then first come first served. */
function before(a: Entry, b: Entry): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}

/**
 * The scheduler's active queue (Kubernetes' PriorityQueue): the work queue's contract (a key
 * is handed to one worker at a time, re-adds while processing run again after `done`,
 * duplicates collapse, per-key back-off) but `get` hands out the pending pod with the
 * highest priority first, ties in arrival order. The priority is read when the key is added.
 */
export class SchedulingQueue extends WorkQueue {
  private readonly heap: Entry[] = [];
  private readonly queued = new Set<string>();
  private readonly pendingAgain = new Set<string>();
  private readonly busy = new Set<string>();
  private readonly fails = new Map<string, number>();
  private readonly delays = new Map<string, NodeJS.Timeout>();
  private sleepers: ((key: string | undefined) => void)[] = [];
  private closed = false;
  private seq = 0;

  constructor(private readonly priorityOf: (key: string) => number, private readonly baseMs = 50, private readonly capMs = 10_000) {
    super(baseMs, capMs);
  }

  override get length(): number {
    return this.heap.length;
  }

  override add(key: string): void {
    if (this.closed) return;
    if (this.busy.has(key)) {
      this.pendingAgain.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const w = this.sleepers.shift();
    if (w) {
      this.busy.add(key);
      w(key);
      return;
    }
    this.queued.add(key);
    this.push({ key, priority: this.priorityOf(key), seq: this.seq++ });
  }

  override addAfter(key: string, ms: number): void {
    if (this.closed) return;
    if (ms <= 0) return this.add(key);
    if (this.delays.has(key)) return;
    const t = setTimeout(() => {
      this.delays.delete(key);
      this.add(key);
    }, ms);
    t.unref?.();
    this.delays.set(key, t);
  }

  override addRateLimited(key: string, capMs = this.capMs): void {
    const n = this.fails.get(key) ?? 0;
    this.fails.set(key, n + 1);
    this.addAfter(key, Math.min(capMs, this.capMs, this.baseMs * 2 ** n));
  }

  override numRequeues(key: string): number {
    return this.fails.get(key) ?? 0;
  }

  override forget(key: string): void {
    this.fails.delete(key);
  }

  override get(): Promise<string | undefined> {
    const e = this.pop();
    if (e) {
      this.queued.delete(e.key);
      this.busy.add(e.key);
      return Promise.resolve(e.key);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.sleepers.push(r));
  }

  override done(key: string): void {
    this.busy.delete(key);
    if (this.pendingAgain.delete(key)) this.add(key);
  }

  override shutDown(): void {
    this.closed = true;
    for (const t of this.delays.values()) clearTimeout(t);
    this.delays.clear();
    const ws = this.sleepers;
    this.sleepers = [];
    for (const w of ws) w(undefined);
    super.shutDown();
  }

  /** The queued keys in the order `get` would hand them out (for tests and debugging). */
  peekOrder(): string[] {
    return [...this.heap].sort((a, b) => (before(a, b) ? -1 : 1)).map((e) => e.key);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (!top || !last || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
    return top;
  }
}
