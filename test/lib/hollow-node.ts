/**
 * Hollow nodes (as Kubernetes' kubemark): test nodes that join skiff-master through the real
 * agent protocol — bootstrap token + CA hash -> node certificate -> mTLS gRPC, with the
 * agent's own gateway client — register a Node with the capacity they are given, renew their
 * Lease, follow their assignment stream and report every assigned pod Running and Ready
 * without starting any container. A pod being deleted is reported stopped, so the gateway
 * removes it as it does for a real agent. Many hollow nodes share one process.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { buildNode, caPublicKeyHash, ensureNodeCredentials, GatewayClient, type HostFacts } from '@skiff/agent';
import { nullLogger } from '@skiff/logging';
import { AgentNode } from './agent-node';
import type { ControlPlane } from './control-plane';

export interface HollowNodeOptions {
  cpu?: string | number;
  memory?: string;
  /** Node labels besides kubernetes.io/hostname and the hollow marker. */
  labels?: Record<string, string>;
  leaseRenewMs?: number;
  nodeStatusMs?: number;
}

export interface JoinInfo {
  gateway: string;
  token: string;
  caHash: string;
}

const GiB = 1024 ** 3;

function parseMemory(m: string): number {
  const match = /^(\d+)(Gi|Mi)?$/.exec(m);
  if (!match) throw new Error(`hollow node memory must look like 64Gi or 512Mi, got ${m}`);
  return Number(match[1]) * (match[2] === 'Gi' ? GiB : match[2] === 'Mi' ? 1024 ** 2 : 1);
}

function facts(name: string, o: HollowNodeOptions): HostFacts {
  return {
    hostname: name, cpus: Number(o.cpu ?? 32), memoryBytes: parseMemory(o.memory ?? '128Gi'), ephemeralStorageBytes: 500 * GiB,
    kernelVersion: 'hollow', osImage: 'hollow node', architecture: 'amd64', operatingSystem: 'linux',
    containerRuntimeVersion: 'hollow://1.0', machineID: name, systemUUID: name, bootID: name,
  };
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What a kubelet reports for a pod whose containers all started and are ready. */
export function runningStatus(pod: Pod, hostIP: string, podIP: string): PodStatus {
  const t = now();
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  return {
    phase: 'Running', hostIP, hostIPs: [{ ip: hostIP }], podIP, podIPs: [{ ip: podIP }], startTime: t, qosClass: 'BestEffort',
    conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond) as never,
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name, image: c.image ?? '', imageID: `hollow://${c.image ?? ''}`, containerID: `hollow://${pod.metadata?.uid ?? ''}/${c.name}`,
      ready: true, started: true, restartCount: 0, state: { running: { startedAt: t } },
    })),
  };
}

/** Every container terminated: what lets the gateway remove a pod being deleted. */
export function stoppedStatus(pod: Pod, previous: PodStatus | undefined): PodStatus {
  const t = now();
  return {
    ...(previous ?? {}), phase: 'Failed',
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name, image: c.image ?? '', imageID: `hollow://${c.image ?? ''}`, containerID: `hollow://${pod.metadata?.uid ?? ''}/${c.name}`,
      ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'Error', startedAt: t, finishedAt: t } },
    })),
  };
}

/** Bounds the status reports in flight across all hollow nodes of the process. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

const reports = new Limiter(64);

export class HollowNode {
  client?: GatewayClient;
  node?: Node;
  /** Pod uid -> what was reported for it. */
  readonly pods = new Map<string, { pod: Pod; status: PodStatus; stopping: boolean }>();
  /** Called after each report that a pod runs (for benchmarks). */
  onRunning?: (pod: Pod) => void;
  private readonly timers: NodeJS.Timeout[] = [];
  private watch?: { close(): void };
  private nextIP = 2;
  private stopped = false;
  private conditions: NonNullable<NonNullable<Node['status']>['conditions']> = [];

  constructor(readonly name: string, readonly home: string, readonly opts: HollowNodeOptions = {}) {}

  /** Joins (token + CA hash), registers the Node, starts the lease and the assignment stream. */
  async start(join: JoinInfo): Promise<void> {
    const { creds, gateway } = await ensureNodeCredentials({ home: this.home, nodeName: this.name, join: join.gateway, token: join.token, caHash: join.caHash }, nullLogger());
    this.client = new GatewayClient(gateway, creds);
    await this.register();
    await this.client.renewLease(40);
    this.timers.push(setInterval(() => { void this.client?.renewLease(40).catch(() => undefined); }, this.opts.leaseRenewMs ?? 10_000));
    this.timers.push(setInterval(() => { void this.register().catch(() => undefined); }, this.opts.nodeStatusMs ?? 60_000));
    for (const t of this.timers) t.unref();
    await this.follow();
  }

  private async register(): Promise<void> {
    const node = buildNode(this.name, '127.0.0.1', facts(this.name, this.opts), { runtimeUp: true }, new Date(), this.conditions, { 'skiff.dev/hollow': 'true', ...this.opts.labels });
    this.node = await this.client!.registerNode(node);
    this.conditions = node.status?.conditions ?? [];
  }

  /** Opens the assignment stream and resolves once the full state (SYNC) arrived. */
  private follow(): Promise<void> {
    return new Promise((resolve, reject) => {
      let synced = false;
      this.watch = this.client!.watchAssignments((a) => {
        if (a.type === 'SYNC') {
          synced = true;
          resolve();
          return;
        }
        if (!a.pod_json) return;
        const pod = JSON.parse(a.pod_json.toString('utf8')) as Pod;
        if (a.type === 'DELETED') this.pods.delete(pod.metadata?.uid ?? '');
        else this.handle(pod);
      }, (err) => {
        if (!synced) reject(err ?? new Error(`hollow node ${this.name}: stream ended before SYNC`));
        else if (!this.stopped) setTimeout(() => { if (!this.stopped) void this.follow().catch(() => undefined); }, 1000).unref();
      });
    });
  }

  private podIP(): string {
    const cidr = this.node?.spec?.podCIDR ?? '10.244.250.0/24';
    const base = cidr.split('/')[0]!.split('.').slice(0, 3).join('.');
    const ip = `${base}.${this.nextIP}`;
    this.nextIP = this.nextIP >= 254 ? 2 : this.nextIP + 1;
    return ip;
  }

  private handle(pod: Pod): void {
    const uid = pod.metadata?.uid ?? '';
    const known = this.pods.get(uid);
    if (pod.metadata?.deletionTimestamp) {
      if (known?.stopping) return;
      const status = stoppedStatus(pod, known?.status);
      this.pods.set(uid, { pod, status, stopping: true });
      void this.report(pod, status);
      return;
    }
    if (known) return;
    const status = runningStatus(pod, '127.0.0.1', this.podIP());
    this.pods.set(uid, { pod, status, stopping: false });
    void this.report(pod, status).then((ok) => { if (ok) this.onRunning?.(pod); });
  }

  private async report(pod: Pod, status: PodStatus): Promise<boolean> {
    for (let attempt = 0; attempt < 5 && !this.stopped; attempt++) {
      try {
        const r = await reports.run(() => this.client!.reportPodStatus(pod, status));
        return !r.pod_gone;
      } catch {
        await new Promise((res) => setTimeout(res, 200 * 2 ** attempt));
      }
    }
    return false;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.watch?.close();
    this.client?.close();
  }
}

/** A set of hollow nodes in this process, joined to one control plane. */
export class HollowCluster {
  readonly nodes: HollowNode[] = [];
  private constructor(readonly dir: string) {}

  /** Joins `count` hollow nodes named `<prefix>-NNN`, `parallel` at a time. */
  static async start(cp: ControlPlane, count: number, opts: HollowNodeOptions & { prefix?: string; parallel?: number } = {}): Promise<HollowCluster> {
    const c = new HollowCluster(mkdtempSync(join(tmpdir(), 'skiff-hollow-')));
    try {
      const ca = readFileSync(join(cp.dir, 'pki/ca.crt'), 'utf8');
      const info: JoinInfo = { gateway: `127.0.0.1:${cp.gatewayPort}`, token: await AgentNode.bootstrapToken(cp), caHash: caPublicKeyHash(ca) };
      const prefix = opts.prefix ?? 'hollow';
      for (let i = 0; i < count; i++) {
        const name = `${prefix}-${String(i).padStart(3, '0')}`;
        const home = join(c.dir, name);
        mkdirSync(home, { recursive: true });
        c.nodes.push(new HollowNode(name, home, opts));
      }
      const parallel = opts.parallel ?? 10;
      for (let i = 0; i < c.nodes.length; i += parallel) await Promise.all(c.nodes.slice(i, i + parallel).map((n) => n.start(info)));
    } catch (e) {
      c.stop();
      throw e;
    }
    return c;
  }

  /** Pods reported running across all nodes. */
  runningCount(): number {
    let n = 0;
    for (const node of this.nodes) for (const p of node.pods.values()) if (!p.stopping) n++;
    return n;
  }

  stop(): void {
    for (const n of this.nodes) n.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
