import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  ControlType, FLAG_FIN, FrameReader, controlFrame, dataFrame, decodeHeaderBlock, encodeHeaderBlock, type Frame,
} from './spdy-frames';
import { SpdySession, spdyDictionary, type SpdyStream } from './spdy-session';

/** A SPDY client as kubectl's (moby/spdystream) behaves: real zlib compression with the dictionary, sync-flushed per block. */
class FakeClient {
  readonly toServer = new PassThrough();
  readonly fromServer = new PassThrough();
  readonly transport = Duplex.from({ readable: this.toServer, writable: this.fromServer });
  private readonly deflate = zlib.createDeflate({ dictionary: spdyDictionary() });
  private readonly inflate = zlib.createInflate({ dictionary: spdyDictionary(), flush: zlib.constants.Z_SYNC_FLUSH });
  private readonly reader = new FrameReader();
  readonly frames: Frame[] = [];

  constructor() {
    this.fromServer.on('data', (c: Buffer) => this.frames.push(...this.reader.push(c)));
  }

  private compress(headers: Record<string, string>): Promise<Buffer> {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      const onData = (c: Buffer): void => { parts.push(c); };
      this.deflate.on('data', onData);
      this.deflate.write(encodeHeaderBlock(headers));
      this.deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        setImmediate(() => { this.deflate.off('data', onData); resolve(Buffer.concat(parts)); });
      });
    });
  }

  async synStream(id: number, headers: Record<string, string>, fin = false): Promise<void> {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    this.toServer.write(controlFrame(ControlType.SynStream, fin ? FLAG_FIN : 0, Buffer.concat([head, await this.compress(headers)])));
  }

  data(id: number, data: string, fin = false): void {
    this.toServer.write(dataFrame(id, fin ? FLAG_FIN : 0, Buffer.from(data)));
  }

  /** Inflates a SYN_REPLY's header block with the connection's one inflate context. */
  replyHeaders(f: Frame): Promise<Record<string, string>> {
    return new Promise((resolve, reject) => {
      this.inflate.write(f.data.subarray(4), (err) => {
        if (err) { reject(err); return; }
        const parts: Buffer[] = [];
        for (let c = this.inflate.read() as Buffer | null; c; c = this.inflate.read() as Buffer | null) parts.push(c);
        resolve(decodeHeaderBlock(Buffer.concat(parts)));
      });
    });
  }
}

async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('header blocks round-trip; stored-block compression is one valid zlib stream across frames', async () => {
  const c = new FakeClient();
  const server = new SpdySession(c.transport);
  const streams: SpdyStream[] = [];
  server.on('stream', (s: SpdyStream) => { streams.push(s); s.reply(); });

  await c.synStream(1, { streamtype: 'error', port: '80', requestid: '0' });
  await c.synStream(3, { streamtype: 'data', port: '80', requestid: '0' });
  await until(() => (streams.length === 2 ? true : undefined), 'two streams');
  assert.deepEqual(streams.map((s) => [s.id, s.headers.streamtype, s.headers.port, s.headers.requestid]), [[1, 'error', '80', '0'], [3, 'data', '80', '0']]);

  const replies = await until(() => {
    const r = c.frames.filter((f) => f.kind === 'control' && f.type === ControlType.SynReply);
    return r.length === 2 ? r : undefined;
  }, 'two SYN_REPLYs');
  for (const r of replies) {
    assert.deepEqual(await c.replyHeaders(r), {});
    // Each block ends like a sync flush, so inflaters that release data per block (Go's) see it at once.
    assert.deepEqual([...r.data.subarray(r.data.length - 4)], [0x00, 0x00, 0xff, 0xff]);
  }
  assert.deepEqual(replies.map((r) => r.data.readUInt32BE(0)), [1, 3]);
  server.close();
});

test('DATA flows both ways with FIN as end-of-stream; pings are answered', async () => {
  const c = new FakeClient();
  const server = new SpdySession(c.transport);
  let data: SpdyStream | undefined;
  server.on('stream', (s: SpdyStream) => { s.reply(); data = s; });
  await c.synStream(1, { streamtype: 'data', port: '8080', requestid: '7' });
  const s = await until(() => data, 'the stream');

  const received: Buffer[] = [];
  let ended = false;
  s.on('data', (b: Buffer) => received.push(b));
  s.on('end', () => { ended = true; });
  c.data(1, 'GET / HTTP/1.0\r\n');
  c.data(1, '\r\n', true);
  await until(() => (ended ? true : undefined), 'the client FIN');
  assert.equal(Buffer.concat(received).toString(), 'GET / HTTP/1.0\r\n\r\n');

  s.end(Buffer.alloc(40_000, 'x'));
  const fromServer = await until(() => {
    const d = c.frames.filter((f): f is Extract<Frame, { kind: 'data' }> => f.kind === 'data' && f.streamId === 1);
    return d.some((f) => f.flags & FLAG_FIN) ? d : undefined;
  }, 'the server FIN');
  assert.equal(Buffer.concat(fromServer.map((f) => f.data)).length, 40_000);
  assert.ok(fromServer.every((f) => f.data.length <= 16 * 1024));

  const ping = Buffer.alloc(4);
  ping.writeUInt32BE(5, 0);
  c.toServer.write(controlFrame(ControlType.Ping, 0, ping));
  const pong = await until(() => c.frames.find((f) => f.kind === 'control' && f.type === ControlType.Ping), 'the ping reply');
  assert.equal(pong.data.readUInt32BE(0), 5);
  server.close();
});

test('frames split across chunks are reassembled; a GOAWAY closes the session', async () => {
  const c = new FakeClient();
  const server = new SpdySession(c.transport);
  let closed = false;
  server.on('close', () => { closed = true; });
  const frame = controlFrame(ControlType.GoAway, 0, Buffer.alloc(8));
  c.toServer.write(frame.subarray(0, 3));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(closed, false);
  c.toServer.write(frame.subarray(3));
  await until(() => (closed ? true : undefined), 'close');
});
