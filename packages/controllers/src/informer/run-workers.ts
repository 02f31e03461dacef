import { isStatusError } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { WorkQueue } from './work-queue';

const CONFLICT_RETRY_CAP_MS = 1000;

export interface Reconciler {
  /** Idempotent: brings the world one step closer to the object's spec. Throw to retry with back-off. */
  reconcile(key: string): Promise<void>;
}

/**
 * Runs `n` workers that take keys off the queue and reconcile them; errors requeue the key
 * with back-off (a conflict is expected and retried quietly). Resolves when the queue shuts down.
 */
export async function runWorkers(queue: WorkQueue, reconciler: Reconciler, log: Logger, n = 1): Promise<void> {
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await reconciler.reconcile(key);
        queue.forget(key);
      } catch (e) {
        const conflict = isStatusError(e) && e.code === 409;
        (conflict ? log.debug : log.warn).call(log, 'reconcile failed, requeueing', { key, error: (e as Error).message, retries: queue.numRequeues(key) });
        // A conflict only means the cache was behind a write; it catches up within moments.
        queue.addRateLimited(key, conflict ? CONFLICT_RETRY_CAP_MS : undefined);
      } finally {
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: n }, worker));
}
