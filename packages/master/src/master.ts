import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:https';
import { Etcd3 } from 'etcd3';
import { findByKind, KObject, StatusError, SYSTEM_PRIORITY_CLASSES } from '@skiff/api';
import {
  EtcdStorage, Registry, NamespaceCache, ServiceAllocator, createApiApp, listenHttps, ensurePki, kubeconfigYaml,
  StaticTokenFile, firstServiceIP,
} from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import { certificateSANs, MasterConfig } from './config';
import { NamespaceController } from './controllers/namespace-controller';
import { startAgentGateway } from './gateway';
import { startControlPlaneLoops } from '@skiff/controllers';
import { metricsApi, NodeStatsCache, statsPodMetricsSource } from './metrics';
import { AgentTunnels, PodStreamsService } from './streams';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** skiff-master: storage, API server and control loops wired together. */
export class Master {
  private etcd?: Etcd3;
  private server?: Server;
  private nsCache?: NamespaceCache;
  private nsController?: NamespaceController;
  private gateway?: { stop(): Promise<void> };
  private tunnels?: AgentTunnels;
  private podStreams?: PodStreamsService;
  private rotation?: NodeJS.Timeout;
  private loops?: { stop(): Promise<void> };
  private servingCert?: string;
  registry?: Registry;
  private ready = false;

  constructor(readonly cfg: MasterConfig, private readonly log: Logger) {}

  async start(): Promise<void> {
    const { cfg, log } = this;
    mkdirSync(cfg.home, { recursive: true });
    this.etcd = new Etcd3({ hosts: cfg.etcdServers, dialTimeout: 5000, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
    const storage = new EtcdStorage(this.etcd);
    await this.waitForEtcd(storage);
    this.nsCache = new NamespaceCache();
    const allocator = new ServiceAllocator(storage, { serviceCIDR: cfg.serviceClusterIPRange, nodePortRange: cfg.nodePortRange });
    const registry = new Registry(storage, this.nsCache, allocator);
    this.registry = registry;
    await this.nsCache.start(registry, log);

    const kubeIP = firstServiceIP(cfg.serviceClusterIPRange);
    const pki = await ensurePki(cfg.home, certificateSANs(cfg, kubeIP));
    const server = `https://${cfg.advertiseAddress === '0.0.0.0' ? '127.0.0.1' : cfg.advertiseAddress}:${cfg.securePort}`;
    writeFileSync(join(cfg.home, 'admin.kubeconfig'), kubeconfigYaml({
      server, ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key, cluster: 'skiff', user: 'skiff-admin', context: 'skiff',
    }), { mode: 0o600 });

    await this.bootstrapObjects(kubeIP);
    this.tunnels = new AgentTunnels(log);
    this.podStreams = new PodStreamsService(this.tunnels, log);
    this.gateway = await startAgentGateway({ registry, log, pki, port: cfg.agentGatewayPort, host: cfg.bindAddress, home: cfg.home, advertise: [cfg.advertiseAddress], services: [this.tunnels.service()], nodeCertValiditySeconds: cfg.nodeCertValidityMs / 1000 });
    this.nsController = new NamespaceController(registry, log.child({ component: 'namespace-controller' }));
    await this.nsController.start();
    this.loops = await startControlPlaneLoops({
      registry, log: log.child({ component: 'controller-manager' }),
      nodeMonitorGracePeriodMs: cfg.nodeMonitorGracePeriodMs, podEvictionTimeoutMs: cfg.podEvictionTimeoutMs,
      podMetrics: statsPodMetricsSource(new NodeStatsCache(this.tunnels, log.child({ component: 'hpa-metrics' }))), hpaSyncPeriodMs: cfg.hpaSyncPeriodMs,
      localVolumeDir: cfg.localVolumeDir,
    });

    const app = createApiApp({
      registry, log, tls: { cert: pki.apiserver.cert, key: pki.apiserver.key, ca: pki.ca.cert },
      tokens: [new StaticTokenFile(cfg.tokenAuthFile)],
      readiness: async () => this.ready,
      bookmarkIntervalMs: cfg.bookmarkIntervalMs,
      podStreams: this.podStreams,
      extraGroups: [metricsApi({ registry, tunnels: this.tunnels, log })],
    });
    this.servingCert = pki.apiserver.cert;
    this.server = await listenHttps(app, { port: cfg.securePort, host: cfg.bindAddress, tls: { cert: pki.apiserver.cert, key: pki.apiserver.key, ca: pki.ca.cert } });
    this.ready = true;
    this.rotation = setInterval(() => { void this.rotateServingCert(kubeIP).catch((e: Error) => log.warn('certificate rotation failed', { error: e.message })); }, cfg.certCheckIntervalMs);
    this.rotation.unref();
    log.info('skiff-master serving', { address: `${cfg.bindAddress}:${cfg.securePort}`, etcd: cfg.etcdServers.join(','), kubeconfig: join(cfg.home, 'admin.kubeconfig') });
  }

  /**
   * Re-issues the serving certificate when it nears expiry (or was replaced on disk) and swaps
   * it into the running server: clients and pods see no restart.
   */
  async rotateServingCert(kubeIP: string): Promise<boolean> {
    const pki = await ensurePki(this.cfg.home, certificateSANs(this.cfg, kubeIP));
    if (!this.server || pki.apiserver.cert === this.servingCert) return false;
    this.server.setSecureContext({ cert: pki.apiserver.cert, key: pki.apiserver.key, ca: pki.ca.cert });
    this.servingCert = pki.apiserver.cert;
    this.log.info('serving certificate rotated', { component: 'pki' });
    return true;
  }

  private async waitForEtcd(storage: EtcdStorage): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await storage.currentRevision();
        return;
      } catch (e) {
        if (i >= 60) throw new Error(`etcd at ${this.cfg.etcdServers.join(',')} is not reachable: ${(e as Error).message}`);
        if (i % 5 === 0) this.log.warn('waiting for etcd', { servers: this.cfg.etcdServers.join(','), error: (e as Error).message });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** The namespaces every cluster starts with and the `kubernetes` service. Idempotent. */
  private async bootstrapObjects(kubeIP: string): Promise<void> {
    const registry = this.registry!;
    const nsInfo = findByKind('v1', 'Namespace')!;
    for (const name of SYSTEM_NAMESPACES) await createIfMissing(() => registry.create(nsInfo, undefined, { metadata: { name } }));
    const pcInfo = findByKind('scheduling.k8s.io/v1', 'PriorityClass')!;
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      await createIfMissing(() => registry.create(pcInfo, undefined, { metadata: { name: pc.name }, value: pc.value, description: pc.description, preemptionPolicy: 'PreemptLowerPriority' }));
    }
    const svcInfo = findByKind('v1', 'Service')!;
    await createIfMissing(() => registry.create(svcInfo, 'default', {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { type: 'ClusterIP', clusterIP: kubeIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: this.cfg.securePort }], sessionAffinity: 'None' },
    }));
    const epInfo = findByKind('v1', 'Endpoints')!;
    const ep: KObject = {
      metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: this.cfg.advertiseAddress === '0.0.0.0' ? '127.0.0.1' : this.cfg.advertiseAddress }], ports: [{ name: 'https', port: this.cfg.securePort, protocol: 'TCP' }] }],
    };
    const existing = await registry.tryGet(epInfo, 'default', 'kubernetes');
    if (!existing) await createIfMissing(() => registry.create(epInfo, 'default', ep));
    else await registry.update(epInfo, 'default', 'kubernetes', { ...existing, subsets: ep.subsets });
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.podStreams?.close();
    this.tunnels?.close();
    if (this.rotation) clearInterval(this.rotation);
    await this.gateway?.stop();
    this.nsController?.stop();
    this.nsCache?.close();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
    this.etcd?.close();
  }
}

async function createIfMissing(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
  }
}
