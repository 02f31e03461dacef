/**
 * The client side of SPDY/3.1 as port-forward uses it (inside a WebSocket, subprotocol
 * `SPDY/3.1+portforward.k8s.io`): we open streams (odd ids) with SYN_STREAM, exchange DATA,
 * half-close with FIN, and answer PINGs. Header blocks we send are zlib streams made of stored
 * blocks naming the SPDY/3 dictionary by its Adler-32, so no dictionary bytes are needed;
 * header blocks we receive (SYN_REPLY) carry nothing we use and are not inflated.
 */
import { EventEmitter } from 'node:events';

const VERSION = 3;
const FLAG_FIN = 0x01;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
/** Adler-32 of the SPDY/3 header dictionary (the zlib FDICT id). */
const SPDY3_DICTIONARY_ID = 3821447106;

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | VERSION, 0);
  h.writeUInt16BE(type, 2);
  h[4] = flags;
  h.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([h, payload]);
}

function dataFrame(id: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h[4] = flags;
  h.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

function headerBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n, 0); return b; };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [k, v] of entries) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s, 'utf8');
      parts.push(u32(b.length), b);
    }
  }
  return Buffer.concat(parts);
}

export interface ClientStream extends EventEmitter {
  id: number;
  write(data: Buffer): void;
  /** Half-close: DATA with FIN. */
  end(): void;
  reset(): void;
  on(ev: 'data', cb: (b: Buffer) => void): this;
  on(ev: 'end' | 'reply' | 'reset', cb: () => void): this;
}

class Stream extends EventEmitter implements ClientStream {
  ended = false;
  constructor(readonly id: number, private readonly conn: SpdyClient) { super(); }
  write(data: Buffer): void {
    for (let off = 0; off < data.length; off += 16 * 1024) this.conn.send(dataFrame(this.id, 0, data.subarray(off, off + 16 * 1024)));
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.conn.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)));
  }
  reset(): void {
    const p = Buffer.alloc(8);
    p.writeUInt32BE(this.id, 0);
    p.writeUInt32BE(5, 4); // CANCEL
    this.conn.send(controlFrame(RST_STREAM, 0, p));
    this.conn.forget(this.id);
  }
}

export class SpdyClient extends EventEmitter {
  private nextId = 1;
  private started = false;
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, Stream>();

  /** `send` writes bytes to the transport (one WebSocket message each). */
  constructor(private readonly sendBytes: (b: Buffer) => void) { super(); }

  send(b: Buffer): void {
    this.sendBytes(b);
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  private compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      const cmf = 0x78;
      let flg = 0x20;
      flg |= (31 - ((cmf * 256 + flg) % 31)) % 31;
      const id = Buffer.alloc(4);
      id.writeUInt32BE(SPDY3_DICTIONARY_ID, 0);
      parts.push(Buffer.from([cmf, flg]), id);
    }
    for (let off = 0; off < block.length; off += 0xffff) {
      const piece = block.subarray(off, off + 0xffff);
      const h = Buffer.alloc(5);
      h.writeUInt16LE(piece.length, 1);
      h.writeUInt16LE(piece.length ^ 0xffff, 3);
      parts.push(h, piece);
    }
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }

  open(headers: Record<string, string>): ClientStream {
    const id = this.nextId;
    this.nextId += 2;
    const s = new Stream(id, this);
    this.streams.set(id, s);
    const p = Buffer.alloc(10);
    p.writeUInt32BE(id, 0);
    p.writeUInt32BE(0, 4);
    this.send(controlFrame(SYN_STREAM, 0, Buffer.concat([p, this.compress(headerBlock(headers))])));
    return s;
  }

  /** Bytes from the transport. */
  feed(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4] ?? 0;
      const data = this.buf.subarray(8, 8 + len);
      const control = ((this.buf[0] ?? 0) & 0x80) !== 0;
      const typeOrId = control ? this.buf.readUInt16BE(2) : this.buf.readUInt32BE(0) & 0x7fffffff;
      this.buf = this.buf.subarray(8 + len);
      if (!control) {
        const s = this.streams.get(typeOrId);
        if (!s) continue;
        if (data.length) s.emit('data', Buffer.from(data));
        if (flags & FLAG_FIN) s.emit('end');
        continue;
      }
      if (typeOrId === SYN_REPLY) {
        const s = this.streams.get(data.readUInt32BE(0) & 0x7fffffff);
        s?.emit('reply');
        if (s && flags & FLAG_FIN) s.emit('end');
      } else if (typeOrId === RST_STREAM) {
        const id = data.readUInt32BE(0) & 0x7fffffff;
        const s = this.streams.get(id);
        this.streams.delete(id);
        s?.emit('reset');
      } else if (typeOrId === PING) {
        if (data.length >= 4 && data.readUInt32BE(0) % 2 === 0) this.send(controlFrame(PING, 0, Buffer.from(data.subarray(0, 4))));
      } else if (typeOrId === GOAWAY) {
        this.emit('goaway');
      }
      // SYN_STREAM from the server, SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do
    }
  }
}
