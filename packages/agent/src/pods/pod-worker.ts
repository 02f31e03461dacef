import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { Container, Pod, PodStatus, Secret } from 'kubernetes-types/core/v1';
import { containerFieldPath, type EventRecorder, type PodEvent } from '../events';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import { ProbeManager } from '../probes/probe-manager';
import type { ProbeRunner } from '../probes/probe-runner';
import { cgroupLimitsFor } from '../resources/cgroup-limits';
import { podCgroupParent, removePodCgroups, type CgroupSetup } from '../resources/cgroup-parent';
import { computeQOSClass } from '../resources/qos';
import { LABEL_CONTAINER_HASH, LABEL_POD_UID, LABEL_SANDBOX_ID, LABEL_TERMINATION_MESSAGE_PATH, LABEL_TYPE } from '../runtime/labels';
import { hasEvents, ImagePullError, type ExecOptions, type ExecSession, type LogOptions, type Runtime, type RuntimeObject } from '../runtime/runtime';
import type { DownwardContext } from '../volumes/downward-api';
import { expandCommand, makeEnvironment } from '../volumes/env';
import type { ObjectResolver } from '../volumes/object-resolver';
import { VolumeManager, type PreparedVolume } from '../volumes/volume-manager';
import { backoffGC, backoffNext, DEFAULT_BACKOFF, formatGoDuration, type BackoffConfig, type BackoffEntry } from './backoff';
import { computePodActions, formatPod, type ContainerToStart, type PodActions } from './compute-pod-actions';
import { computePodStatus, type StartFailure } from './compute-pod-status';
import { runLifecycleHandler } from './lifecycle-hooks';
import { observePod, type ObservedContainer, type ObservedPod } from './observed-pod';
import { effectivePullPolicy, pullAuthFor } from './pull-secrets';
import { renderResolvConf, type DnsSettings } from './resolv-conf';

export interface NodeInfo {
  name: string;
  hostIPs: string[];
  allocatable?: DownwardContext['nodeAllocatable'];
}

export interface PodWorkersOptions {
  runtime: Runtime;
  resolver: ObjectResolver;
  recorder: EventRecorder;
  /** Called with every new status of a pod (only when it changed). */
  onStatus: (pod: Pod, status: PodStatus) => void;
  /** Where pod directories live (volumes, hosts and resolv files, termination logs). */
  rootDir: string;
  /** The Docker network sandboxes join: this node's pod network, or 'bridge'. */
  network: string;
  node: NodeInfo;
  dns?: Partial<DnsSettings>;
  /** Service variables (`<NAME>_SERVICE_HOST`...) for a pod's namespace. */
  serviceEnv?: (pod: Pod) => ReadonlyMap<string, string>;
  backoff?: BackoffConfig;
  imagePullBackoff?: BackoffConfig;
  /** How often a pod is re-synced without any trigger. */
  resyncIntervalMs?: number;
  pidsLimit?: number;
  /** The engine's cgroup driver and version: pods get their own cgroup (kubelet layout) under `root`. Unset: the engine's default parent. */
  cgroups?: { setup: CgroupSetup; root?: string };
  probeRunner?: ProbeRunner;
  logger?: Logger;
  now?: () => number;
}

/** The most a termination message can carry (the kubelet's MaxContainerTerminationMessageLength). */
export const MAX_TERMINATION_MESSAGE = 4096;
const FALLBACK_LOG_LINES = 80;
const MIN_GRACE_SECONDS = 2;
/** The longest a postStart hook may run before it counts as failed. */
const POST_START_TIMEOUT_MS = 120_000;

type Work = { kind: 'sync' } | { kind: 'kill'; gracePeriodSeconds?: number } | { kind: 'remove' };

/**
 * All pod workers of the agent. The master glue calls updatePod for every
 * pod bound to this node (and for every change), killPod/removePod on
 * deletion, and reads statuses from onStatus. Each pod has one serialised
 * worker; only the latest desired state is kept, and a pending kill is never
 * dropped by a later update.
 */
export class PodWorkers {
  readonly prober: ProbeManager;
  readonly volumes: VolumeManager;
  private readonly workers = new Map<string, PodWorker>();
  private readonly log: Logger;
  private unsubscribe?: () => void;
  private closed = false;

  constructor(readonly opts: PodWorkersOptions) {
    this.log = (opts.logger ?? nullLogger).child({ component: 'pod-workers' });
    this.volumes = new VolumeManager({ rootDir: opts.rootDir, resolver: opts.resolver });
    this.prober = new ProbeManager({
      runtime: opts.runtime, recorder: opts.recorder, logger: this.log,
      onChange: (uid) => this.workers.get(uid)?.trigger(),
      ...(opts.probeRunner ? { runner: opts.probeRunner } : {}),
    });
    if (hasEvents(opts.runtime)) {
      this.unsubscribe = opts.runtime.onEvent((e) => {
        if (!e.podUid || (e.action !== 'die' && e.action !== 'oom' && e.action !== 'start')) return;
        const w = this.workers.get(e.podUid);
        // A start this worker made itself is already in the status it published.
        if (e.action === 'start' && w?.ownStart(e.id)) return;
        w?.trigger();
      });
    }
  }

  /** Desired state for a pod (new or changed). A pod with deletionTimestamp is killed. */
  updatePod(pod: Pod): void {
    if (this.closed) return;
    const uid = pod.metadata?.uid;
    if (!uid) throw new Error('pod has no uid');
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(this, pod, this.log.child({ pod: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}` }));
      this.workers.set(uid, w);
    }
    // Our own status writes come back as pod updates: like the kubelet's
    // config source, ignore changes that touch nothing a sync reads (else each
    // published status triggers another sync, e.g. ErrImagePull turns into
    // ImagePullBackOff at once, and every pod costs twice the Docker calls).
    const key = desiredStateKey(pod);
    if (w.desiredKey === key) {
      w.pod = pod;
      return;
    }
    w.desiredKey = key;
    w.update(pod, pod.metadata?.deletionTimestamp ? { kind: 'kill', ...graceOf(pod) } : { kind: 'sync' });
  }

  /** Syncs a known pod again now (something it references changed, e.g. its claim bound). */
  resyncPod(uid: string): void {
    const w = this.workers.get(uid);
    if (this.closed || !w || w.pod.metadata?.deletionTimestamp) return;
    w.update(w.pod, { kind: 'sync' });
  }

  /** Stops the pod's containers (SIGTERM, grace, SIGKILL); it stays known until removePod. */
  killPod(pod: Pod, gracePeriodSeconds?: number): void {
    const uid = pod.metadata?.uid ?? '';
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(this, pod, this.log.child({ pod: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}` }));
      this.workers.set(uid, w);
    }
    w.update(pod, gracePeriodSeconds !== undefined ? { kind: 'kill', gracePeriodSeconds } : { kind: 'kill' });
  }

  /** The pod is gone from the API: kill it if needed, then remove its containers, sandbox and files. */
  async removePod(uid: string): Promise<void> {
    const w = this.workers.get(uid);
    if (!w) {
      await this.removeOrphan(uid);
      return;
    }
    await w.remove();
    this.workers.delete(uid);
    this.prober.removePod(uid);
  }

  /** Removes sandboxes and containers of pods not in `knownUids` (after an agent restart). */
  async removeOrphans(knownUids: ReadonlySet<string>): Promise<string[]> {
    const objs = await this.opts.runtime.list();
    const orphans = new Set<string>();
    for (const o of objs) if (o.podUid && !knownUids.has(o.podUid) && !this.workers.has(o.podUid)) orphans.add(o.podUid);
    for (const uid of orphans) await this.removeOrphan(uid);
    return [...orphans];
  }

  private async removeOrphan(uid: string): Promise<void> {
    const objs = await this.opts.runtime.list({ labels: { [LABEL_POD_UID]: uid } });
    for (const o of objs.filter((x) => x.type === 'container')) await this.opts.runtime.removeContainer(o.id);
    for (const o of objs.filter((x) => x.type === 'sandbox')) await this.opts.runtime.removeSandbox(o.id);
    await this.volumes.tearDown(uid);
    await this.removeCgroups(uid);
  }

  /** @internal The pod's cgroup, or undefined to leave the engine's default. */
  cgroupParent(pod: Pod): string | undefined {
    const c = this.opts.cgroups;
    return c ? podCgroupParent(c.setup, computeQOSClass(pod), pod.metadata?.uid ?? '', c.root) : undefined;
  }

  /**
   * @internal Empty pod cgroups left by cgroupfs after the last container went.
   * The engine may release a container's own cgroup a moment after it is removed: tried a few times.
   */
  async removeCgroups(uid: string): Promise<void> {
    const c = this.opts.cgroups;
    if (!c || !uid) return;
    for (let attempt = 0; attempt < 10; attempt++) {
      const left = await removePodCgroups(c.setup, uid, c.root).catch(() => 0);
      if (left === 0) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  status(uid: string): PodStatus | undefined {
    return this.workers.get(uid)?.lastStatus;
  }

  pods(): Pod[] {
    return [...this.workers.values()].map((w) => w.pod);
  }

  /** Resolves once the pod's worker has nothing queued (for tests and orderly shutdown). */
  async idle(uid: string): Promise<void> {
    await this.workers.get(uid)?.idle();
  }

  /** Logs of a container; `previous` reads the instance before the current one. */
  async logs(uid: string, container: string, options: LogOptions & { previous?: boolean } = {}): Promise<Readable> {
    const instances = (await this.opts.runtime.list({ labels: { [LABEL_POD_UID]: uid } }))
      .filter((o) => o.type === 'container' && o.name === container)
      .sort((a, b) => b.restartCount - a.restartCount || (a.createdAt < b.createdAt ? 1 : -1));
    const target = options.previous ? instances[1] : instances[0];
    if (!target) {
      throw new Error(options.previous
        ? `previous terminated container "${container}" in pod not found`
        : `container "${container}" in pod is waiting to start`);
    }
    const { previous: _p, ...rest } = options;
    return this.opts.runtime.logs(target.id, rest);
  }

  async exec(uid: string, container: string, options: ExecOptions): Promise<ExecSession> {
    const running = (await this.opts.runtime.list({ labels: { [LABEL_POD_UID]: uid } }))
      .find((o) => o.type === 'container' && o.name === container && o.state === 'running');
    if (!running) throw new Error(`container ${container} is not running`);
    return this.opts.runtime.exec(running.id, options);
  }

  /** Stops workers and timers; containers keep running (a restarted agent re-adopts them). */
  shutdown(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.prober.stop();
    for (const w of this.workers.values()) w.stopTimers();
  }

  /** @internal */
  get isClosed(): boolean { return this.closed; }
}

/** What a sync reads from the API object: everything but status and bookkeeping metadata. */
function desiredStateKey(pod: Pod): string {
  const m = pod.metadata ?? {};
  return JSON.stringify([m.name, m.namespace, m.labels, m.annotations, m.deletionTimestamp, m.deletionGracePeriodSeconds, m.generation, pod.spec]);
}

function graceOf(pod: Pod): { gracePeriodSeconds?: number } {
  const g = pod.metadata?.deletionGracePeriodSeconds;
  return g !== undefined ? { gracePeriodSeconds: g } : {};
}

/** One pod's serialised worker. */
class PodWorker {
  pod: Pod;
  /** desiredStateKey of the last pod update that was acted on. */
  desiredKey?: string;
  lastStatus?: PodStatus;
  private pending?: Work;
  private running?: Promise<void>;
  private terminating = false;
  private killGrace?: number;
  /** Nothing more will run on this node: containers stopped, status terminal. */
  private done = false;
  private readonly backoff = new Map<string, BackoffEntry>();
  private readonly pullBackoff = new Map<string, BackoffEntry>();
  private readonly startFailures = new Map<string, StartFailure>();
  private readonly messages = new Map<string, string>();
  private prepared = new Map<string, PreparedVolume>();
  private lastFailedMount?: string;
  private resyncTimer?: NodeJS.Timeout;
  private backoffTimer?: NodeJS.Timeout;
  private readonly o: PodWorkersOptions;

  constructor(private readonly owner: PodWorkers, pod: Pod, private readonly log: Logger) {
    this.pod = pod;
    this.o = owner.opts;
  }

  private get uid(): string { return this.pod.metadata?.uid ?? ''; }
  private now(): number { return (this.o.now ?? Date.now)(); }

  update(pod: Pod, work: Work): void {
    this.pod = pod;
    this.enqueue(work);
  }

  /** Containers and sandboxes this worker started whose start event has not come back yet. */
  private readonly ownStarts = new Set<string>();

  /** True (once) for the start event of an object this worker started. */
  ownStart(id: string): boolean {
    return this.ownStarts.delete(id);
  }

  private noteStart(id: string): void {
    this.ownStarts.add(id);
    // Bounded: an event that never comes must not keep ids forever.
    if (this.ownStarts.size > 16) this.ownStarts.delete(this.ownStarts.values().next().value as string);
  }

  /** Something changed (runtime event, probe result, back-off expiry): sync again. */
  trigger(): void {
    this.enqueue({ kind: 'sync' });
  }

  private enqueue(work: Work): void {
    // Latest desired state wins, but a kill or removal outranks a later sync.
    const rank = (w?: Work) => (w === undefined ? -1 : w.kind === 'remove' ? 2 : w.kind === 'kill' ? 1 : 0);
    if (rank(work) >= rank(this.pending)) this.pending = work;
    if (work.kind === 'kill' && work.gracePeriodSeconds !== undefined) {
      this.killGrace = this.killGrace === undefined ? work.gracePeriodSeconds : Math.min(this.killGrace, work.gracePeriodSeconds);
    }
    if (!this.running) this.running = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending) {
        const work = this.pending;
        this.pending = undefined;
        try {
          if (work.kind === 'sync' && !this.terminating) await this.sync();
          else await this.terminate();
        } catch (err) {
          this.log.error('pod sync failed', { err: err instanceof Error ? err.stack ?? err.message : String(err) });
        }
      }
    } finally {
      this.running = undefined;
      this.armResync();
    }
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  stopTimers(): void {
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.resyncTimer = undefined;
    this.backoffTimer = undefined;
  }

  private armResync(): void {
    if (this.owner.isClosed || this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => { this.resyncTimer = undefined; this.trigger(); }, this.o.resyncIntervalMs ?? 10_000);
    this.resyncTimer.unref?.();
  }

  private armBackoff(ms: number): void {
    if (this.owner.isClosed) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimer = setTimeout(() => { this.backoffTimer = undefined; this.trigger(); }, Math.max(50, ms + 20));
    this.backoffTimer.unref?.();
  }

  private event(e: PodEvent): void {
    this.o.recorder.event(this.pod, e);
  }

  private containerSpec(name: string, kind: 'init' | 'app'): Container | undefined {
    return (kind === 'init' ? this.pod.spec?.initContainers : this.pod.spec?.containers)?.find((c) => c.name === name);
  }

  private podDir(): string {
    return path.join(this.o.rootDir, 'pods', this.uid);
  }

  // ---- observing ----

  private async observe(): Promise<{ observed: ObservedPod; objects: RuntimeObject[] }> {
    const objects = await this.o.runtime.list({ labels: { [LABEL_POD_UID]: this.uid } });
    const present = new Set(objects.map((o) => o.id));
    for (const id of this.messages.keys()) if (!present.has(id)) this.messages.delete(id);
    for (const o of objects) {
      if (o.type !== 'container' || o.state !== 'exited' || this.messages.has(o.id)) continue;
      this.messages.set(o.id, await this.terminationMessage(o));
    }
    return { observed: observePod(objects, this.messages), objects };
  }

  /**
   * The termination message: the file the container wrote at its
   * terminationMessagePath, else (FallbackToLogsOnError, non-zero exit) the
   * tail of its output; at most 4 KiB either way.
   */
  private async terminationMessage(o: RuntimeObject): Promise<string> {
    const file = o.labels[LABEL_TERMINATION_MESSAGE_PATH];
    if (file) {
      try {
        const fh = await fs.open(file, 'r');
        try {
          const buf = Buffer.alloc(MAX_TERMINATION_MESSAGE);
          const { bytesRead } = await fh.read(buf, 0, MAX_TERMINATION_MESSAGE, 0);
          if (bytesRead > 0) return buf.subarray(0, bytesRead).toString('utf8');
        } finally {
          await fh.close();
        }
      } catch {
        // No file: fall through to the logs when the policy allows.
      }
    }
    const kind = o.labels['io.skiff.container.kind'] === 'init' ? 'init' : 'app';
    const spec = this.containerSpec(o.name, kind);
    const policy = spec?.terminationMessagePolicy ?? 'File';
    if (policy !== 'FallbackToLogsOnError' || (o.exitCode ?? 0) === 0 || (o.error && !o.startedAt)) return '';
    try {
      const stream = await this.o.runtime.logs(o.id, { tail: FALLBACK_LOG_LINES });
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
      const all = Buffer.concat(chunks);
      return all.subarray(Math.max(0, all.length - MAX_TERMINATION_MESSAGE)).toString('utf8');
    } catch {
      return '';
    }
  }

  private downwardContext(observed: ObservedPod): DownwardContext {
    const sb = observed.sandboxes[0];
    const podIPs = this.pod.spec?.hostNetwork ? this.o.node.hostIPs : sb && sb.state === 'ready' ? sb.ips : [];
    const ctx: DownwardContext = { podIPs, hostIPs: this.o.node.hostIPs, nodeName: this.o.node.name };
    if (this.o.node.allocatable) ctx.nodeAllocatable = this.o.node.allocatable;
    return ctx;
  }

  // ---- sync ----

  private async sync(): Promise<void> {
    const { observed, objects } = await this.observe();
    if (this.done) {
      await this.publish(observed);
      return;
    }
    const cfg = this.o.backoff ?? DEFAULT_BACKOFF;
    const plan = computePodActions({
      pod: this.pod, observed, nowMs: this.now(), backoff: this.backoff, backoffConfig: cfg,
      probeFailures: this.owner.prober.failures(this.uid),
    });
    this.log.debug('plan', { plan: summarise(plan) });
    await this.execute(plan, observed, objects);
    backoffGC(this.backoff, this.now(), cfg);
    if (plan.requeueAfterMs !== undefined) this.armBackoff(plan.requeueAfterMs);
    const after = await this.observe();
    this.owner.prober.updatePod(this.pod, after.observed, this.o.node.hostIPs[0]);
    await this.publish(after.observed);
  }

  private async execute(plan: PodActions, observed: ObservedPod, objects: RuntimeObject[]): Promise<void> {
    // Step 1: kill the pod (being re-created, or done), or the containers that must go.
    if (plan.killPod) {
      if (plan.createSandbox && observed.sandboxes.length > 0) {
        this.event({ type: 'Normal', reason: 'SandboxChanged', message: 'Pod sandbox changed, it will be killed and re-created.' });
      }
      await this.killAll(observed, this.podGrace());
      if (plan.podDone) {
        this.done = true;
        this.owner.prober.removePod(this.uid);
        return;
      }
      if (plan.purgeInitContainers) {
        for (const c of observed.containers) if (c.kind === 'init') await this.o.runtime.removeContainer(c.id);
      }
    } else {
      for (const k of plan.containersToKill) {
        const c = observed.containers.find((x) => x.id === k.id);
        if (c) await this.killContainer(c, this.containerGrace(k.name, k.reason), k.message);
      }
    }

    // Step 2: garbage: old dead instances and stale sandboxes no container still uses.
    for (const id of plan.containersToRemove) await this.o.runtime.removeContainer(id).catch(() => undefined);
    for (const id of plan.staleSandboxes) {
      // Dead containers of an old sandbox stay (restart counts, previous logs); running ones were killed above.
      const live = objects.some((o) => o.type === 'container' && o.labels[LABEL_SANDBOX_ID] === id && o.state === 'running' && !plan.killPod);
      await this.o.runtime.stopSandbox(id, 0).catch(() => undefined);
      if (!live) await this.o.runtime.removeSandbox(id).catch(() => undefined);
    }

    // Step 3: volumes (every sync, so that ConfigMap/Secret/downward API changes appear).
    if (!(await this.setUpVolumes(observed))) return;

    // Step 4: the sandbox.
    let sandboxId = plan.createSandbox ? undefined : plan.sandboxId;
    let podIPs = observed.sandboxes[0]?.ips ?? [];
    if (plan.createSandbox) {
      const created = await this.createSandbox(plan.attempt);
      if (!created) return;
      sandboxId = created.id;
      podIPs = created.ips;
    }
    if (!sandboxId) return;
    const ctx: DownwardContext = { ...this.downwardContext(observed), podIPs: this.pod.spec?.hostNetwork ? this.o.node.hostIPs : podIPs };

    // Step 5: the next init container.
    if (plan.nextInitContainer) await this.startContainer(plan.nextInitContainer, sandboxId, ctx);

    // Step 6: back-off waits and app containers.
    for (const b of plan.backOff) {
      this.event({ type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${b.name} in pod ${formatPod(this.pod)}`, fieldPath: containerFieldPath(b.kind, b.name) });
      this.startFailures.set(b.name, { reason: 'CrashLoopBackOff', message: b.message });
    }
    for (const s of plan.containersToStart) await this.startContainer(s, sandboxId, ctx);
  }

  private async setUpVolumes(observed: ObservedPod): Promise<boolean> {
    try {
      this.prepared = await this.owner.volumes.setUp(this.pod, this.downwardContext(observed));
      this.lastFailedMount = undefined;
      return true;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (msg !== this.lastFailedMount) {
        this.event({ type: 'Warning', reason: 'FailedMount', message: msg });
        this.lastFailedMount = msg;
      }
      this.log.warn('volume setup failed', { err: msg });
      return false;
    }
  }

  private async createSandbox(attempt: number): Promise<{ id: string; ips: string[] } | undefined> {
    const rt = this.o.runtime;
    const pod = this.pod;
    const hostname = (pod.spec?.hostname ?? pod.metadata?.name ?? 'pod').slice(0, 63);
    const dns: DnsSettings = {
      clusterDNS: this.o.dns?.clusterDNS ?? [],
      clusterDomain: this.o.dns?.clusterDomain ?? 'cluster.local',
      hostResolvConf: this.o.dns?.hostResolvConf ?? (await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '')),
    };
    const policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
    const wantsCluster = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !pod.spec?.hostNetwork);
    if (wantsCluster && dns.clusterDNS.length === 0) {
      this.event({ type: 'Warning', reason: 'MissingClusterDNS', message: `pod: "${formatPod(pod)}". kubelet does not have ClusterDNS IP configured and cannot create Pod using "${policy}" policy. Falling back to "Default" policy.` });
    }
    let id: string | undefined;
    try {
      id = await rt.createSandbox({
        pod: { uid: this.uid, name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default' },
        hostname, network: pod.spec?.hostNetwork ? 'host' : this.o.network, resolvConf: renderResolvConf(pod, dns),
        hostIPC: pod.spec?.hostIPC ?? false, hostPID: pod.spec?.hostPID ?? false, attempt,
        tmpfsVolumes: VolumeManager.tmpfsVolumes(this.prepared),
        ...(this.owner.cgroupParent(pod) ? { cgroupParent: this.owner.cgroupParent(pod)! } : {}),
      });
      this.noteStart(id);
      await rt.startSandbox(id);
      const info = await rt.inspect(id);
      const ips = info?.ips ?? [];
      const hosts = { podIPs: pod.spec?.hostNetwork ? [] : ips, hostname, hostAliases: (pod.spec?.hostAliases ?? []).map((a) => ({ ip: a.ip ?? '', hostnames: a.hostnames ?? [] })) };
      const fqdn = pod.spec?.subdomain ? `${hostname}.${pod.spec.subdomain}.${pod.metadata?.namespace ?? 'default'}.svc.${dns.clusterDomain}` : undefined;
      await rt.writePodHosts(id, fqdn ? { ...hosts, fqdn } : hosts);
      return { id, ips };
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.event({ type: 'Warning', reason: 'FailedCreatePodSandBox', message: `Failed to create pod sandbox: ${msg}` });
      if (id) await rt.removeSandbox(id).catch(() => undefined);
      return undefined;
    }
  }

  /** startContainer from kuberuntime_container.go: image, config, create, start, postStart. */
  private async startContainer(s: ContainerToStart, sandboxId: string, ctx: DownwardContext): Promise<void> {
    const spec = this.containerSpec(s.name, s.kind);
    if (!spec) return;
    const fieldPath = containerFieldPath(s.kind, s.name);
    const rt = this.o.runtime;
    const fail = (reason: string, message: string, eventMessage?: string) => {
      this.startFailures.set(s.name, { reason, message });
      this.event({ type: 'Warning', reason: 'Failed', message: eventMessage ?? `Error: ${message}`, fieldPath });
    };

    if (!(await this.ensureImage(spec, fieldPath))) return;

    let env: { name: string; value: string }[];
    let mounts;
    try {
      const r = await makeEnvironment(this.pod, spec, this.o.resolver, ctx, this.o.serviceEnv?.(this.pod));
      env = r.env;
      for (const w of r.warnings) this.event({ type: 'Warning', reason: 'InvalidEnvironmentVariableNames', message: w });
      mounts = await this.owner.volumes.mountsFor(spec, this.prepared, env);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      // ContainerConfigError, VolumeSetupError and downward API errors alike.
      fail('CreateContainerConfigError', msg);
      return;
    }

    // The termination message file: one per instance, bound at terminationMessagePath.
    const msgDir = path.join(this.podDir(), 'containers', s.name);
    const msgFile = path.join(msgDir, `${s.restartCount}-termination-log`);
    const labels: Record<string, string> = { [LABEL_CONTAINER_HASH]: s.hash };
    try {
      await fs.mkdir(msgDir, { recursive: true });
      await fs.writeFile(msgFile, '');
      await fs.chmod(msgFile, 0o666);
      mounts.push({ kind: 'bind', hostPath: msgFile, containerPath: spec.terminationMessagePath ?? '/dev/termination-log', readOnly: false });
      labels[LABEL_TERMINATION_MESSAGE_PATH] = msgFile;
    } catch (err) {
      this.log.warn('cannot create the termination message file', { err: String(err) });
    }

    const cmd = expandCommand(spec, env);
    const sc = spec.securityContext;
    const psc = this.pod.spec?.securityContext;
    const runAsUser = sc?.runAsUser ?? psc?.runAsUser;
    const runAsGroup = sc?.runAsGroup ?? psc?.runAsGroup;
    let id: string;
    try {
      id = await rt.createContainer({
        pod: { uid: this.uid, name: this.pod.metadata?.name ?? '', namespace: this.pod.metadata?.namespace ?? 'default' },
        sandboxId, name: s.name, kind: s.kind, image: spec.image ?? '',
        ...(cmd.command ? { command: cmd.command } : {}), ...(cmd.args ? { args: cmd.args } : {}),
        env, ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
        tty: spec.tty ?? false, stdin: spec.stdin ?? false, stdinOnce: spec.stdinOnce ?? false,
        mounts, limits: cgroupLimitsFor(spec, this.o.pidsLimit), sharePid: this.pod.spec?.shareProcessNamespace ?? false,
        ...(runAsUser !== undefined ? { user: runAsGroup !== undefined ? `${runAsUser}:${runAsGroup}` : String(runAsUser) } : {}),
        privileged: sc?.privileged ?? false, readOnlyRootFilesystem: sc?.readOnlyRootFilesystem ?? false,
        capAdd: sc?.capabilities?.add ?? [], capDrop: sc?.capabilities?.drop ?? [],
        restartCount: s.restartCount, labels,
        ...(this.owner.cgroupParent(this.pod) ? { cgroupParent: this.owner.cgroupParent(this.pod)! } : {}),
      });
    } catch (err) {
      fail('CreateContainerError', err instanceof Error ? err.message : String(err));
      return;
    }
    this.event({ type: 'Normal', reason: 'Created', message: `Created container ${s.name}`, fieldPath });
    if (s.backoffEventMs !== undefined) backoffNext(this.backoff, s.backoffKey, s.backoffEventMs, this.now(), this.o.backoff ?? DEFAULT_BACKOFF);
    try {
      this.noteStart(id);
      await rt.startContainer(id);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      fail('RunContainerError', msg, `Error: failed to start container "${s.name}": ${msg}`);
      return;
    }
    this.event({ type: 'Normal', reason: 'Started', message: `Started container ${s.name}`, fieldPath });
    this.startFailures.delete(s.name);

    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const podIP = this.pod.spec?.hostNetwork ? this.o.node.hostIPs[0] : ctx.podIPs[0];
      // The kubelet gives postStart no deadline (the grace period bounds preStop only); a hung hook is cut at POST_START_TIMEOUT_MS.
      const err = await runLifecycleHandler(rt, id, spec, postStart, podIP, POST_START_TIMEOUT_MS);
      if (err) {
        this.event({ type: 'Warning', reason: 'FailedPostStartHook', message: `PostStartHook failed: ${err}`, fieldPath });
        const obs: ObservedContainer = { id, name: s.name, kind: s.kind, state: 'running', createdAt: new Date().toISOString(), restartCount: s.restartCount, image: spec.image ?? '', imageRef: '' };
        await this.killContainer(obs, this.containerGrace(s.name), `FailedPostStartHook`, false);
      }
    }
  }

  /** EnsureImageExists from the kubelet's image manager, with its events and pull back-off. */
  private async ensureImage(spec: Container, fieldPath: string): Promise<boolean> {
    const image = spec.image ?? '';
    const rt = this.o.runtime;
    const failed = (reason: string, message: string) => {
      this.startFailures.set(spec.name, { reason, message });
      this.event({ type: 'Warning', reason: 'Failed', message: `Error: ${reason}`, fieldPath });
      return false;
    };
    let present: boolean;
    try {
      present = (await rt.inspectImage(image)) !== undefined;
    } catch (err) {
      return failed('ImageInspectError', `Failed to inspect image "${image}": ${String(err)}`);
    }
    const policy = effectivePullPolicy(image, spec.imagePullPolicy);
    const shouldPull = policy === 'Always' || (policy === 'IfNotPresent' && !present);
    if (!shouldPull) {
      if (present) {
        this.event({ type: 'Normal', reason: 'Pulled', message: `Container image "${image}" already present on machine`, fieldPath });
        return true;
      }
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.event({ type: 'Warning', reason: 'ErrImageNeverPull', message: msg, fieldPath });
      return failed('ErrImageNeverPull', msg);
    }
    const key = `${this.uid}_${image}`;
    const cfg = this.o.imagePullBackoff ?? this.o.backoff ?? DEFAULT_BACKOFF;
    const entry = this.pullBackoff.get(key);
    const now = this.now();
    if (entry && now - entry.lastUpdateMs < entry.backoffMs) {
      const msg = `Back-off pulling image "${image}"`;
      this.event({ type: 'Normal', reason: 'BackOff', message: msg, fieldPath });
      this.armBackoff(entry.backoffMs - (now - entry.lastUpdateMs));
      return failed('ImagePullBackOff', msg);
    }
    this.event({ type: 'Normal', reason: 'Pulling', message: `Pulling image "${image}"`, fieldPath });
    const started = Date.now();
    try {
      const secrets = await this.pullSecrets();
      const auth = pullAuthFor(image, secrets);
      const r = await rt.pullImage(image, auth ? { auth } : {});
      const took = formatGoDuration(Date.now() - started);
      this.event({ type: 'Normal', reason: 'Pulled', message: `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${r.sizeBytes} bytes.`, fieldPath });
      this.pullBackoff.delete(key);
      return true;
    } catch (err) {
      const msg = err instanceof ImagePullError || err instanceof Error ? err.message : String(err);
      this.event({ type: 'Warning', reason: 'Failed', message: `Failed to pull image "${image}": ${msg}`, fieldPath });
      const next = backoffNext(this.pullBackoff, key, this.now(), this.now(), cfg);
      this.armBackoff(next.backoffMs);
      return failed('ErrImagePull', msg);
    }
  }

  private async pullSecrets(): Promise<Secret[]> {
    const ns = this.pod.metadata?.namespace ?? 'default';
    const out: Secret[] = [];
    for (const ref of this.pod.spec?.imagePullSecrets ?? []) {
      if (!ref.name) continue;
      const s = await this.o.resolver.getSecret(ns, ref.name);
      if (s) out.push(s);
    }
    return out;
  }

  // ---- termination ----

  private podGrace(): number {
    if (this.killGrace !== undefined) return this.killGrace;
    const g = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds;
    return g ?? 30;
  }

  private containerGrace(name: string, reason?: string): number {
    const c = this.pod.spec?.containers?.find((x) => x.name === name);
    const probeGrace = reason === 'LivenessProbe' ? c?.livenessProbe?.terminationGracePeriodSeconds : reason === 'StartupProbe' ? c?.startupProbe?.terminationGracePeriodSeconds : undefined;
    return probeGrace ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
  }

  /** killContainer: Killing event, preStop hook within the grace period, then SIGTERM and SIGKILL. */
  private async killContainer(c: ObservedContainer, graceSeconds: number, message?: string, runPreStop = true): Promise<void> {
    const spec = this.containerSpec(c.name, c.kind);
    const fieldPath = containerFieldPath(c.kind, c.name);
    this.event({ type: 'Normal', reason: 'Killing', message: message ?? `Stopping container ${c.name}`, fieldPath });
    let grace = graceSeconds;
    const preStop = spec?.lifecycle?.preStop;
    if (runPreStop && preStop && c.state === 'running' && grace > 0) {
      const t0 = Date.now();
      const sb = (await this.observe()).observed.sandboxes[0];
      const err = await runLifecycleHandler(this.o.runtime, c.id, spec!, preStop, sb?.ips[0], grace * 1000);
      if (err) this.event({ type: 'Warning', reason: 'FailedPreStopHook', message: `PreStopHook failed: ${err}`, fieldPath });
      grace -= Math.floor((Date.now() - t0) / 1000);
    }
    if (grace < MIN_GRACE_SECONDS && graceSeconds > 0) grace = MIN_GRACE_SECONDS;
    await this.o.runtime.stopContainer(c.id, Math.max(0, grace));
  }

  /** killPodWithSyncResult: every running container in parallel, then the sandbox. */
  private async killAll(observed: ObservedPod, grace: number): Promise<void> {
    const live = observed.containers.filter((c) => c.state === 'running' || c.state === 'created' || c.state === 'unknown');
    await Promise.all(live.map((c) => (c.state === 'running' ? this.killContainer(c, grace) : this.o.runtime.stopContainer(c.id, 0))));
    for (const s of observed.sandboxes) if (s.state === 'ready') await this.o.runtime.stopSandbox(s.id, 0);
  }

  /** The pod is being deleted (or evicted): stop everything and report the final status. */
  private async terminate(): Promise<void> {
    this.terminating = true;
    const { observed } = await this.observe();
    await this.killAll(observed, this.podGrace());
    this.done = true;
    this.owner.prober.removePod(this.uid);
    const after = await this.observe();
    await this.publish(after.observed, true);
  }

  async remove(): Promise<void> {
    // Gone from the API: whatever grace there was has been spent.
    this.killGrace ??= 0;
    // A graceful kill still waiting out its period (a forced delete of a
    // Terminating pod) is cut short, as the kubelet cancels a termination
    // when a shorter grace period arrives.
    if (this.running && this.terminating) await this.killRunningNow();
    this.enqueue({ kind: 'remove' });
    await this.idle();
    this.stopTimers();
    const objs = await this.o.runtime.list({ labels: { [LABEL_POD_UID]: this.uid } });
    for (const o of objs.filter((x) => x.labels[LABEL_TYPE] === 'container')) await this.o.runtime.removeContainer(o.id);
    for (const o of objs.filter((x) => x.labels[LABEL_TYPE] === 'sandbox')) await this.o.runtime.removeSandbox(o.id);
    await this.owner.volumes.tearDown(this.uid);
    await this.owner.removeCgroups(this.uid);
  }

  /** SIGKILL to every running container of the pod (an in-flight stop then returns at once). */
  private async killRunningNow(): Promise<void> {
    const objs = await this.o.runtime.list({ labels: { [LABEL_POD_UID]: this.uid } }).catch(() => [] as RuntimeObject[]);
    await Promise.all(objs.filter((o) => o.type === 'container' && o.state === 'running')
      .map((o) => this.o.runtime.killContainer(o.id, 'SIGKILL').catch(() => undefined)));
  }

  // ---- status ----

  private async publish(observed: ObservedPod, terminal = false): Promise<void> {
    const status = computePodStatus({
      pod: this.pod, observed, probes: this.owner.prober, startFailures: this.startFailures,
      ...(this.lastStatus ? { previous: this.lastStatus } : {}),
      hostIPs: this.o.node.hostIPs, now: new Date(this.now()), podIsTerminal: terminal || this.done,
    });
    if (this.lastStatus && JSON.stringify(this.lastStatus) === JSON.stringify(status)) return;
    this.lastStatus = status;
    this.o.onStatus(this.pod, status);
  }
}

function summarise(p: PodActions): Record<string, unknown> {
  return {
    killPod: p.killPod, createSandbox: p.createSandbox, podDone: p.podDone,
    init: p.nextInitContainer?.name, start: p.containersToStart.map((c) => c.name),
    kill: p.containersToKill.map((c) => c.name), backOff: p.backOff.map((b) => b.name),
  };
}
