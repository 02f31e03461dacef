/**
 * A one-node cluster for end-to-end tests and benchmarks: a real etcd and
 * skiff-master (ControlPlane), and a real skiff-agent process joined to the
 * master's agent gateway with a bootstrap token, on the local Docker engine.
 *
 *   const node = await AgentNode.start();          // images built, node Ready
 *   await node.createPod({ metadata: { name: 'p' }, spec: { containers: [...] } });
 *   await node.waitPod('p', 'Running', (p) => p.status?.phase === 'Running');
 *   await node.stop();                              // agent, Docker objects of its pods, master, etcd
 *
 * Pods get spec.nodeName = this node unless they name one. `node.watch`
 * keeps every pod's latest object and history from one API watch, so that
 * tests wait on it instead of polling kubectl.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event as KEvent, Pod } from 'kubernetes-types/core/v1';
import { Etcd3 } from 'etcd3';
import { caHash, EtcdStorage, NamespaceCache, Registry } from '@skiff/apiserver';
import { nullLogger } from '@skiff/logging';
import { createBootstrapToken } from '@skiff/master';
import { ControlPlane, FatalWaitError, REPO, run, stopProcess, waitFor, type ExecResult } from './control-plane';

export const AGENT_MAIN = join(REPO, 'packages/agent/dist/main.js');

/** The local registries (scripts/registry.sh): the only ones test agents may pull from. */
export const LOCAL_REGISTRIES = ['127.0.0.1:5000', 'localhost:5000', '127.0.0.1:5001', 'localhost:5001'];

export interface AgentNodeOptions {
  /** Default: e2e-<pid/time>. */
  nodeName?: string;
  masterFlags?: string[];
  /** Extra skiff-agent flags (after the join flags). */
  agentFlags?: string[];
  allowedRegistries?: string[];
  /** Run test/images/build.sh first (default true). */
  buildImages?: boolean;
  /** Keep the agent's home after stop() (also SKIFF_KEEP_AGENT_HOME=1). */
  keepHome?: boolean;
}

export interface PodRecord {
  pod: Pod;
  /** Every version seen, oldest first, with the time it arrived. */
  history: { at: number; pod: Pod }[];
  deleted?: number;
}

/**
 * One watch on all pods; keeps the newest object of each and its history.
 * Reconnects (list + watch) when the stream ends.
 */
export class PodWatch {
  readonly pods = new Map<string, PodRecord>();
  private readonly listeners = new Set<(key: string, rec: PodRecord, type: string) => void>();
  private req?: ReturnType<typeof request>;
  private stopped = false;
  private readonly agent: HttpsAgent;

  private constructor(private readonly port: number, dir: string) {
    this.agent = new HttpsAgent({
      keepAlive: true, rejectUnauthorized: false,
      cert: readFileSync(join(dir, 'pki/admin.crt')), key: readFileSync(join(dir, 'pki/admin.key')),
    });
  }

  static async start(cp: ControlPlane): Promise<PodWatch> {
    const w = new PodWatch(cp.port, cp.dir);
    await w.connect();
    return w;
  }

  static key(namespace: string | undefined, name: string | undefined): string {
    return `${namespace ?? 'default'}/${name ?? ''}`;
  }

  get(name: string, namespace = 'default'): PodRecord | undefined {
    return this.pods.get(PodWatch.key(namespace, name));
  }

  onChange(fn: (key: string, rec: PodRecord, type: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private http(path: string): Promise<{ status: number; body: string }> {
    return new Promise((res, rej) => {
      const r = request({ host: '127.0.0.1', port: this.port, path, agent: this.agent, headers: { Accept: 'application/json' } }, (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () => res({ status: resp.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        resp.on('error', rej);
      });
      r.on('error', rej);
      r.end();
    });
  }

  private record(type: string, pod: Pod): void {
    const key = PodWatch.key(pod.metadata?.namespace, pod.metadata?.name);
    let rec = this.pods.get(key);
    const now = Date.now();
    if (!rec || (rec.pod.metadata?.uid !== pod.metadata?.uid && type !== 'DELETED')) {
      rec = { pod, history: [] };
      this.pods.set(key, rec);
    }
    if (rec.history.length && rec.pod.metadata?.resourceVersion === pod.metadata?.resourceVersion && type !== 'DELETED') return;
    rec.pod = pod;
    rec.history.push({ at: now, pod });
    if (type === 'DELETED') rec.deleted = now;
    for (const l of this.listeners) l(key, rec, type);
  }

  private async connect(): Promise<void> {
    const list = await this.http('/api/v1/pods');
    if (list.status !== 200) throw new Error(`listing pods: HTTP ${list.status} ${list.body.slice(0, 200)}`);
    const parsed = JSON.parse(list.body) as { metadata: { resourceVersion: string }; items: Pod[] };
    for (const p of parsed.items) this.record('ADDED', p);
    await new Promise<void>((resolve, reject) => {
      const path = `/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${parsed.metadata.resourceVersion}`;
      const req = request({ host: '127.0.0.1', port: this.port, path, agent: this.agent, headers: { Accept: 'application/json' } }, (resp) => {
        if (resp.statusCode !== 200) { reject(new Error(`watch: HTTP ${resp.statusCode}`)); resp.resume(); return; }
        resolve();
        let buf = '';
        resp.on('data', (c: Buffer) => {
          buf += c.toString();
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as { type: string; object: Pod };
            if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') this.record(ev.type, ev.object);
          }
        });
        const again = (): void => {
          if (this.stopped || this.req !== req) return;
          this.req = undefined;
          setTimeout(() => { if (!this.stopped) this.connect().catch(() => setTimeout(again, 500)); }, 200);
        };
        resp.on('end', again);
        resp.on('error', again);
        resp.on('close', again);
      });
      this.req = req;
      req.on('error', (e) => { if (!this.stopped) reject(e); });
      req.end();
    });
  }

  /** Resolves with fn's first non-empty answer for the pod, checked on every change. */
  until<T>(name: string, what: string, fn: (rec: PodRecord) => T | undefined | false, timeoutMs: number, opts: { namespace?: string; fatal?: () => void } = {}): Promise<T> {
    const key = PodWatch.key(opts.namespace ?? 'default', name);
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, v?: T): void => {
        if (done) return;
        done = true;
        off();
        clearTimeout(timer);
        clearInterval(tick);
        if (err) reject(err); else resolve(v as T);
      };
      const check = (): void => {
        try {
          opts.fatal?.();
          const rec = this.pods.get(key);
          if (!rec) return;
          const v = fn(rec);
          if (v !== undefined && v !== false) finish(undefined, v);
        } catch (e) {
          finish(e as Error);
        }
      };
      const off = this.onChange((k) => { if (k === key) check(); });
      // Also on a clock: time-based conditions and a dead agent.
      const tick = setInterval(check, 500);
      const timer = setTimeout(() => {
        const rec = this.pods.get(key);
        const st = rec ? JSON.stringify(rec.pod.status ?? {}).slice(0, 1500) : 'no such pod';
        finish(new Error(`timed out after ${timeoutMs} ms waiting for pod ${key}: ${what}; last status: ${st}`));
      }, timeoutMs);
      check();
    });
  }

  stop(): void {
    this.stopped = true;
    this.req?.destroy();
    this.agent.destroy();
  }
}

interface AgentProc { proc: ChildProcess; stderr: () => string }

export class AgentNode {
  readonly nodeName: string;
  home = '';
  agent?: AgentProc;
  watch!: PodWatch;
  gatewayAddress = '';
  private caCert = '';
  private readonly uids = new Set<string>();
  private readonly hostDirs: string[] = [];

  private constructor(readonly cp: ControlPlane, readonly opts: AgentNodeOptions) {
    this.nodeName = opts.nodeName ?? `e2e-${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  }

  static async start(opts: AgentNodeOptions = {}): Promise<AgentNode> {
    if (opts.buildImages !== false) execFileSync('bash', [join(REPO, 'test/images/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    const cp = await ControlPlane.start(opts.masterFlags ?? []);
    const node = new AgentNode(cp, opts);
    try {
      node.home = mkdtempSync(join(tmpdir(), 'skiff-agent-node-'));
      node.caCert = readFileSync(join(cp.dir, 'pki/ca.crt'), 'utf8');
      node.gatewayAddress = `127.0.0.1:${cp.gatewayPort}`;
      const token = await AgentNode.bootstrapToken(cp);
      node.startAgent(['--token', token, '--ca-hash', caHash(node.caCert)]);
      await node.waitNodeReady(40_000);
      node.watch = await PodWatch.start(cp);
    } catch (e) {
      const log = node.agentLog(3000);
      await node.stop();
      throw new Error(`${(e as Error).message}\nagent log tail:\n${log}`);
    }
    return node;
  }

  /** A fresh bootstrap token in the control plane's etcd, made as `skiff token create` does. */
  static async bootstrapToken(cp: ControlPlane, ttlSeconds = 3600): Promise<string> {
    const etcd = new Etcd3({ hosts: [cp.etcd.clientUrl], dialTimeout: 5000 });
    const ns = new NamespaceCache();
    try {
      const registry = new Registry(new EtcdStorage(etcd), ns);
      await ns.start(registry, nullLogger());
      return await createBootstrapToken(registry, ttlSeconds, 'e2e test node');
    } finally {
      ns.close();
      etcd.close();
    }
  }

  // ---- the agent process ----

  get agentPid(): number | undefined {
    return this.agent?.proc.pid;
  }

  /** Starts skiff-agent (join flags are only needed the first time: credentials are kept in home). */
  startAgent(joinFlags: string[] = []): AgentProc {
    const registries = (this.opts.allowedRegistries ?? LOCAL_REGISTRIES).join(',');
    const proc = spawn(process.execPath, [
      AGENT_MAIN, '--home', this.home, '--node-name', this.nodeName, '--join', this.gatewayAddress,
      '--log-file', join(this.home, 'agent.log'), '--allowed-registries', registries, '--proxy-mode', 'none',
      ...joinFlags, ...(this.opts.agentFlags ?? []),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); if (err.length > 20_000) err = err.slice(-10_000); });
    this.agent = { proc, stderr: () => err };
    return this.agent;
  }

  /** SIGTERM (or the given signal) and wait for the exit. */
  async stopAgent(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopProcess(this.agent?.proc, signal);
  }

  /** kill -9 and wait for the exit. */
  async killAgent(): Promise<void> {
    const p = this.agent?.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const done = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await done;
  }

  /** Throws FatalWaitError when the agent process has exited (for waitFor loops). */
  alive(): void {
    const p = this.agent?.proc;
    if (p && (p.exitCode !== null || p.signalCode !== null)) {
      throw new FatalWaitError(`skiff-agent exited (${p.exitCode ?? p.signalCode}): ${this.agent?.stderr() ?? ''}\n${this.agentLog(3000)}`);
    }
  }

  agentLog(tailChars = 4000): string {
    const f = join(this.home, 'agent.log');
    return this.home && existsSync(f) ? readFileSync(f, 'utf8').slice(-tailChars) : '';
  }

  /** How many times the agent logged that it is in sync with the gateway. */
  syncCount(): number {
    const f = join(this.home, 'agent.log');
    return existsSync(f) ? (readFileSync(f, 'utf8').match(/in sync with the gateway/g) ?? []).length : 0;
  }

  /** VmRSS of the agent process in KiB. */
  agentRssKiB(): number {
    const pid = this.agentPid;
    if (!pid) return NaN;
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  }

  async waitNodeReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(`node ${this.nodeName} Ready`, async () => {
      this.alive();
      const r = await this.cp.rawGet(`/api/v1/nodes/${this.nodeName}`);
      if (r.status !== 200) return undefined;
      const n = JSON.parse(r.body) as { status?: { conditions?: { type: string; status: string }[] } };
      return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, timeoutMs, 250);
  }

  // ---- kubectl ----

  kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return this.cp.kubectl(args, opts);
  }

  k(args: string[], opts: { input?: string } = {}): Promise<string> {
    return this.cp.k(args, opts);
  }

  // ---- pods ----

  /** kubectl create of a Pod (nodeName set to this node unless given); returns it as created. */
  async createPod(pod: Pod): Promise<Pod> {
    const obj: Pod = {
      apiVersion: 'v1', kind: 'Pod', ...pod,
      metadata: { namespace: 'default', ...pod.metadata },
      spec: { nodeName: this.nodeName, ...pod.spec, containers: pod.spec?.containers ?? [] },
    };
    const out = await this.k(['create', '-o', 'json', '-f', '-'], { input: JSON.stringify(obj) });
    const created = JSON.parse(out) as Pod;
    if (created.metadata?.uid) this.uids.add(created.metadata.uid);
    return created;
  }

  /** The pod as the API has it now (undefined when gone). */
  async getPod(name: string, namespace = 'default'): Promise<Pod | undefined> {
    const r = await this.cp.rawGet(`/api/v1/namespaces/${namespace}/pods/${name}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new Error(`GET pod ${namespace}/${name}: HTTP ${r.status}`);
    return JSON.parse(r.body) as Pod;
  }

  /** Waits (on the watch) until fn(pod) gives a value; fails early when the agent died. */
  waitPod<T>(name: string, what: string, fn: (pod: Pod, rec: PodRecord) => T | undefined | false, timeoutMs = 30_000, namespace = 'default'): Promise<T> {
    return this.watch.until(name, what, (rec) => fn(rec.pod, rec), timeoutMs, { namespace, fatal: () => this.alive() });
  }

  /** kubectl get pod --no-headers: the row as kubectl prints it. */
  async podRow(name: string, namespace = 'default'): Promise<string> {
    return (await this.kubectl(['get', 'pod', name, '-n', namespace, '--no-headers'])).stdout.trim();
  }

  /**
   * `kubectl get pod <name> -w --no-headers` in the background: every row
   * kubectl prints as the pod changes (states too short-lived to poll for).
   */
  watchRows(name: string, namespace = 'default'): { rows: () => string[]; stop: () => void } {
    const proc = spawn('kubectl', ['--kubeconfig', this.cp.kubeconfig, 'get', 'pod', name, '-n', namespace, '-w', '--no-headers'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    proc.on('error', () => undefined);
    return {
      rows: () => out.split('\n').map((l) => l.trim()).filter(Boolean),
      stop: () => { if (proc.exitCode === null) proc.kill('SIGTERM'); },
    };
  }

  /** Waits until `kubectl get pod` shows a row matching re. */
  async waitRow(name: string, re: RegExp, timeoutMs = 30_000, namespace = 'default'): Promise<string> {
    return waitFor(`kubectl get pod ${name} matching ${re}`, async () => {
      this.alive();
      const row = await this.podRow(name, namespace);
      return re.test(row) ? row : undefined;
    }, timeoutMs, 400);
  }

  /** Events about an object (by name), oldest first. */
  async events(name: string, namespace = 'default'): Promise<KEvent[]> {
    const r = await this.cp.rawGet(`/api/v1/namespaces/${namespace}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`);
    if (r.status !== 200) throw new Error(`listing events: HTTP ${r.status}`);
    const items = (JSON.parse(r.body) as { items: KEvent[] }).items;
    return items.sort((a, b) => String(a.firstTimestamp ?? a.eventTime ?? '').localeCompare(String(b.firstTimestamp ?? b.eventTime ?? '')));
  }

  async waitEvent(name: string, reason: string, match: RegExp = /./, timeoutMs = 30_000, namespace = 'default'): Promise<KEvent> {
    return waitFor(`a ${reason} event for ${name}`, async () => {
      this.alive();
      return (await this.events(name, namespace)).find((e) => e.reason === reason && match.test(e.message ?? ''));
    }, timeoutMs, 500);
  }

  // ---- Docker ----

  /** Docker IDs (full) of every object of a pod (sandbox and containers). */
  dockerIds(uid: string): string[] {
    return execFileSync('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=io.skiff.pod.uid=${uid}`], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  }

  /** `docker exec <id> cmd...`. */
  dockerExec(containerID: string, cmd: string[], timeoutMs = 15_000): Promise<ExecResult> {
    return run('docker', ['exec', containerID.replace(/^docker:\/\//, ''), ...cmd], { timeoutMs });
  }

  /** Host PID of a container's main process (docker inspect State.Pid). */
  async containerPid(containerID: string): Promise<number> {
    const r = await run('docker', ['inspect', '-f', '{{.State.Pid}}', containerID.replace(/^docker:\/\//, '')]);
    const pid = Number(r.stdout.trim());
    if (r.code !== 0 || !(pid > 0)) throw new Error(`no running process for container ${containerID}: ${r.stderr}`);
    return pid;
  }

  /** The cgroup path of a container's main process as /proc/<pid>/cgroup shows it: v2's `0::` line, or v1's line for `controller`. */
  async containerCgroup(containerID: string, controller = 'memory'): Promise<string> {
    return cgroupOfPid(await this.containerPid(containerID), controller);
  }

  /** The docker CLI. */
  docker(args: string[], timeoutMs = 30_000): Promise<ExecResult> {
    return run('docker', args, { timeoutMs });
  }

  /** A temp directory for hostPath volumes, removed by stop(). */
  hostDir(prefix = 'skiff-e2e-host-'): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.hostDirs.push(d);
    return d;
  }

  /** Remembers a pod uid whose Docker objects stop() must remove. */
  track(uid: string | undefined): void {
    if (uid) this.uids.add(uid);
  }

  /** Removes the Docker containers and volumes of every pod this node ran. */
  async removeDockerObjects(): Promise<void> {
    for (const rec of this.watch?.pods.values() ?? []) this.track(rec.pod.metadata?.uid);
    const uids = [...this.uids];
    const ids = new Set<string>();
    for (const uid of uids) for (const id of this.dockerIds(uid)) ids.add(id);
    if (ids.size) await run('docker', ['rm', '-f', ...ids], { timeoutMs: 120_000 });
    for (const uid of uids) {
      const vols = execFileSync('docker', ['volume', 'ls', '-q', '--filter', `label=io.skiff.pod.uid=${uid}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
      if (vols.length) await run('docker', ['volume', 'rm', '-f', ...vols]);
      removePodCgroupDirs(uid);
    }
  }

  async stop(): Promise<void> {
    await this.stopAgent().catch(() => undefined);
    await this.removeDockerObjects().catch(() => undefined);
    this.watch?.stop();
    await this.cp.stop();
    const keep = this.opts.keepHome || process.env.SKIFF_KEEP_AGENT_HOME === '1';
    if (this.home && !keep) rmSync(this.home, { recursive: true, force: true });
    else if (this.home) process.stderr.write(`agent home kept: ${this.home}\n`);
    for (const d of this.hostDirs) rmSync(d, { recursive: true, force: true });
  }
}

/**
 * The pod cgroups the agent made (cgroupfs layout, --cgroup-root /) that
 * outlive containers removed behind its back: empty directories, removed in
 * every hierarchy (v1 controllers, or the v2 root).
 */
export function removePodCgroupDirs(uid: string): void {
  const base = '/sys/fs/cgroup';
  let roots: string[];
  try {
    roots = existsSync(join(base, 'cgroup.controllers')) ? [base] : readdirSync(base).map((d) => join(base, d));
  } catch {
    return;
  }
  for (const root of roots) {
    for (const q of ['', 'burstable/', 'besteffort/']) {
      try { rmdirSync(join(root, 'skiff', `${q}pod${uid}`)); } catch { /* absent or busy */ }
    }
  }
}

/** A process's cgroup path from /proc/<pid>/cgroup: the line of a v1 controller, else the v2 `0::` line. */
export function cgroupOfPid(pid: number, controller = 'memory'): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean);
  for (const l of lines) {
    const [, ctrls, p] = /^\d+:([^:]*):(.*)$/.exec(l) ?? [];
    if (ctrls && ctrls.split(',').includes(controller)) return p!;
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2) return v2.slice(3);
  throw new Error(`no ${controller} cgroup for pid ${pid}: ${lines.join(' | ')}`);
}

/** Runs a shell command and returns stdout (throws on failure). */
export function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => (err ? rej(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : res(stdout)));
  });
}

/** scripts/registry.sh stop: the tests leave no registry running behind them. */
export async function stopLocalRegistries(): Promise<void> {
  await sh('bash', [join(REPO, 'scripts/registry.sh'), 'stop']);
}

/** scripts/registry.sh start: the local registries and their credentials. */
export interface LocalRegistries { open: string; auth: string; user: string; password: string; image: string }

export async function startLocalRegistries(): Promise<LocalRegistries> {
  const out = await sh('bash', [join(REPO, 'scripts/registry.sh'), 'start']);
  const env: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = /^(SKIFF_REGISTRY_[A-Z]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  const need = (k: string): string => {
    const v = env[k];
    if (!v) throw new Error(`scripts/registry.sh start did not print ${k}:\n${out}`);
    return v;
  };
  return { open: need('SKIFF_REGISTRY_OPEN'), auth: need('SKIFF_REGISTRY_AUTH'), user: need('SKIFF_REGISTRY_USER'), password: need('SKIFF_REGISTRY_PASSWORD'), image: need('SKIFF_REGISTRY_IMAGE') };
}
