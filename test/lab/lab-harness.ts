/**
 * What the lab acceptance tests and the soak share: running `skiff-lab`,
 * kubectl against one lab master, docker against one node's engine, etcdctl
 * inside an etcd member's namespace, and the machine-wide lab lock.
 *
 * The lab exists once per machine, so a bring-up holds /tmp/skiff-lab.lock
 * (flock) from `up` to `down`: `LabHarness.acquire()` spawns `flock` and keeps
 * it until `release()` (or until this process dies). When the caller already
 * holds the lock (`flock /tmp/skiff-lab.lock env SKIFF_LAB_LOCK_HELD=1 node ...`)
 * set SKIFF_LAB_LOCK_HELD=1 and no second lock is taken.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..', '..');
export const LAB_MAIN = join(REPO, 'packages/lab/dist/main.js');
export const LAB_LOCK = '/tmp/skiff-lab.lock';
export const MASTER_ADDRESSES = ['10.250.0.21', '10.250.0.22'];
export const ETCD_ADDRESSES = ['10.250.0.11', '10.250.0.12', '10.250.0.13'];

export interface Result { code: number; stdout: string; stderr: string }

export function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<Result> {
  return new Promise((res) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : 1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(intervalMs);
  }
}

export function labExists(): boolean {
  return existsSync('/sys/class/net/skiff-lab0') || (existsSync('/run/netns') && readdirSync('/run/netns').some((n) => n.startsWith('skiff-lab-')));
}

/** Why a lab test cannot run here, or false. A lab left by another run is a reason only when the lock is free (otherwise we wait for it). */
export function labSkipReason(): string | false {
  if (process.env.SKIFF_SKIP_LAB === '1') return 'SKIFF_SKIP_LAB=1';
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync(LAB_MAIN)) return 'packages/lab is not built';
  return false;
}

export interface PodInfo {
  name: string; uid: string; node: string; phase: string; ready: boolean; deleting: boolean;
  owner?: string; image?: string; labels: Record<string, string>;
}

interface RawPod {
  metadata?: { name?: string; uid?: string; deletionTimestamp?: string; labels?: Record<string, string>; ownerReferences?: { name?: string; kind?: string }[] };
  spec?: { nodeName?: string; containers?: { image?: string }[] };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

export function podInfo(p: RawPod): PodInfo {
  const owner = p.metadata?.ownerReferences?.[0];
  return {
    name: p.metadata?.name ?? '', uid: p.metadata?.uid ?? '', node: p.spec?.nodeName ?? '', phase: p.status?.phase ?? '',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: !!p.metadata?.deletionTimestamp, labels: p.metadata?.labels ?? {},
    ...(owner?.name ? { owner: `${owner.kind}/${owner.name}` } : {}),
    ...(p.spec?.containers?.[0]?.image ? { image: p.spec.containers[0].image } : {}),
  };
}

export class LabHarness {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  private holder?: ChildProcess;
  upDone = false;
  downDone = false;
  /** The master kubectl talks to (index into MASTER_ADDRESSES). */
  master = 0;

  constructor(prefix: string) {
    this.home = mkdtempSync(join(tmpdir(), prefix));
    this.env = { ...process.env, SKIFF_LAB_HOME: this.home };
  }

  log(msg: string): void {
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  }

  /** Takes the machine-wide lab lock for the life of this harness (waits up to `timeoutMs`). */
  async acquire(timeoutMs = 1_800_000): Promise<void> {
    if (process.env.SKIFF_LAB_LOCK_HELD === '1') return;
    const child = spawn('flock', ['-w', String(Math.ceil(timeoutMs / 1000)), LAB_LOCK, '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.holder = child;
    await new Promise<void>((res, rej) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('locked')) res(); });
      child.on('exit', (code) => rej(new Error(`could not take ${LAB_LOCK} (flock exited ${code})`)));
    });
    child.removeAllListeners('exit');
    if (labExists()) throw new Error('a lab is already running on this machine although the lab lock was free (skiff-lab down it first)');
  }

  release(): void {
    this.holder?.stdin?.end();
    this.holder = undefined;
  }

  lab(args: string[], timeoutMs = 300_000): Promise<Result> {
    return sh(process.execPath, [LAB_MAIN, ...args], { env: this.env, timeoutMs });
  }

  async labOk(args: string[], timeoutMs = 300_000): Promise<string> {
    const r = await this.lab(args, timeoutMs);
    if (r.code !== 0) throw new Error(`skiff-lab ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
    return r.stderr + r.stdout;
  }

  async up(args: string[]): Promise<number> {
    const t0 = Date.now();
    this.upDone = true;
    await this.labOk(['up', '--no-merge-kubeconfig', ...args], 400_000);
    this.writeMasterKubeconfigs();
    return Date.now() - t0;
  }

  /** `down`, once, whatever happened before; then the lock goes and the state dir too. */
  async cleanup(): Promise<void> {
    try {
      if (this.upDone && !this.downDone) {
        this.downDone = true;
        const r = await this.lab(['down'], 180_000);
        if (r.code !== 0) this.log(`skiff-lab down (cleanup) failed: ${r.stderr}`);
      }
    } finally {
      this.release();
      if (!process.env.SKIFF_KEEP_LAB_HOME) rmSync(this.home, { recursive: true, force: true });
    }
  }

  kubeconfigFor(master: number): string {
    return join(this.home, `kubeconfig-master-${master + 1}`);
  }

  /** One kubeconfig per master (same credentials, another server), so tests go on when one master is down. */
  private writeMasterKubeconfigs(): void {
    const base = readFileSync(join(this.home, 'kubeconfig'), 'utf8');
    for (const [i, ip] of MASTER_ADDRESSES.entries()) {
      writeFileSync(this.kubeconfigFor(i), base.replace(/server: https:\/\/[^\s]+/, `server: https://${ip}:6443`), { mode: 0o600 });
    }
  }

  kubectl(args: string[], opts: { input?: string; master?: number; timeoutMs?: number } = {}): Promise<Result> {
    const m = opts.master ?? this.master;
    return sh('kubectl', ['--kubeconfig', this.kubeconfigFor(m), '--cache-dir', join(this.home, 'kube-cache'), '--request-timeout', '20s', ...args], {
      ...(opts.input !== undefined ? { input: opts.input } : {}), timeoutMs: opts.timeoutMs ?? 60_000,
    });
  }

  async k(args: string[], opts: { input?: string; master?: number; timeoutMs?: number } = {}): Promise<string> {
    const r = await this.kubectl(args, opts);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async json<T>(args: string[], master?: number): Promise<T> {
    return JSON.parse(await this.k([...args, '-o', 'json'], master !== undefined ? { master } : {})) as T;
  }

  async apply(obj: unknown): Promise<void> {
    await this.k(['apply', '-f', '-'], { input: JSON.stringify(obj) });
  }

  async pods(selector?: string, namespace = 'default'): Promise<PodInfo[]> {
    const list = await this.json<{ items: RawPod[] }>(['get', 'pods', '-n', namespace, ...(selector ? ['-l', selector] : [])]);
    return list.items.map(podInfo);
  }

  nodeSocket(node: string): string {
    return `unix://${join(this.home, 'nodes', node, 'docker.sock')}`;
  }

  /** Running containers on a node's engine that belong to pods: pod uid per container id. */
  async nodeContainers(node: string, all = false): Promise<{ id: string; podUid: string; podName: string; container: string }[]> {
    const r = await sh('docker', ['-H', this.nodeSocket(node), 'ps', ...(all ? ['-a'] : []), '--no-trunc', '--filter', 'label=io.skiff.pod.uid',
      '--format', '{{.ID}}\t{{.Label "io.skiff.pod.uid"}}\t{{.Label "io.skiff.pod.name"}}\t{{.Label "io.skiff.container.name"}}'], { timeoutMs: 20_000 });
    if (r.code !== 0) throw new Error(`docker ps on ${node}: ${r.stderr}`);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => {
      const [id = '', podUid = '', podName = '', container = ''] = l.split('\t');
      return { id, podUid, podName, container };
    });
  }

  pidOf(member: string, proc?: string): number | undefined {
    try {
      const first = readFileSync(join(this.home, 'run', `${member}${proc ? `-${proc}` : ''}.pid`), 'utf8').trim().split(/\s+/)[0];
      const pid = Number(first);
      return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** `etcdctl endpoint status` of every member, run inside etcd-1's namespace (reaches the others over the lab bridge). */
  async etcdRevisions(endpoints = ETCD_ADDRESSES): Promise<Map<string, number>> {
    const eps = endpoints.map((a) => `http://${a}:2379`).join(',');
    const r = await sh('ip', ['netns', 'exec', 'skiff-lab-etcd-1', 'etcdctl', '--endpoints', eps, '--command-timeout', '5s', 'endpoint', 'status', '-w', 'json'],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeoutMs: 20_000 });
    const out = new Map<string, number>();
    if (!r.stdout.trim()) return out;
    for (const s of JSON.parse(r.stdout) as { Endpoint: string; Status: { header: { revision: number } } }[]) out.set(s.Endpoint, Number(s.Status.header.revision));
    return out;
  }

  /** The current holder of the controllers' Lease (`<hostname>_<pid>_<rand>`), via a live master. */
  async leaseHolder(master?: number): Promise<string> {
    const r = await this.kubectl(['get', 'lease', '-n', 'kube-system', 'skiff-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}'], master !== undefined ? { master } : {});
    return r.code === 0 ? r.stdout.trim() : '';
  }
}

/** A Deployment of skiff/busybox sleeping, with a short grace period. */
export function sleeperDeployment(name: string, replicas: number, extra: { image?: string; env?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          tolerations: [
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
          ],
          containers: [{
            name: 'main', image: extra.image ?? 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '100000'],
            ...(extra.env ? { env: [{ name: 'REV', value: extra.env }] } : {}),
          }],
        },
      },
    },
  };
}
