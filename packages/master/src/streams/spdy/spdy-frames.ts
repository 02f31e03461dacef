import { adler32 } from './adler32';

/**
 * SPDY/3.1 framing (the subset Kubernetes' streaming protocols use): frame
 * parsing and serialisation, and header blocks. Header blocks are compressed
 * with zlib and the SPDY/3 dictionary, one zlib stream per direction for the
 * whole connection; what we send uses stored (uncompressed) deflate blocks,
 * each followed by the empty block a sync flush ends with, which every
 * inflater reads, so compression needs no zlib state here.
 */

export const SPDY_VERSION = 3;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

export const enum ControlType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}

/** RST_STREAM status codes. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_INVALID_STREAM = 2;
export const RST_REFUSED_STREAM = 3;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;

export type Frame =
  | { kind: 'data'; streamId: number; flags: number; data: Buffer }
  | { kind: 'control'; type: number; flags: number; data: Buffer };

/** Splits a byte stream into frames, across chunk boundaries. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Frames completed by `chunk`; throws on a frame of another SPDY version. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUIntBE(5, 3);
      if (this.buf.length < 8 + len) break;
      const flags = this.buf[4]!;
      const data = this.buf.subarray(8, 8 + len);
      if (this.buf[0]! & 0x80) {
        const version = this.buf.readUInt16BE(0) & 0x7fff;
        if (version !== SPDY_VERSION) throw new Error(`unsupported SPDY version ${version}`);
        out.push({ kind: 'control', type: this.buf.readUInt16BE(2), flags, data });
      } else {
        out.push({ kind: 'data', streamId: this.buf.readUInt32BE(0) & 0x7fffffff, flags, data });
      }
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}

function frameHeader(first: number, second: number, flags: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(first, 0);
  h.writeUInt16BE(second, 2);
  h[4] = flags;
  h.writeUIntBE(length, 5, 3);
  return h;
}

export function controlFrame(type: ControlType, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(0x8000 | SPDY_VERSION, type, flags, payload.length), payload]);
}

export function dataFrame(streamId: number, flags: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h[4] = flags;
  h.writeUIntBE(data.length, 5, 3);
  return Buffer.concat([h, data]);
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(ControlType.RstStream, 0, p);
}

export function goAwayFrame(lastGoodStreamId: number, status = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return controlFrame(ControlType.GoAway, 0, p);
}

export type Headers = Record<string, string>;

/** The uncompressed name/value block: count, then length-prefixed names and values (32-bit). */
export function encodeHeaderBlock(headers: Headers): Buffer {
  const parts: Buffer[] = [];
  const entries = Object.entries(headers);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length, 0);
  parts.push(count);
  for (const [k, v] of entries) {
    for (const s of [k.toLowerCase(), v]) {
      const b = Buffer.from(s, 'utf8');
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length, 0);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Headers {
  const out: Headers = {};
  let off = 0;
  const u32 = (): number => {
    if (off + 4 > block.length) throw new Error('SPDY header block truncated');
    const v = block.readUInt32BE(off);
    off += 4;
    return v;
  };
  const str = (): string => {
    const n = u32();
    if (off + n > block.length) throw new Error('SPDY header block truncated');
    const s = block.toString('utf8', off, off + n);
    off += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const k = str().toLowerCase();
    // Several values travel NUL-separated; Kubernetes headers have one.
    out[k] = str().split('\0')[0] ?? '';
  }
  return out;
}

/**
 * The sending half of a header-compression context: a zlib stream (with the
 * dictionary's id, as SPDY requires) made of stored blocks, one per header block.
 */
export class HeaderCompressor {
  private started = false;

  constructor(private readonly dictionary: Buffer) {}

  compress(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window); FLG with FDICT, and FCHECK making the pair a multiple of 31.
      const cmf = 0x78;
      let flg = 0x20;
      flg |= (31 - ((cmf * 256 + flg) % 31)) % 31;
      const dictId = Buffer.alloc(4);
      dictId.writeUInt32BE(adler32(this.dictionary), 0);
      parts.push(Buffer.from([cmf, flg]), dictId);
    }
    for (let off = 0; off < block.length || off === 0; off += 0xffff) {
      const piece = block.subarray(off, off + 0xffff);
      const h = Buffer.alloc(5);
      h[0] = 0x00; // BFINAL=0, BTYPE=00 (stored); the rest of the byte is padding.
      h.writeUInt16LE(piece.length, 1);
      h.writeUInt16LE(piece.length ^ 0xffff, 3);
      parts.push(h, piece);
      if (block.length === 0) break;
    }
    // An empty stored block, as zlib's Z_SYNC_FLUSH ends with: Go's inflater hands out a
    // stored block's bytes only when it reaches the next block header.
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    return Buffer.concat(parts);
  }
}
