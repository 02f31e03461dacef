import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuRate, pushSample, readNodeCounters, type CpuSample } from './stats-collector';
import { logOptionsOf } from './serve-logs';

test('cpuRate needs a baseline at least 1s older and gives nanocores over the window', () => {
  let h: CpuSample[] = [];
  h = pushSample(h, { atMs: 0, cpuNs: 0 });
  assert.equal(cpuRate(h), undefined);
  h = pushSample(h, { atMs: 500, cpuNs: 0 });
  assert.equal(cpuRate(h), undefined, 'half a second is too short');
  h = pushSample(h, { atMs: 2000, cpuNs: 375_000_000 });
  // The newest baseline >= 1 s older is the one at 500 ms: 0.375 s of CPU over 1.5 s is a quarter of a core.
  assert.deepEqual(cpuRate(h), { nanoCores: 250_000_000, windowMs: 1500 });
  assert.deepEqual(h.map((s) => s.atMs), [500, 2000], 'older samples are dropped');
  h = pushSample(h, { atMs: 2500, cpuNs: 500_000_000 });
  assert.deepEqual(h.map((s) => s.atMs), [500, 2000, 2500]);
  assert.deepEqual(cpuRate(h), { nanoCores: 250_000_000, windowMs: 2000 });
  h = pushSample(h, { atMs: 500_000, cpuNs: 700_000_000 });
  assert.equal(cpuRate(h), undefined, 'a baseline older than two minutes is not used');
});

test('node counters from /proc: busy time excludes idle and iowait; working set is total - available', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-proc-'));
  try {
    writeFileSync(join(dir, 'stat'), 'cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n');
    writeFileSync(join(dir, 'meminfo'), 'MemTotal:       2000 kB\nMemFree:         500 kB\nMemAvailable:    1500 kB\n');
    assert.deepEqual(await readNodeCounters(dir), { cpuNs: 161 * 1e7, workingSetBytes: 500 * 1024 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('log options: tail < 0 is all lines, sinceSeconds wins over sinceTime', () => {
  const base = { follow: true, timestamps: false, previous: false, limit_bytes: '0', since_time: '' };
  assert.deepEqual(logOptionsOf({ ...base, tail_lines: '-1', since_seconds: '0' }, 1_000_000), { follow: true, timestamps: false, previous: false });
  assert.deepEqual(logOptionsOf({ ...base, tail_lines: '5', since_seconds: '10', since_time: '2020-01-01T00:00:00Z' }, 1_000_000), { follow: true, timestamps: false, previous: false, tail: 5, since: 990 });
  assert.equal(logOptionsOf({ ...base, tail_lines: -1, since_seconds: 0, since_time: '1970-01-01T00:01:40Z' }).since, 100);
});

test('pump: frames chunked to MAX_CHUNK, limitBytes honoured, and a half-closed socket stays writable', async () => {
  const { EventEmitter } = await import('node:events');
  const { PassThrough } = await import('node:stream');
  const net = await import('node:net');
  const { ServeCall, MAX_CHUNK } = await import('./serve-call');
  const fakeCall = (): { call: never; frames: { stdout?: Buffer }[] } => {
    const frames: { stdout?: Buffer }[] = [];
    const e = Object.assign(new EventEmitter(), { write: (f: { stdout?: Buffer }) => { frames.push(f); return true; }, end: () => undefined });
    return { call: e as never, frames };
  };

  const a = fakeCall();
  const src = new PassThrough();
  src.end(Buffer.alloc(MAX_CHUNK * 2 + 10, 1));
  await new ServeCall(a.call).pump(src, 'stdout');
  assert.deepEqual(a.frames.map((f) => f.stdout?.length), [MAX_CHUNK, MAX_CHUNK, 10]);

  const b = fakeCall();
  const limited = new PassThrough();
  limited.write('hello ');
  limited.write('world');
  await new ServeCall(b.call).pump(limited, 'stdout', 8);
  assert.equal(Buffer.concat(b.frames.map((f) => f.stdout!)).toString(), 'hello wo');

  const server = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<import('node:net').Socket>((r) => server.once('connection', r));
  const client = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const peer = await accepted;
  peer.end('bye');
  const c = fakeCall();
  await new ServeCall(c.call).pump(client, 'stdout');
  assert.equal(Buffer.concat(c.frames.map((f) => f.stdout!)).toString(), 'bye');
  assert.equal(client.destroyed, false, 'the pod closing its side leaves ours open');
  const got = new Promise<string>((r) => { let s = ''; peer.on('data', (d: Buffer) => { s += d.toString(); }); peer.on('end', () => r(s)); });
  client.end('still sending');
  assert.equal(await got, 'still sending');
  server.close();
});
