/**
 * The client side of the `v5.channel.k8s.io` WebSocket protocol of exec and attach: binary
 * messages whose first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 final Status,
 * 4 terminal size, 255 close of a channel).
 */
import WebSocket from 'ws';
import { ApiError, StatusBody, formatApiError } from '../client';
import { Ctx } from '../context';
import { CliError } from '../errors';
import { connectionError, connectionOptions, statusError } from './logs-stream';

export const CHANNEL_PROTOCOL = 'v5.channel.k8s.io';

export interface ChannelOptions {
  /** Bytes to send on stdin: a readable (process.stdin) or a whole buffer; none when undefined. */
  stdin?: NodeJS.ReadableStream | Buffer;
  onStdout: (b: Buffer) => void;
  onStderr: (b: Buffer) => void;
  /** Current terminal size, and a way to be told when it changes (tty only). */
  size?: () => { width: number; height: number } | undefined;
  onResize?: (cb: () => void) => () => void;
}

export interface ChannelResult {
  /** The Status sent on channel 3 (undefined if the connection ended without one). */
  status?: StatusBody;
}

export interface ChannelSession {
  done: Promise<ChannelResult>;
  close: () => void;
}

/** Opens the WebSocket and relays the channels until the server sends its Status and closes. */
export function channelSession(ctx: Ctx, path: string, query: [string, string][], opts: ChannelOptions): ChannelSession {
  const { url, tls, headers } = connectionOptions(ctx, path, query);
  const wsUrl = url.toString().replace(/^http/, 'ws');
  const ws = new WebSocket(wsUrl, [CHANNEL_PROTOCOL], { ...tls, headers, perMessageDeflate: false });
  let status: ChannelResult['status'];
  let stopResize: (() => void) | undefined;
  let stdinListeners: (() => void) | undefined;
  const send = (ch: number, data?: Buffer): void => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(Buffer.concat([Buffer.from([ch]), data ?? Buffer.alloc(0)]), { binary: true });
  };
  const done = new Promise<ChannelResult>((resolve, reject) => {
    const finish = (): void => {
      stopResize?.();
      stdinListeners?.();
      resolve({ status });
    };
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(statusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code) reject(connectionError(url, err));
      else reject(new CliError(`error: ${err.message}`));
    });
    ws.on('open', () => {
      if (ws.protocol !== CHANNEL_PROTOCOL) {
        ws.terminate();
        reject(new CliError(`error: unable to upgrade connection: the server did not agree to ${CHANNEL_PROTOCOL}`));
        return;
      }
      if (opts.size) {
        const sendSize = (): void => {
          const s = opts.size?.();
          if (s) send(4, Buffer.from(`${JSON.stringify({ Width: s.width, Height: s.height })}\n`));
        };
        sendSize();
        stopResize = opts.onResize?.(sendSize);
      }
      const input = opts.stdin;
      if (Buffer.isBuffer(input)) {
        for (let off = 0; off < input.length; off += 32 * 1024) send(0, input.subarray(off, off + 32 * 1024));
        send(255, Buffer.from([0]));
      } else if (input) {
        const onData = (c: Buffer | string): void => send(0, Buffer.isBuffer(c) ? c : Buffer.from(c));
        const onEnd = (): void => send(255, Buffer.from([0]));
        input.on('data', onData);
        input.on('end', onEnd);
        stdinListeners = (): void => {
          input.removeListener('data', onData);
          input.removeListener('end', onEnd);
          input.pause();
          (input as { unref?: () => void }).unref?.();
        };
        input.resume();
      }
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const ch = data[0];
      const payload = data.subarray(1);
      if (ch === 1) opts.onStdout(payload);
      else if (ch === 2) opts.onStderr(payload);
      else if (ch === 3) {
        try {
          status = JSON.parse(payload.toString('utf8')) as ChannelResult['status'];
        } catch {
          status = { status: 'Failure', message: payload.toString('utf8') };
        }
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      }
    });
    ws.on('close', finish);
  });
  return { done, close: () => ws.terminate() };
}

/**
 * What the final Status means for the command: 0, the remote exit code (after
 * `command terminated with exit code N` on stderr), or an error.
 */
export function exitCodeOf(ctx: Ctx, r: ChannelResult): number {
  const st = r.status;
  if (!st || st.status === 'Success') return 0;
  if (st.reason === 'NonZeroExitCode') {
    const cause = (st.details?.causes as { reason?: string; message?: string }[] | undefined)?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) {
      ctx.err(`command terminated with exit code ${code}\n`);
      return code;
    }
  }
  throw new CliError(formatApiError(new ApiError({ ...st, kind: 'Status' }, st.code ?? 500)));
}

/** The local terminal, when stdin is one and a tty was asked for: raw mode and size updates. */
export function localTerminal(): { size: () => { width: number; height: number } | undefined; onResize: (cb: () => void) => () => void; restore: () => void } | undefined {
  const stdin = process.stdin;
  if (!stdin.isTTY) return undefined;
  stdin.setRawMode(true);
  return {
    size: () => (process.stdout.isTTY ? { width: process.stdout.columns, height: process.stdout.rows } : undefined),
    onResize: (cb) => {
      process.stdout.on('resize', cb);
      return () => process.stdout.removeListener('resize', cb);
    },
    restore: () => { if (stdin.isTTY) stdin.setRawMode(false); },
  };
}
