import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  ControlType, FLAG_FIN, FrameReader, HeaderCompressor, RST_CANCEL, RST_INVALID_STREAM, RST_PROTOCOL_ERROR,
  controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, goAwayFrame, rstStreamFrame, type Frame, type Headers,
} from './spdy-frames';

/** The SPDY/3 header dictionary, from spdy-transport (the only part of it this codec uses). */
export function spdyDictionary(): Buffer {
  const t = require('spdy-transport') as { protocol: { spdy: { dictionary: Record<number, Buffer> } } };
  return t.protocol.spdy.dictionary[3]!;
}

/** Inflates header blocks with one zlib context for the whole connection, one block at a time. */
class HeaderDecompressor {
  private readonly inflate: zlib.Inflate;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dictionary: Buffer) {
    this.inflate = zlib.createInflate({ dictionary, flush: zlib.constants.Z_SYNC_FLUSH });
    this.inflate.on('error', () => undefined);
  }

  decompress(block: Buffer): Promise<Buffer> {
    const run = this.queue.then(() => new Promise<Buffer>((resolve, reject) => {
      this.inflate.write(block, (err) => {
        if (err) { reject(err); return; }
        const parts: Buffer[] = [];
        for (let c = this.inflate.read() as Buffer | null; c; c = this.inflate.read() as Buffer | null) parts.push(c);
        resolve(Buffer.concat(parts));
      });
    }));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.inflate.destroy();
  }
}

/**
 * One stream of a SPDY session: a Duplex whose readable side is the peer's
 * DATA (ending at its FIN) and whose writable side sends DATA (end() sends FIN).
 */
export class SpdyStream extends Duplex {
  /** We replied (SYN_REPLY); DATA may flow. */
  replied = false;
  private remoteClosed = false;
  private localClosed = false;

  constructor(readonly id: number, readonly headers: Headers, private readonly session: SpdySession, remoteFin: boolean) {
    super({ allowHalfOpen: true });
    if (remoteFin) this.onRemoteFin();
  }

  /** Sends SYN_REPLY (empty headers): the peer waits for it before using the stream. */
  reply(headers: Headers = {}): void {
    if (this.replied) return;
    this.replied = true;
    this.session.sendSynReply(this.id, headers);
  }

  /** Aborts the stream with RST_STREAM. */
  reset(status = RST_CANCEL): void {
    if (this.localClosed && this.remoteClosed) return;
    this.localClosed = true;
    this.remoteClosed = true;
    this.session.sendRst(this.id, status);
    this.session.forget(this.id);
    this.destroy();
  }

  override _read(): void {
    this.session.resumeReading();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!this.replied) this.reply();
    this.session.sendData(this.id, chunk, false, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.replied) this.reply();
    this.localClosed = true;
    this.session.sendData(this.id, Buffer.alloc(0), true, cb);
    this.maybeForget();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.session.forget(this.id);
    cb(err);
  }

  /** @internal */
  onRemoteData(data: Buffer): boolean {
    if (this.remoteClosed) return true;
    return this.push(data);
  }

  /** @internal */
  onRemoteFin(): void {
    if (this.remoteClosed) return;
    this.remoteClosed = true;
    this.push(null);
    this.maybeForget();
  }

  /** @internal */
  onRemoteReset(): void {
    this.remoteClosed = true;
    this.localClosed = true;
    this.destroy();
  }

  private maybeForget(): void {
    if (this.remoteClosed && this.localClosed) this.session.forget(this.id);
  }
}

/**
 * The server side of a SPDY/3.1 connection over any byte duplex (a socket
 * after `Upgrade: SPDY/3.1`, or a WebSocket carrying SPDY): emits 'stream' for
 * every SYN_STREAM the client opens, answers PINGs, and emits 'close' once.
 * Flow control windows are not enforced: the Go client (moby/spdystream)
 * neither sends nor honours WINDOW_UPDATE, so TCP backpressure is the flow
 * control, as with the kubelet.
 */
export class SpdySession extends EventEmitter {
  private readonly reader = new FrameReader();
  private readonly compressor: HeaderCompressor;
  private readonly decompressor: HeaderDecompressor;
  private readonly streams = new Map<number, SpdyStream>();
  private queue: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private closed = false;
  private paused = false;

  constructor(private readonly transport: Duplex, dictionary = spdyDictionary()) {
    super();
    this.compressor = new HeaderCompressor(dictionary);
    this.decompressor = new HeaderDecompressor(dictionary);
    transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    transport.on('end', () => this.close());
    transport.on('close', () => this.close());
    transport.on('error', (e: Error) => this.close(e));
  }

  /** Feeds bytes that arrived before the session took over (an upgrade's head). */
  feed(chunk: Buffer): void {
    if (chunk.length) this.onBytes(chunk);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends GOAWAY and closes the connection once what was written is flushed. */
  goAway(): void {
    if (this.closed) return;
    this.write(goAwayFrame(this.lastStreamId));
    this.transport.end();
    this.close();
  }

  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.destroy();
    this.streams.clear();
    this.decompressor.close();
    if (!this.transport.destroyed) this.transport.end();
    setTimeout(() => this.transport.destroy(), 1000).unref();
    this.emit('close', err);
  }

  /** @internal */
  sendSynReply(id: number, headers: Headers): void {
    const p = Buffer.alloc(4);
    p.writeUInt32BE(id, 0);
    this.write(controlFrame(ControlType.SynReply, 0, Buffer.concat([p, this.compressor.compress(encodeHeaderBlock(headers))])));
  }

  /** @internal */
  sendRst(id: number, status: number): void {
    this.write(rstStreamFrame(id, status));
  }

  /** @internal DATA frames of at most 16 KiB; `cb` runs when the transport can take more. */
  sendData(id: number, data: Buffer, fin: boolean, cb: (err?: Error | null) => void): void {
    if (this.closed) { cb(new Error('SPDY connection closed')); return; }
    let ok = true;
    if (data.length === 0) ok = this.write(dataFrame(id, fin ? FLAG_FIN : 0, data));
    for (let off = 0; off < data.length; off += 16 * 1024) {
      const last = off + 16 * 1024 >= data.length;
      ok = this.write(dataFrame(id, fin && last ? FLAG_FIN : 0, data.subarray(off, off + 16 * 1024)));
    }
    if (ok) cb(); else this.transport.once('drain', () => cb());
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** @internal */
  resumeReading(): void {
    if (this.paused) {
      this.paused = false;
      this.transport.resume();
    }
  }

  private write(buf: Buffer): boolean {
    if (this.transport.destroyed || this.transport.writableEnded) return true;
    return this.transport.write(buf);
  }

  private onBytes(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.close(e as Error);
      return;
    }
    for (const f of frames) {
      this.queue = this.queue.then(() => this.handle(f)).catch((e: unknown) => {
        this.write(goAwayFrame(this.lastStreamId, RST_PROTOCOL_ERROR));
        this.close(e as Error);
      });
    }
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    if (f.kind === 'data') {
      const s = this.streams.get(f.streamId);
      if (!s) {
        if (f.streamId > this.lastStreamId) this.sendRst(f.streamId, RST_INVALID_STREAM);
        return;
      }
      if (f.data.length && !s.onRemoteData(f.data) && !this.paused) {
        this.paused = true;
        this.transport.pause();
      }
      if (f.flags & FLAG_FIN) s.onRemoteFin();
      return;
    }
    switch (f.type) {
      case ControlType.SynStream: {
        const id = f.data.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaderBlock(await this.decompressor.decompress(f.data.subarray(10)));
        if (id === 0 || id % 2 === 0 || id <= this.lastStreamId) {
          this.sendRst(id, RST_PROTOCOL_ERROR);
          return;
        }
        this.lastStreamId = id;
        // FLAG_UNIDIRECTIONAL streams (we may not answer on them) are not used by Kubernetes clients.
        const s = new SpdyStream(id, headers, this, (f.flags & FLAG_FIN) !== 0);
        this.streams.set(id, s);
        this.emit('stream', s);
        return;
      }
      case ControlType.SynReply:
      case ControlType.Headers:
        // Keep the decompression context in step; we open no streams, so the content does not matter.
        await this.decompressor.decompress(f.data.subarray(4));
        return;
      case ControlType.RstStream: {
        const id = f.data.readUInt32BE(0) & 0x7fffffff;
        this.streams.get(id)?.onRemoteReset();
        this.streams.delete(id);
        return;
      }
      case ControlType.Ping:
        // Client pings have odd ids; answer them with the same frame.
        if (f.data.length >= 4 && f.data.readUInt32BE(0) % 2 === 1) this.write(controlFrame(ControlType.Ping, 0, f.data.subarray(0, 4)));
        return;
      case ControlType.GoAway:
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and anything unknown: nothing to do.
        return;
    }
  }
}
