/**
 * Per-key exponential back-off, the kubelet's flowcontrol.Backoff as data:
 * the first restart is immediate, then 10s, 20s, ... up to 5 min; an entry
 * whose event is more than 2*max after its last update starts over.
 */
export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = { initialMs: 10_000, maxMs: 300_000 };

export interface BackoffEntry {
  backoffMs: number;
  lastUpdateMs: number;
}

export type BackoffState = ReadonlyMap<string, BackoffEntry>;

function hasExpired(eventMs: number, lastUpdateMs: number, maxMs: number): boolean {
  return eventMs - lastUpdateMs > maxMs * 2;
}

/** Remaining back-off in ms for an event (a container's finish) at eventMs, 0 when free to go. */
export function backoffRemaining(state: BackoffState, key: string, eventMs: number, nowMs: number, cfg: BackoffConfig): number {
  const e = state.get(key);
  if (!e || hasExpired(eventMs, e.lastUpdateMs, cfg.maxMs)) return 0;
  const left = e.backoffMs - (nowMs - eventMs);
  return left > 0 ? left : 0;
}

/** Records a restart: the next back-off doubles (or starts at initialMs). */
export function backoffNext(state: Map<string, BackoffEntry>, key: string, eventMs: number, nowMs: number, cfg: BackoffConfig): BackoffEntry {
  const e = state.get(key);
  const next: BackoffEntry = !e || hasExpired(eventMs, e.lastUpdateMs, cfg.maxMs)
    ? { backoffMs: cfg.initialMs, lastUpdateMs: nowMs }
    : { backoffMs: Math.min(e.backoffMs * 2, cfg.maxMs), lastUpdateMs: nowMs };
  state.set(key, next);
  return next;
}

/** Drops entries untouched for 2*max, as the kubelet's periodic GC does. */
export function backoffGC(state: Map<string, BackoffEntry>, nowMs: number, cfg: BackoffConfig): void {
  for (const [k, e] of state) if (hasExpired(nowMs, e.lastUpdateMs, cfg.maxMs)) state.delete(k);
}

/** A duration as Go prints it (time.Duration.String): 10s, 1m20s, 5m0s, 500ms. */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const totalSec = ms / 1000;
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = +(totalSec % 60).toFixed(3);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}
