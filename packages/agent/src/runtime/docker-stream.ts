import { PassThrough, type Readable } from 'node:stream';

/**
 * Splits Docker's multiplexed attach/log stream (8-byte header: stream type,
 * 3 zero bytes, big-endian payload length) into payloads, across chunk boundaries.
 */
export class DockerFrameParser {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: 'stdout' | 'stderr', payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const type = this.buffered[0];
      const size = this.buffered.readUInt32BE(4);
      if (this.buffered.length < 8 + size) break;
      const payload = this.buffered.subarray(8, 8 + size);
      this.buffered = this.buffered.subarray(8 + size);
      this.onFrame(type === 2 ? 'stderr' : 'stdout', payload);
    }
  }
}

/** Demultiplexes `source` into two streams that end when it ends. */
export function demux(source: NodeJS.ReadableStream): { stdout: PassThrough; stderr: PassThrough } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const parser = new DockerFrameParser((s, p) => (s === 'stderr' ? stderr : stdout).write(p));
  source.on('data', (c: Buffer) => parser.push(c));
  const end = () => { stdout.end(); stderr.end(); };
  source.on('end', end);
  source.on('close', end);
  source.on('error', (err) => { stdout.destroy(err); stderr.destroy(err); });
  return { stdout, stderr };
}

/** Demultiplexes `source` into one stream carrying stdout and stderr in arrival order. */
export function demuxMerged(source: NodeJS.ReadableStream): PassThrough {
  const out = new PassThrough();
  const parser = new DockerFrameParser((_s, p) => out.write(p));
  source.on('data', (c: Buffer) => parser.push(c));
  source.on('end', () => out.end());
  source.on('close', () => out.end());
  source.on('error', (err) => out.destroy(err));
  const destroy = (source as Partial<Readable>).destroy?.bind(source);
  out.on('close', () => destroy?.());
  return out;
}

export function demuxBuffer(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  new DockerFrameParser((_s, p) => parts.push(p)).push(buf);
  return Buffer.concat(parts);
}
