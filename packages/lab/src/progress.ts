import type { Logger } from '@skiff/logging';

/** Progress lines on stderr (`[lab +12.3s] ...`), each also written to the lab log. */
export class Progress {
  private readonly started = Date.now();
  constructor(private readonly log: Logger, private readonly quiet = false) {}

  elapsedMs(): number {
    return Date.now() - this.started;
  }

  line(msg: string, meta?: Record<string, unknown>): void {
    this.log.info(msg, meta);
    if (!this.quiet) process.stderr.write(`[lab +${(this.elapsedMs() / 1000).toFixed(1)}s] ${msg}\n`);
  }

  warn(msg: string, meta?: Record<string, unknown>): void {
    this.log.warn(msg, meta);
    process.stderr.write(`[lab +${(this.elapsedMs() / 1000).toFixed(1)}s] WARNING: ${msg}\n`);
  }
}

/** Polls `fn` until it returns a value (not undefined), or throws after the timeout naming what it waited for. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      if ((e as Error).name === 'FatalWaitError') throw e;
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Thrown from a waitFor callback to stop waiting at once (e.g. the daemon exited). */
export class FatalWaitError extends Error {
  override readonly name = 'FatalWaitError';
}
