/**
 * A small HTTPS client for the Kubernetes API: keep-alive, JSON in and out, Status errors
 * turned into kubectl's wording.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { CliError } from './errors';
import type { RestConfig } from './kubeconfig';

export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
export const DISCOVERY_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
export const USER_AGENT = 'skiffctl/v0.1.0 (linux/amd64) skiff';

export interface StatusBody {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; group?: string; causes?: { type?: string; message?: string; field?: string }[] };
}

const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Expired', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

const MESSAGE_BY_CODE: Record<number, string> = {
  401: 'the server has asked for the client to provide credentials',
  403: 'the server does not allow access to the requested resource',
  404: 'the server could not find the requested resource',
  405: 'the server does not allow this method on the requested resource',
  409: 'the server reported a conflict',
  422: 'the server rejected our request due to an error in our request',
  429: 'the server has received too many requests and has asked us to try again later',
  500: 'an error on the server has prevented the request from succeeding',
  503: 'the server is currently unable to handle the request',
  504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
};

/** A failed API call: the server's Status (or one built from the HTTP code). */
export class ApiError extends Error {
  constructor(readonly status: StatusBody, readonly httpCode: number) {
    super(status.message ?? '');
  }
  get reason(): string {
    return this.status.reason || REASON_BY_CODE[this.httpCode] || 'Unknown';
  }
  get code(): number {
    return this.status.code ?? this.httpCode;
  }
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.code === 404;
}

/** kubectl's StandardErrorMessage / checkErr for API errors. */
export function formatApiError(e: ApiError): string {
  const st = e.status;
  if (e.code === 401) return `error: You must be logged in to the server (${st.message || 'Unauthorized'})`;
  if (e.reason === 'Invalid' && st.details) {
    const d = st.details;
    let s = 'The request is invalid';
    if (d.kind || d.name) s = `The ${d.kind ?? ''} "${d.name ?? ''}" is invalid`;
    const causes = (d.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : c.message ?? ''));
    if (causes.length === 1) return `${s}: ${causes[0]}`;
    if (causes.length > 1) return `${s}: \n${causes.map((c) => `* ${c}`).join('\n')}`;
    return s;
  }
  return standardApiMessage(e);
}

/** StandardErrorMessage: `Error from server (Reason): message`. */
export function standardApiMessage(e: ApiError): string {
  if (e.code === 401) return `error: You must be logged in to the server (${e.status.message || 'Unauthorized'})`;
  return `Error from server (${e.reason}): ${e.message}`;
}

/** AddSourceToErr: `error when <verb> "<source>": <message>` for API errors. */
export function withSource(e: ApiError, verb: string, source: string): ApiError {
  return new ApiError({ ...e.status, message: `error when ${verb} "${source}": ${e.status.message ?? e.message}` }, e.httpCode);
}

export interface RequestOptions {
  accept?: string;
  contentType?: string;
  body?: unknown;
  query?: Record<string, string | undefined>;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** `299 - "text"` warning header values (several may share one header, comma separated). */
function splitWarnings(h: string): string[] {
  return h.match(/\d{3} [^ ]+ "(?:[^"\\]|\\.)*"(?: "[^"]*")?/g) ?? [h];
}

function parseWarning(h: string): string {
  const m = /^\d{3} [^ ]+ "((?:[^"\\]|\\.)*)"/.exec(h);
  return m ? (m[1] ?? '').replace(/\\(.)/g, '$1') : h;
}

export class ApiClient {
  /** Called with the text of each `Warning:` header (kubectl prints `Warning: <text>`). */
  onWarning?: (text: string) => void;
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(readonly config: RestConfig, readonly command = 'skiffctl') {
    this.url = new URL(config.server);
    const isHttps = this.url.protocol === 'https:';
    // with a kubeconfig CA, verify against it without Node building its bundled root store (ca-agent.ts)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const roots = isHttps && config.ca && !config.insecure ? (require('./ca-agent') as typeof import('./ca-agent')).parseCaBundle(config.ca) : undefined;
    this.agent = roots
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      ? new (require('./ca-agent') as typeof import('./ca-agent')).CaAgent(roots, { keepAlive: true, cert: config.cert, key: config.key })
      : isHttps
        ? new https.Agent({ keepAlive: true, ca: config.ca, cert: config.cert, key: config.key, rejectUnauthorized: !config.insecure })
        : new http.Agent({ keepAlive: true });
  }

  /** host[:port] as kubectl names the server in connection errors. */
  get hostPort(): string {
    return this.url.host;
  }

  close(): void {
    this.agent.destroy();
  }

  raw(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const q = Object.entries(opts.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
    const qs = q.length ? (path.includes('?') ? '&' : '?') + new URLSearchParams(q).toString() : '';
    const basePath = this.url.pathname.replace(/\/+$/, '');
    const body = opts.body === undefined ? undefined : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', 'User-Agent': USER_AGENT, 'Kubectl-Command': this.command };
    if (body) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(body.length);
    }
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    const mod = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolveP, reject) => {
      const req = mod.request({
        protocol: this.url.protocol, hostname: this.url.hostname.replace(/^\[|\]$/g, ''), port: this.url.port || undefined,
        method, path: basePath + path + qs, headers, agent: this.agent,
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const w = res.headers.warning;
          if (w && this.onWarning) for (const one of Array.isArray(w) ? w : splitWarnings(w)) this.onWarning(parseWarning(one));
          resolveP({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.connectionError(err)));
      req.setTimeout(60_000, () => req.destroy(Object.assign(new Error('context deadline exceeded'), { code: 'ETIMEDOUT' })));
      req.end(body);
    });
  }

  /**
   * A streaming GET (watch=true): calls onLine for each newline-terminated JSON document.
   * Resolves when the server ends the stream or abort() is called; a non-2xx answer throws ApiError.
   */
  stream(path: string, opts: RequestOptions, onLine: (line: string) => void): { done: Promise<void>; abort: () => void } {
    const q = Object.entries(opts.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined);
    const qs = q.length ? '?' + new URLSearchParams(q).toString() : '';
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json', 'User-Agent': USER_AGENT, 'Kubectl-Command': this.command };
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`;
    const mod = this.url.protocol === 'https:' ? https : http;
    let aborted = false;
    let req: http.ClientRequest | undefined;
    const done = new Promise<void>((resolveP, reject) => {
      req = mod.request({
        protocol: this.url.protocol, hostname: this.url.hostname.replace(/^\[|\]$/g, ''), port: this.url.port || undefined,
        method: 'GET', path: this.url.pathname.replace(/\/+$/, '') + path + qs, headers, agent: this.agent,
      }, (res) => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let st: StatusBody | undefined;
            try { st = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StatusBody; } catch { st = undefined; }
            reject(new ApiError(st?.kind === 'Status' ? st : { message: MESSAGE_BY_CODE[status] ?? `status ${status}`, reason: REASON_BY_CODE[status], code: status }, status));
          });
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buf += c;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) onLine(line);
          }
        });
        res.on('end', () => resolveP());
        res.on('close', () => resolveP());
        res.on('error', (e) => (aborted ? resolveP() : reject(e)));
      });
      req.on('error', (err: NodeJS.ErrnoException) => (aborted ? resolveP() : reject(this.connectionError(err))));
      req.end();
    });
    return { done, abort: () => { aborted = true; req?.destroy(); } };
  }

  private connectionError(err: NodeJS.ErrnoException): CliError {
    if (err.code === 'ECONNREFUSED') {
      return new CliError(`The connection to the server ${this.hostPort} was refused - did you specify the right host or port?`);
    }
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
      return new CliError(`Unable to connect to the server: dial tcp: lookup ${this.url.hostname}: no such host`);
    }
    return new CliError(`Unable to connect to the server: ${err.message}`);
  }

  /** JSON request; non-2xx answers throw ApiError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    const text = res.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status < 200 || res.status > 299) {
      const st = parsed as StatusBody | undefined;
      if (st && st.kind === 'Status') throw new ApiError(st, res.status);
      const message = (MESSAGE_BY_CODE[res.status] ?? `an error on the server ("${text.trim()}") has prevented the request from succeeding`);
      throw new ApiError({ message, reason: REASON_BY_CODE[res.status], code: res.status }, res.status);
    }
    return parsed as T;
  }

  get<T = unknown>(path: string, opts: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, opts);
  }
}
