import type { Readable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import type { AgentFrame, MasterFrame, StreamFailure } from '@skiff/rpc';

/** Bytes per frame: well under gRPC's 4 MiB message limit, small enough to interleave sessions. */
export const MAX_CHUNK = 32 * 1024;

/** A session that cannot be served, with the Status the master should answer with. */
export class StreamCallError extends Error {
  override readonly name = 'StreamCallError';
  constructor(readonly reason: 'BadRequest' | 'NotFound' | 'InternalError', message: string, readonly code = reason === 'BadRequest' ? 400 : reason === 'NotFound' ? 404 : 500) {
    super(message);
  }

  toFailure(): StreamFailure {
    return { reason: this.reason, message: this.message, code: this.code };
  }
}

/**
 * The agent's end of one ServeStream call: writes that respect the call's flow
 * control, and one `closed` signal for "the master ended the session" (its half
 * closed, the call failed or was cancelled).
 */
export class ServeCall {
  /** Resolves once the session is over from the master's side. */
  readonly closed: Promise<void>;
  private isClosed = false;
  private ended = false;

  constructor(readonly call: grpc.ClientDuplexStream<AgentFrame, MasterFrame>) {
    this.closed = new Promise<void>((resolve) => {
      const done = (): void => { this.isClosed = true; resolve(); };
      call.on('end', done);
      call.on('error', done);
      call.on('close', done);
      call.on('status', done);
    });
  }

  get isOver(): boolean {
    return this.isClosed || this.ended;
  }

  /** Writes one frame; resolves when the call can take more (or is gone). */
  async send(frame: AgentFrame): Promise<void> {
    if (this.isOver) return;
    if (this.call.write(frame)) return;
    await Promise.race([new Promise<void>((r) => this.call.once('drain', () => r())), this.closed]);
  }

  /** Writes bytes as `stdout`/`stderr` frames of at most MAX_CHUNK. */
  async sendBytes(kind: 'stdout' | 'stderr', data: Buffer): Promise<void> {
    for (let off = 0; off < data.length && !this.isOver; off += MAX_CHUNK) {
      await this.send({ [kind]: data.subarray(off, off + MAX_CHUNK) });
    }
  }

  /**
   * Copies a readable into frames until it ends, the session closes, or
   * `limitBytes` (> 0) were sent. Never rejects: a failing source just ends.
   * Events rather than async iteration: leaving a `for await` destroys the
   * source, which would break a half-closed socket (port-forward).
   */
  pump(source: Readable, kind: 'stdout' | 'stderr', limitBytes = 0): Promise<void> {
    return new Promise((resolve) => {
      let sent = 0;
      let done = false;
      // 'end' can come while the last chunk is still going out: finish after it.
      let inflight: Promise<void> = Promise.resolve();
      const finish = (): void => {
        if (done) return;
        done = true;
        source.off('data', onData);
        void inflight.then(() => resolve());
      };
      const onData = (chunk: Buffer | string): void => {
        let buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
        if (limitBytes > 0 && sent + buf.length > limitBytes) buf = buf.subarray(0, limitBytes - sent);
        sent += buf.length;
        source.pause();
        inflight = this.sendBytes(kind, buf).then(() => {
          if (limitBytes > 0 && sent >= limitBytes) {
            source.destroy();
            finish();
          } else if (!done) {
            source.resume();
          }
        });
      };
      source.on('data', onData);
      source.once('end', finish);
      source.once('close', finish);
      source.once('error', finish);
      void this.closed.then(() => {
        source.destroy();
        finish();
      });
    });
  }

  fail(e: StreamCallError): void {
    if (this.isOver) return;
    this.call.write({ failure: e.toFailure() });
    this.end();
  }

  /** Ends the agent's half: the master finishes the session when it sees the end. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.call.end();
    } catch {
      // Already finished by the master.
    }
  }

  /** Input from the master, frame by frame. */
  onFrame(fn: (f: MasterFrame) => void): void {
    this.call.on('data', fn);
  }
}
