import { promises as fs, mkdirSync } from 'node:fs';
import Docker from 'dockerode';
import type { ConfigMap, NodeCondition, PersistentVolume, PersistentVolumeClaim, Pod, Secret } from 'kubernetes-types/core/v1';
import type { AgentConfig } from './config';
import type { Logger } from './logger';
import { PodWorkers } from './pods/pod-worker';
import { DockerRuntime } from './runtime/docker-runtime';
import type { Assignment } from './gateway-client/agent-proto';
import { CertificateRotator } from './gateway-client/cert-rotation';
import { EventForwarder } from './gateway-client/event-forwarder';
import { GatewayClient, type AssignmentWatch } from './gateway-client/gateway-client';
import { ensureNodeCredentials } from './gateway-client/node-credentials';
import { ObjectCache } from './gateway-client/object-cache';
import { StatusReporter } from './gateway-client/status-reporter';
import { collectHostFacts, type HostFacts } from './node/host-facts';
import { buildNode } from './node/node-object';
import { sourceAddressFor, splitHostPort } from './node/node-ip';
import { NodeNetwork, ServiceFeed } from './network';
import { ServiceCache } from './pods/service-env';
import { cgroupSetupFromInfo, type CgroupSetup } from './resources/cgroup-parent';
import { autoCgroupRoot, engineDefaultCgroupParent } from './runtime/engine-cgroup-parent';
import { StreamServer } from './streams';

const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 30_000;

function dockerClient(host: string | undefined): Docker {
  if (!host) return new Docker();
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(host);
  if (m) return new Docker({ host: m[1]!, port: Number(m[2]) });
  throw new Error(`--docker-host: want unix:///path or tcp://host:port, got "${host}"`);
}

/**
 * skiff-agent wired together: join once, register the Node, renew the Lease,
 * and drive PodWorkers from the gateway's assignment stream, reporting
 * statuses and events back. A lost stream is reopened with exponential
 * back-off; pods keep running meanwhile and the agent converges on the full
 * state the gateway sends on reconnect.
 */
export class Agent {
  private client?: GatewayClient;
  private certs?: CertificateRotator;
  private runtime?: DockerRuntime;
  private workers?: PodWorkers;
  private statuses?: StatusReporter;
  private events?: EventForwarder;
  private streams?: StreamServer;
  private streamDeps?: { docker: Docker };
  private readonly objects = new ObjectCache();
  private facts?: HostFacts;
  private nodeIP = '';
  private conditions: NodeCondition[] = [];
  private watch?: AssignmentWatch;
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  /** Pods of the current stream, by uid (the full state once SYNC arrived). */
  private assigned = new Map<string, Pod>();
  private synced = false;
  private network?: NodeNetwork;
  /** Services for pods' service environment variables (fed whatever the proxy mode). */
  private readonly services = new ServiceCache();
  private readonly serviceFeed = new ServiceFeed([this.services]);

  constructor(readonly cfg: AgentConfig, private readonly log: Logger) {}

  async start(): Promise<void> {
    const { cfg, log } = this;
    mkdirSync(cfg.home, { recursive: true });
    const { creds, gateway, gateways } = await ensureNodeCredentials(
      { home: cfg.home, nodeName: cfg.nodeName, ...(cfg.join ? { join: cfg.join } : {}), ...(cfg.token ? { token: cfg.token } : {}), ...(cfg.caHash ? { caHash: cfg.caHash } : {}) },
      log.child({ component: 'join' }),
    );
    const { host, port } = splitHostPort(gateway);
    this.nodeIP = cfg.nodeIP ?? await sourceAddressFor(host, port);
    const docker = dockerClient(cfg.dockerHost);
    this.runtime = new DockerRuntime({ docker, rootDir: cfg.home, logger: log.child({ component: 'runtime' }), allowedRegistries: cfg.allowedRegistries });
    this.facts = await collectHostFacts(docker, cfg.home);
    const cgroups = await this.adoptCgroupDriver(docker);
    const client = new GatewayClient(gateways, creds);
    client.onSwitch((address) => {
      log.warn('master unreachable; switching to another master', { gateway: address });
      this.restartStreams(address);
    });
    this.client = client;
    this.certs = new CertificateRotator({
      home: cfg.home, nodeName: cfg.nodeName, client, creds, log: log.child({ component: 'cert-rotation' }),
      onRenewed: () => this.restartStreams(client.address),
    });
    this.certs.start();
    this.statuses = new StatusReporter(client, log.child({ component: 'status-reporter' }));
    this.events = new EventForwarder(client, cfg.nodeName, log.child({ component: 'events' }));
    this.workers = new PodWorkers({
      runtime: this.runtime, resolver: this.objects, recorder: this.events, rootDir: cfg.home, network: cfg.podNetwork,
      node: { name: cfg.nodeName, hostIPs: [this.nodeIP], allocatable: { cpu: String(this.facts.cpus), memory: `${Math.floor(this.facts.memoryBytes / 1024)}Ki` } },
      dns: { hostResolvConf: await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => ''), clusterDomain: cfg.clusterDomain,
        // Pods name the cluster DNS address only when this node serves it (the proxy DNATs it to --dns-listen).
        clusterDNS: cfg.proxyMode === 'iptables' && cfg.dnsListen ? [cfg.clusterDNS] : [] },
      serviceEnv: (pod) => this.services.envFor(pod),
      backoff: { initialMs: cfg.restartBackoffInitialMs, maxMs: cfg.restartBackoffMaxMs },
      imagePullBackoff: { initialMs: cfg.imagePullBackoffInitialMs, maxMs: cfg.imagePullBackoffMaxMs },
      resyncIntervalMs: cfg.podResyncIntervalMs,
      ...(cgroups ? { cgroups } : {}),
      onStatus: (pod, status) => this.statuses?.push(pod, status),
      logger: log,
    });
    if (cfg.proxyMode === 'iptables') {
      const dns = cfg.dnsListen ? { host: cfg.dnsListen.split(':')[0]!, port: Number(cfg.dnsListen.split(':')[1]), clusterDNS: cfg.clusterDNS } : undefined;
      this.network = new NodeNetwork({
        nodeName: cfg.nodeName, nodeIP: this.nodeIP, podCIDR: cfg.podCIDR ?? '', serviceCIDR: cfg.serviceCIDR,
        clusterCIDR: cfg.clusterCIDR, clusterDomain: cfg.clusterDomain, ...(dns ? { dns } : {}), logger: log.child({ component: 'network' }),
      });
      await this.network.start();
    }
    this.streams = new StreamServer({ gateway, creds, workers: this.workers, runtime: this.runtime, docker, log: log.child({ component: 'streams' }) });
    this.streams.start();
    this.streamDeps = { docker };
    log.info('skiff-agent starting', { node: cfg.nodeName, nodeIP: this.nodeIP, gateway, runtime: this.facts.containerRuntimeVersion });
    this.timers.push(setInterval(() => void this.renewLease(), cfg.leaseRenewIntervalMs));
    this.timers.push(setInterval(() => void this.registerNode().catch((e: unknown) => log.warn('node status update failed', { error: (e as Error).message })), cfg.nodeStatusIntervalMs));
    this.loop = this.connectLoop();
  }

  /** The logs/exec tunnel follows the master the agent talks to, with the current node certificate. */
  private restartStreams(gateway: string): void {
    const old = this.streams;
    if (!old || !this.streamDeps || this.stopped) return;
    this.streams = new StreamServer({
      gateway, creds: this.certs!.credentials, workers: this.workers!, runtime: this.runtime!, docker: this.streamDeps.docker,
      log: this.log.child({ component: 'streams' }),
    });
    this.streams.start();
    void old.stop().catch((e: unknown) => this.log.warn('stopping the old stream tunnel failed', { error: (e as Error).message }));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.certs?.stop();
    this.watch?.close();
    this.wake?.();
    await this.loop;
    await this.streams?.stop();
    this.statuses?.stop();
    this.events?.stop();
    this.workers?.shutdown();
    await this.network?.stop();
    this.runtime?.close();
    this.client?.close();
  }

  /**
   * The engine's cgroup driver and version (`docker info`), adopted whatever they are:
   * a mismatch with what the agent expects is never fatal. Undefined: leave the engine's default parent.
   */
  private async adoptCgroupDriver(docker: Docker): Promise<{ setup: CgroupSetup; root: string } | undefined> {
    let setup: CgroupSetup;
    let reported = '';
    try {
      const info = await docker.info() as { CgroupDriver?: string; CgroupVersion?: string };
      setup = cgroupSetupFromInfo(info);
      reported = info.CgroupDriver ?? '';
    } catch (e) {
      this.log.warn('cannot read the engine\'s cgroup driver; pods keep the engine\'s default cgroup parent', { error: (e as Error).message });
      return undefined;
    }
    let root = this.cfg.cgroupRoot;
    let engineParent: string | undefined;
    if (root === 'auto') {
      engineParent = await engineDefaultCgroupParent(docker, 'skiff/pause:3.9');
      root = autoCgroupRoot(setup, engineParent);
    }
    this.log.info('adopted the container engine\'s cgroup driver', { cgroupDriver: setup.driver, cgroupVersion: setup.version, reported, cgroupRoot: root, ...(engineParent ? { engineCgroupParent: engineParent } : {}) });
    return root === 'engine' ? undefined : { setup, root };
  }

  // ---- registration and lease ----

  private async nodeHealth(): Promise<{ runtimeUp: boolean; runtimeError?: string }> {
    try {
      await this.runtime!.docker.ping();
      return { runtimeUp: true };
    } catch (e) {
      return { runtimeUp: false, runtimeError: (e as Error).message };
    }
  }

  private async registerNode(): Promise<void> {
    const node = buildNode(this.cfg.nodeName, this.nodeIP, this.facts!, await this.nodeHealth(), new Date(), this.conditions);
    // A node whose pod range is fixed locally (--pod-cidr, as the lab's dockerd bridges are)
    // asks the master for exactly that range, so node.spec.podCIDR tells the truth.
    if (this.cfg.podCIDR) node.spec = { podCIDR: this.cfg.podCIDR };
    const stored = await this.client!.registerNode(node);
    this.conditions = node.status?.conditions ?? [];
    this.log.debug('node status updated', { resourceVersion: stored.metadata?.resourceVersion });
  }

  private async renewLease(): Promise<void> {
    try {
      await this.client!.renewLease(this.cfg.leaseDurationSeconds);
    } catch (e) {
      this.log.warn('lease renewal failed', { error: (e as Error).message });
    }
  }

  // ---- the assignment stream ----

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let synced = false;
      try {
        await this.registerNode();
        await this.renewLease();
        synced = await this.streamOnce();
      } catch (e) {
        this.log.warn('gateway unreachable', { error: (e as Error).message, attempt });
      }
      if (this.stopped) break;
      attempt = synced ? 0 : attempt + 1;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** attempt) * (0.8 + Math.random() * 0.4);
      this.log.info('reconnecting to the gateway', { inMs: Math.round(delay) });
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => { clearTimeout(t); r(); };
      });
    }
  }

  /** One stream until it ends; true when it got as far as the full state. */
  private streamOnce(): Promise<boolean> {
    this.network?.feed.beginFullState();
    this.serviceFeed.beginFullState();
    this.assigned = new Map();
    this.synced = false;
    let queue: Promise<void> = Promise.resolve();
    return new Promise((resolve) => {
      this.watch = this.client!.watchAssignments(
        (a) => { queue = queue.then(() => this.apply(a)).catch((e: unknown) => this.log.error('applying an assignment failed', { error: (e as Error).message })); },
        (err) => {
          if (err && !this.stopped) this.log.warn('assignment stream ended', { error: err.message });
          void queue.then(() => resolve(this.synced));
        },
      );
    });
  }

  private async apply(a: Assignment): Promise<void> {
    const serviceObject = this.serviceFeed.handle(a);
    if (this.network?.feed.handle(a) || serviceObject) return;
    const workers = this.workers!;
    if (a.type === 'SYNC') {
      await this.converge();
      return;
    }
    const deleted = a.type === 'DELETED';
    if (a.pod_json) {
      const pod = JSON.parse(a.pod_json.toString('utf8')) as Pod;
      const uid = pod.metadata?.uid ?? '';
      if (deleted) {
        this.assigned.delete(uid);
        this.statuses?.forget(uid);
        this.log.info('pod removed from this node', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
        await workers.removePod(uid);
      } else {
        this.assigned.set(uid, pod);
        workers.updatePod(pod);
      }
    } else if (a.configmap_json) {
      const cm = JSON.parse(a.configmap_json.toString('utf8')) as ConfigMap;
      if (deleted) this.objects.deleteConfigMap(cm); else this.objects.putConfigMap(cm);
    } else if (a.secret_json) {
      const s = JSON.parse(a.secret_json.toString('utf8')) as Secret;
      if (deleted) this.objects.deleteSecret(s); else this.objects.putSecret(s);
    } else if (a.persistentvolumeclaim_json) {
      const c = JSON.parse(a.persistentvolumeclaim_json.toString('utf8')) as PersistentVolumeClaim;
      if (deleted) this.objects.deleteClaim(c);
      else {
        this.objects.putClaim(c);
        // A claim usually binds after its pod arrived here: sync the pods that mount it now
        // rather than at the next resync.
        for (const pod of this.assigned.values()) {
          if (pod.metadata?.namespace !== c.metadata?.namespace) continue;
          if ((pod.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === c.metadata?.name)) workers.resyncPod(pod.metadata?.uid ?? '');
        }
      }
    } else if (a.persistentvolume_json) {
      const v = JSON.parse(a.persistentvolume_json.toString('utf8')) as PersistentVolume;
      if (deleted) this.objects.deleteVolume(v); else this.objects.putVolume(v);
    }
  }

  /** After the full state: pods that vanished while disconnected go, and so does whatever no pod owns. */
  private async converge(): Promise<void> {
    const workers = this.workers!;
    const known = new Set(this.assigned.keys());
    for (const pod of workers.pods()) {
      const uid = pod.metadata?.uid ?? '';
      if (!known.has(uid)) {
        this.log.info('pod no longer assigned to this node', { pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
        this.statuses?.forget(uid);
        await workers.removePod(uid);
      }
    }
    const orphans = await workers.removeOrphans(known);
    if (orphans.length) this.log.info('removed containers of pods this node no longer runs', { uids: orphans });
    this.synced = true;
    this.log.info('in sync with the gateway', { pods: known.size });
  }
}
