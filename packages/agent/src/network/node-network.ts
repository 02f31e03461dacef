import { readFileSync } from 'node:fs';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import { ClusterRecords } from '../dns/cluster-records';
import { DnsServer, parseNameservers } from '../dns/dns-server';
import { ExecIptables, type IptablesRunner } from '../proxy/iptables-runner';
import { Proxier } from '../proxy/proxier';
import { ServiceFeed } from './service-feed';

export interface NodeNetworkConfig {
  nodeName: string;
  nodeIP: string;
  /** This node's pod range ('' until the master allocates one). */
  podCIDR: string;
  /** Default 10.96.0.0/12. */
  serviceCIDR: string;
  /** Default 10.244.0.0/16. */
  clusterCIDR: string;
  clusterDomain: string;
  /**
   * Serve DNS here (UDP+TCP), e.g. the pod bridge's gateway address and 53;
   * with `clusterDNS` the proxy DNATs that service address to it.
   * Omitted: no DNS server.
   */
  dns?: { host: string; port: number; clusterDNS?: string };
  minSyncIntervalMs?: number;
  fullSyncIntervalMs?: number;
  /** Default: the system's iptables in this namespace. */
  runner?: IptablesRunner;
  /** Where forwarded names go; default the nameservers of /etc/resolv.conf. */
  upstreams?: string[];
  logger?: Logger;
}

/**
 * The agent's networking services: the iptables proxy and the DNS server,
 * both fed from the assignment stream through one ServiceFeed.
 *
 *   const net = new NodeNetwork({...}); await net.start();
 *   on a new stream: net.feed.beginFullState();
 *   per assignment:  if (net.feed.handle(a)) return;   // SYNC returns false: the agent sees it too
 */
export class NodeNetwork {
  readonly records: ClusterRecords;
  readonly proxier: Proxier;
  readonly feed: ServiceFeed;
  private dnsServer?: DnsServer;
  private readonly log: Logger;

  constructor(private readonly cfg: NodeNetworkConfig) {
    this.log = cfg.logger ?? nullLogger;
    this.records = new ClusterRecords(cfg.clusterDomain);
    const dns = cfg.dns;
    this.proxier = new Proxier({
      node: {
        nodeName: cfg.nodeName, nodeIP: cfg.nodeIP, podCIDR: cfg.podCIDR, serviceCIDR: cfg.serviceCIDR, clusterCIDR: cfg.clusterCIDR,
        ...(dns?.clusterDNS ? { localDNS: { serviceIP: dns.clusterDNS, ip: dns.host, port: dns.port } } : {}),
      },
      runner: cfg.runner ?? new ExecIptables(),
      ...(cfg.minSyncIntervalMs !== undefined ? { minSyncIntervalMs: cfg.minSyncIntervalMs } : {}),
      ...(cfg.fullSyncIntervalMs !== undefined ? { fullSyncIntervalMs: cfg.fullSyncIntervalMs } : {}),
      logger: this.log.child({ component: 'proxy' }),
    });
    this.feed = new ServiceFeed([this.proxier, this.records], () => this.proxier.setInitialized());
  }

  async start(): Promise<void> {
    this.proxier.start();
    const dns = this.cfg.dns;
    if (!dns) return;
    const upstreams = (this.cfg.upstreams ?? parseNameservers(readFileSync('/etc/resolv.conf', 'utf8')))
      .filter((h) => h !== dns.host && h !== dns.clusterDNS)
      .map((host) => ({ host, port: 53 }));
    this.dnsServer = new DnsServer({ records: this.records, host: dns.host, port: dns.port, upstreams, logger: this.log.child({ component: 'dns' }) });
    const port = await this.dnsServer.start();
    this.log.info('dns serving', { address: `${dns.host}:${port}`, upstreams: upstreams.map((u) => u.host) });
  }

  async stop(): Promise<void> {
    await this.proxier.stop();
    await this.dnsServer?.stop();
  }
}
