/**
 * Raw HTTP requests for the pod subresources that are not JSON: a streamed GET (pods/log)
 * whose bytes are handed on unchanged, and the TLS/auth options the WebSocket upgrades
 * (exec, attach, port-forward) need.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { ApiError, StatusBody, USER_AGENT } from '../client';
import { Ctx } from '../context';
import { CliError } from '../errors';

const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 500: 'InternalError', 503: 'ServiceUnavailable' };

/** URL, TLS options and headers for a request to the API server. */
export function connectionOptions(ctx: Ctx, path: string, query: [string, string][] = []): {
  url: URL; tls: https.RequestOptions; headers: Record<string, string>;
} {
  const rc = ctx.rest();
  const base = new URL(rc.server);
  const qs = query.length ? '?' + new URLSearchParams(query).toString() : '';
  const url = new URL(base.pathname.replace(/\/+$/, '') + path + qs, base);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, 'Kubectl-Command': `kubectl ${ctx.command}` };
  if (rc.token) headers.Authorization = `Bearer ${rc.token}`;
  return { url, tls: { ca: rc.ca, cert: rc.cert, key: rc.key, rejectUnauthorized: !rc.insecure }, headers };
}

export function connectionError(url: URL, err: NodeJS.ErrnoException): CliError {
  if (err.code === 'ECONNREFUSED') return new CliError(`The connection to the server ${url.host} was refused - did you specify the right host or port?`);
  return new CliError(`Unable to connect to the server: ${err.message}`);
}

/** The ApiError a non-2xx answer stands for (its Status, or one made from the HTTP code). */
export function statusError(code: number, body: string): ApiError {
  try {
    const st = JSON.parse(body) as StatusBody;
    if (st.kind === 'Status') return new ApiError(st, code);
  } catch {
    // not a Status
  }
  return new ApiError({ message: body.trim() || `status ${code}`, reason: REASONS[code], code }, code);
}

export interface RawStream {
  /** Resolves when the server ends the body or abort() was called. */
  done: Promise<void>;
  abort: () => void;
}

/** GET with the body streamed to onData; a non-2xx answer rejects with its ApiError. */
export function streamGet(ctx: Ctx, path: string, query: [string, string][], onData: (chunk: Buffer) => void): RawStream {
  const { url, tls, headers } = connectionOptions(ctx, path, query);
  const mod = url.protocol === 'https:' ? https : http;
  let aborted = false;
  let req: http.ClientRequest | undefined;
  const done = new Promise<void>((resolve, reject) => {
    req = mod.request(url, { ...tls, method: 'GET', headers: { ...headers, Accept: 'application/json, */*' }, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => reject(statusError(status, Buffer.concat(chunks).toString('utf8'))));
        return;
      }
      res.on('data', (c: Buffer) => onData(c));
      res.on('end', () => resolve());
      res.on('close', () => resolve());
      res.on('error', (e) => (aborted ? resolve() : reject(e)));
    });
    req.on('error', (err: NodeJS.ErrnoException) => (aborted ? resolve() : reject(connectionError(url, err))));
    req.end();
  });
  return { done, abort: () => { aborted = true; req?.destroy(); } };
}

/**
 * Runs `body` until it settles or SIGINT/SIGTERM arrives; on a signal, `stop` runs and the
 * process then dies of that signal, as kubectl (which installs no handler) does.
 */
export async function untilInterrupted<T>(body: Promise<T>, stop: () => void, onSignal: 'die' | 'resolve' = 'die'): Promise<T | undefined> {
  let handler: ((sig: NodeJS.Signals) => void) | undefined;
  const interrupted = new Promise<undefined>((resolve) => {
    handler = (sig: NodeJS.Signals): void => {
      stop();
      process.removeListener('SIGINT', handler as () => void);
      process.removeListener('SIGTERM', handler as () => void);
      if (onSignal === 'die') {
        // let stdout drain, then die of the signal
        process.stdout.write('', () => process.kill(process.pid, sig));
      } else resolve(undefined);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
  try {
    return await Promise.race([body, interrupted]);
  } finally {
    if (handler) {
      process.removeListener('SIGINT', handler as () => void);
      process.removeListener('SIGTERM', handler as () => void);
    }
  }
}
