import { spawn, ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { request } from 'node:https';

export const REPO = resolve(__dirname, '..', '..', '..');

/** An error that ends waitFor at once (a process died). */
export class FatalWaitError extends Error {}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      if (e instanceof FatalWaitError) throw e;
      lastErr = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((res) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** A real etcd member in a temp dir on free ports. */
export class EtcdProcess {
  proc?: ChildProcess;
  clientUrl = '';
  peerUrl = '';
  readonly name = 'test';

  constructor(readonly dir: string) {}

  get dataDir(): string {
    return join(this.dir, 'etcd');
  }

  /** Starts the member; a restart reuses its ports and data. */
  async start(): Promise<void> {
    if (!this.clientUrl) this.clientUrl = `http://127.0.0.1:${await freePort()}`;
    if (!this.peerUrl) this.peerUrl = `http://127.0.0.1:${await freePort()}`;
    const client = Number(new URL(this.clientUrl).port);
    const peer = Number(new URL(this.peerUrl).port);
    this.proc = spawn('etcd', [
      '--name', this.name, '--data-dir', this.dataDir,
      '--listen-client-urls', this.clientUrl, '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `test=http://127.0.0.1:${peer}`, '--log-level', 'error', '--logger', 'zap',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 10000) err = err.slice(-5000); });
    await waitFor('etcd', async () => {
      if (this.proc?.exitCode !== null) throw new FatalWaitError(`etcd exited: ${err}`);
      const r = await run('etcdctl', ['--endpoints', this.clientUrl, 'endpoint', 'health'], { env: { ...process.env, ETCDCTL_API: '3' }, timeoutMs: 5000 });
      return r.code === 0;
    }, 30_000);
  }

  async stop(): Promise<void> {
    await stopProcess(this.proc);
  }
}

export async function stopProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const done = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill(signal);
  const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(t);
}

/** skiff-master as a real process against a real etcd, with kubectl pointed at it. */
export class ControlPlane {
  readonly dir: string;
  etcd: EtcdProcess;
  master?: ChildProcess;
  port = 0;
  gatewayPort = 0;
  kubeconfig = '';
  private cacheDir = '';

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'skiff-test-'));
    this.etcd = new EtcdProcess(this.dir);
  }

  static async start(extraFlags: string[] = []): Promise<ControlPlane> {
    const cp = new ControlPlane();
    try {
      await cp.etcd.start();
      await cp.startMaster(extraFlags);
    } catch (e) {
      const log = existsSync(join(cp.dir, 'master.log')) ? readFileSync(join(cp.dir, 'master.log'), 'utf8').slice(-3000) : '';
      await cp.stop();
      throw new Error(`${(e as Error).message}\n${log}`);
    }
    return cp;
  }

  async startMaster(extraFlags: string[] = []): Promise<void> {
    if (!this.port) this.port = await freePort();
    if (!this.gatewayPort) this.gatewayPort = await freePort();
    this.master = spawn(process.execPath, [
      join(REPO, 'packages/master/dist/main.js'), '--home', this.dir, '--etcd-servers', this.etcd.clientUrl,
      '--secure-port', String(this.port), '--agent-gateway-port', String(this.gatewayPort), '--bind-address', '127.0.0.1', '--log-file', join(this.dir, 'master.log'),
      ...extraFlags,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    this.master.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    await waitFor('skiff-master /readyz', async () => {
      if (this.master?.exitCode !== null) throw new FatalWaitError(`skiff-master exited: ${err}`);
      return (await this.rawGet('/readyz')).status === 200;
    }, 60_000);
    this.kubeconfig = join(this.dir, 'admin.kubeconfig');
    this.cacheDir = join(this.dir, 'kube-cache');
  }

  async stopMaster(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopProcess(this.master, signal);
  }

  /** HTTPS request with the admin client certificate (or none). */
  rawRequest(method: string, path: string, opts: { body?: string | Buffer; headers?: Record<string, string>; anonymous?: boolean } = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
    const pki = join(this.dir, 'pki');
    const withCert = !opts.anonymous && existsSync(join(pki, 'admin.crt'));
    return new Promise((res, rej) => {
      const req = request({
        host: '127.0.0.1', port: this.port, path, method, rejectUnauthorized: false,
        cert: withCert ? readFileSync(join(pki, 'admin.crt')) : undefined,
        key: withCert ? readFileSync(join(pki, 'admin.key')) : undefined,
        headers: {
          Accept: 'application/json',
          ...(opts.body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(opts.body)) } : {}),
          ...opts.headers,
        },
      }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: r.headers }));
        r.on('error', rej);
      });
      req.on('error', rej);
      req.setTimeout(30_000, () => req.destroy(new Error('request timeout')));
      if (opts.body !== undefined) req.end(opts.body); else req.end();
    });
  }

  rawGet(path: string): Promise<{ status: number; body: string }> {
    return this.rawRequest('GET', path);
  }

  kubectl(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExecResult> {
    return run('kubectl', ['--kubeconfig', this.kubeconfig, '--cache-dir', this.cacheDir, ...args], opts);
  }

  /** kubectl that must succeed; returns stdout. */
  async k(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  writeFile(name: string, content: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  async stop(): Promise<void> {
    await stopProcess(this.master);
    await this.etcd.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
