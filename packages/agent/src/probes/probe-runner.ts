import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Container, Probe } from 'kubernetes-types/core/v1';
import type { Runtime } from '../runtime/runtime';

export interface ProbeOutcome {
  result: 'Success' | 'Failure';
  /** What the kubelet puts after "Liveness probe failed: ". */
  output: string;
}

/** An error running the probe itself (not a probe failure): the kubelet discards the result. */
export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}

export interface ProbeTarget {
  runtime: Runtime;
  containerId: string;
  container: Container;
  podIP?: string;
}

const MAX_OUTPUT = 10 * 1024;
const USER_AGENT = 'kube-probe/1.30';

/** Runs one probe (exec, httpGet, tcpSocket) against a container. */
export type ProbeRunner = (probe: Probe, target: ProbeTarget, timeoutSeconds: number) => Promise<ProbeOutcome>;

export const runProbe: ProbeRunner = async (probe, target, timeoutSeconds) => {
  const timeoutMs = timeoutSeconds * 1000;
  if (probe.exec) return execProbe(target, probe.exec.command ?? [], timeoutMs);
  if (probe.httpGet) {
    const g = probe.httpGet;
    const host = g.host || target.podIP;
    if (!host) throw new ProbeError('pod has no IP yet');
    const port = resolvePort(g.port, target.container);
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*' };
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    let p = g.path ?? '/';
    if (!p.startsWith('/')) p = `/${p}`;
    return httpProbe((g.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http', host, port, p, headers, timeoutMs);
  }
  if (probe.tcpSocket) {
    const host = probe.tcpSocket.host || target.podIP;
    if (!host) throw new ProbeError('pod has no IP yet');
    return tcpProbe(host, resolvePort(probe.tcpSocket.port, target.container), timeoutMs);
  }
  throw new ProbeError('missing probe handler (grpc probes are not supported yet)');
};

export function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const found = c.ports?.find((p) => p.name === port);
  if (!found) throw new ProbeError(`couldn't find port: ${port} in ${c.name}`);
  return found.containerPort;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function execProbe(t: ProbeTarget, cmd: string[], timeoutMs: number): Promise<ProbeOutcome> {
  let timer: NodeJS.Timeout | undefined;
  let session: Awaited<ReturnType<Runtime['exec']>> | undefined;
  let timedOut = false;
  const timeout = new Promise<ProbeOutcome>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      // As containerd's ExecSync does: a command past its timeout is killed, not left running.
      session?.kill?.().catch(() => undefined);
      resolve({ result: 'Failure', output: `command ${JSON.stringify(cmd.join(' '))} timed out` });
    }, timeoutMs);
  });
  const run = (async (): Promise<ProbeOutcome> => {
    const s = await t.runtime.exec(t.containerId, { cmd, stdout: true, stderr: true });
    session = s;
    if (timedOut) s.kill?.().catch(() => undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (d: Buffer) => { if (size < MAX_OUTPUT) { chunks.push(d); size += d.length; } };
    s.stdout.on('data', collect);
    s.stderr.on('data', collect);
    const drained = (r: NodeJS.ReadableStream) => new Promise<void>((res) => { r.on('end', res); r.on('close', res); r.on('error', () => res()); });
    const [code] = await Promise.all([s.wait(), drained(s.stdout), drained(s.stderr)]);
    const output = Buffer.concat(chunks).subarray(0, MAX_OUTPUT).toString('utf8');
    return { result: code === 0 ? 'Success' : 'Failure', output };
  })();
  try {
    return await Promise.race([run, timeout]);
  } catch (err) {
    throw new ProbeError(err instanceof Error ? err.message : String(err));
  } finally {
    clearTimeout(timer);
  }
}

export function httpProbe(scheme: 'http' | 'https', host: string, port: number, p: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeOutcome> {
  const url = `${scheme}://${hostPort(host, port)}${p}`;
  return new Promise((resolve) => {
    const mod = scheme === 'https' ? https : http;
    let settled = false;
    const done = (o: ProbeOutcome) => { if (!settled) { settled = true; resolve(o); } };
    const req = mod.request(url, { method: 'GET', headers, timeout: timeoutMs, ...(scheme === 'https' ? { rejectUnauthorized: false } : {}) }, (res) => {
      const code = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => undefined);
      if (code >= 200 && code < 400) done({ result: 'Success', output: '' });
      else done({ result: 'Failure', output: `HTTP probe failed with statuscode: ${code}` });
    });
    req.on('timeout', () => {
      done({ result: 'Failure', output: `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)` });
      req.destroy();
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ result: 'Failure', output: `Get "${url}": ${dialError(host, port, err)}` }));
    req.end();
  });
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    let settled = false;
    const done = (o: ProbeOutcome) => { if (!settled) { settled = true; sock.destroy(); resolve(o); } };
    sock.setTimeout(timeoutMs, () => done({ result: 'Failure', output: `dial tcp ${hostPort(host, port)}: i/o timeout` }));
    sock.on('connect', () => done({ result: 'Success', output: '' }));
    sock.on('error', (err: NodeJS.ErrnoException) => done({ result: 'Failure', output: dialError(host, port, err) }));
  });
}

/** Go's net error text for the common cases. */
function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  const hp = hostPort(host, port);
  switch (err.code) {
    case 'ECONNREFUSED': return `dial tcp ${hp}: connect: connection refused`;
    case 'EHOSTUNREACH': return `dial tcp ${hp}: connect: no route to host`;
    case 'ENETUNREACH': return `dial tcp ${hp}: connect: network is unreachable`;
    case 'ECONNRESET': return 'read: connection reset by peer';
    default: return err.message;
  }
}
