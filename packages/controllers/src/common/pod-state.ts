import type { KObject } from '@skiff/api';

type PodLike = KObject & { status?: { phase?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[] } };

export function podPhase(pod: KObject): string {
  return (pod as PodLike).status?.phase ?? 'Pending';
}

export function isPodTerminal(pod: KObject): boolean {
  const p = podPhase(pod);
  return p === 'Succeeded' || p === 'Failed';
}

/** Counts towards a controller's replicas: not finished and not being deleted. */
export function isPodActive(pod: KObject): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

export function podReadyCondition(pod: KObject): { status: string; lastTransitionTime?: string } | undefined {
  return (pod as PodLike).status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: KObject): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * Ready for at least minReadySeconds. Returns the milliseconds still to wait when ready
 * but not yet available, so the caller can requeue.
 */
export function podAvailability(pod: KObject, minReadySeconds: number, now: number): { available: boolean; waitMs?: number } {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return { available: false };
  if (!minReadySeconds) return { available: true };
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  if (Number.isNaN(since)) return { available: true };
  const left = since + minReadySeconds * 1000 - now;
  return left <= 0 ? { available: true } : { available: false, waitMs: left };
}

export function nowRFC3339(now = Date.now()): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
