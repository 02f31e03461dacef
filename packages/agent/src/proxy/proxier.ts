import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import { ensureJumps, skiffChains } from './builtin-jumps';
import { ConntrackCleaner, staleUdpFlows } from './conntrack';
import type { IptablesRunner } from './iptables-runner';
import { renderServicePorts, type ProxyNodeConfig } from './render-iptables';
import { compareServicePorts, servicePorts, type ServicePortInfo } from './service-ports';

export interface ProxierOptions {
  node: ProxyNodeConfig;
  runner: IptablesRunner;
  /** No two syncs start closer than this (changes in between are batched). Default 1 s. */
  minSyncIntervalMs?: number;
  /** A full resync (every chain rewritten, builtin jumps checked) at least this often. Default 30 s. */
  fullSyncIntervalMs?: number;
  /**
   * How often a sync also checks that Skiff's jumps head the builtin chains
   * (six `iptables -S` spawns; Docker may insert rules above them). Always on
   * the first sync and after a failure. Default 60 s.
   */
  jumpCheckIntervalMs?: number;
  /** Write only the chains of changed services between full syncs (kube-proxy's partial sync). Default true. */
  partialSync?: boolean;
  /** Drop stale UDP conntrack entries (needs the `conntrack` tool). Default true. */
  conntrack?: boolean;
  logger?: Logger;
}

export interface SyncResult {
  full: boolean;
  skipped: boolean;
  servicePorts: number;
  writtenServicePorts: number;
  payloadBytes: number;
  renderMs: number;
  applyMs: number;
}

function key(o: { metadata?: { namespace?: string; name?: string } }): string {
  return `${o.metadata?.namespace || 'default'}/${o.metadata?.name ?? ''}`;
}

function sliceService(s: EndpointSlice): string | undefined {
  const svc = s.metadata?.labels?.['kubernetes.io/service-name'];
  return svc ? `${s.metadata?.namespace || 'default'}/${svc}` : undefined;
}

/**
 * kube-proxy's iptables proxier, small: change trackers collect which
 * services changed; a rate-bounded runner renders the state and applies it
 * with one `iptables-restore --noflush`. Between full syncs only the chains of
 * changed services are written. A failed sync forces the next one to be full
 * (and to re-read which chains exist).
 */
export class Proxier {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly endpoints = new Map<string, Endpoints>();
  /** Service key -> the keys of its EndpointSlices. */
  private readonly sliceIndex = new Map<string, Set<string>>();
  /** Service key -> its computed ports, recomputed only when the service is dirty (or at a full sync). */
  private readonly portsCache = new Map<string, ServicePortInfo[]>();
  private readonly dirty = new Set<string>();
  private readonly log: Logger;
  private readonly minInterval: number;
  private readonly fullInterval: number;
  private readonly conntrack?: ConntrackCleaner;
  private initialized = false;
  private needFull = true;
  /** The nat chains known to exist after the last successful sync; undefined = ask iptables. */
  private natChains?: Set<string>;
  private lastPorts: ServicePortInfo[] = [];
  private lastSyncAt = 0;
  private lastFullAt = 0;
  /** 0 = check the builtin jumps at the next sync. */
  private lastJumpCheckAt = 0;
  private timer?: NodeJS.Timeout;
  private fullTimer?: NodeJS.Timeout;
  private running?: Promise<SyncResult>;
  private pending = false;
  private stopped = false;
  private warnedNoConntrack = false;
  /** The payload of the last successful sync (debugging, benchmarks). */
  lastPayload = '';

  constructor(private readonly opts: ProxierOptions) {
    this.log = opts.logger ?? nullLogger;
    this.minInterval = opts.minSyncIntervalMs ?? 1000;
    this.fullInterval = opts.fullSyncIntervalMs ?? 30_000;
    if (opts.conntrack ?? true) this.conntrack = new ConntrackCleaner(opts.runner);
  }

  // ---- change tracking ----

  updateService(svc: Service): void { this.services.set(key(svc), svc); this.changed(key(svc)); }
  deleteService(svc: Service): void { this.services.delete(key(svc)); this.changed(key(svc)); }

  updateEndpointSlice(s: EndpointSlice): void {
    const prev = this.slices.get(key(s));
    this.unindex(prev);
    this.slices.set(key(s), s);
    this.index(s);
    this.changed(prev && sliceService(prev), sliceService(s));
  }
  deleteEndpointSlice(s: EndpointSlice): void {
    const prev = this.slices.get(key(s));
    this.unindex(prev);
    this.slices.delete(key(s));
    this.changed(prev && sliceService(prev), sliceService(s));
  }

  private index(s: EndpointSlice): void {
    const svc = sliceService(s);
    if (!svc) return;
    let set = this.sliceIndex.get(svc);
    if (!set) this.sliceIndex.set(svc, (set = new Set()));
    set.add(key(s));
  }

  private unindex(s: EndpointSlice | undefined): void {
    const svc = s && sliceService(s);
    const set = svc ? this.sliceIndex.get(svc) : undefined;
    if (!set || !s) return;
    set.delete(key(s));
    if (!set.size) this.sliceIndex.delete(svc!);
  }

  /** One service's ports from its own objects (pure servicePorts() on that subset). */
  private portsOf(svcKey: string): ServicePortInfo[] {
    const svc = this.services.get(svcKey);
    if (!svc) return [];
    const slices = [...(this.sliceIndex.get(svcKey) ?? [])].map((k) => this.slices.get(k)).filter((x): x is EndpointSlice => !!x);
    const ep = this.endpoints.get(svcKey);
    return servicePorts({ services: [svc], endpointSlices: slices, endpoints: ep ? [ep] : [] }, this.opts.node.nodeName);
  }
  updateEndpoints(e: Endpoints): void { this.endpoints.set(key(e), e); this.changed(key(e)); }
  deleteEndpoints(e: Endpoints): void { this.endpoints.delete(key(e)); this.changed(key(e)); }

  /** Replaces everything (a new full state after reconnect); only what differs is marked changed. */
  replaceAll(state: { services: Service[]; endpointSlices?: EndpointSlice[]; endpoints?: Endpoints[] }): void {
    const replace = <T extends { metadata?: { namespace?: string; name?: string } }>(m: Map<string, T>, items: T[], svcOf: (o: T) => string | undefined): void => {
      const next = new Map(items.map((o) => [key(o), o]));
      for (const [k, o] of m) if (!next.has(k)) this.dirtyKey(svcOf(o));
      for (const [k, o] of next) if (JSON.stringify(m.get(k)) !== JSON.stringify(o)) { this.dirtyKey(svcOf(o)); this.dirtyKey(svcOf(m.get(k) ?? o)); }
      m.clear();
      for (const [k, o] of next) m.set(k, o);
    };
    replace(this.services, state.services, key);
    replace(this.slices, state.endpointSlices ?? [], sliceService);
    replace(this.endpoints, state.endpoints ?? [], key);
    this.sliceIndex.clear();
    for (const sl of this.slices.values()) this.index(sl);
    this.requestSync();
  }

  /** The initial state is complete: syncing may start (no half-state rules at start-up). */
  setInitialized(): void {
    this.initialized = true;
    this.requestSync();
  }

  private dirtyKey(k: string | undefined): void {
    if (k) this.dirty.add(k);
  }

  private changed(...keys: (string | undefined)[]): void {
    for (const k of keys) this.dirtyKey(k);
    this.requestSync();
  }

  // ---- the bounded-frequency runner ----

  /** Starts the periodic full resync. Changes schedule syncs by themselves. */
  start(): void {
    this.fullTimer = setInterval(() => { this.needFull = true; this.requestSync(); }, this.fullInterval);
    this.fullTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.fullTimer);
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Schedules a sync no sooner than minSyncInterval after the previous one. */
  requestSync(): void {
    if (!this.initialized || this.stopped) return;
    if (this.running) { this.pending = true; return; }
    if (this.timer) return;
    const wait = Math.max(0, this.lastSyncAt + this.minInterval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.syncNow().catch(() => undefined);
    }, wait);
  }

  /** Syncs now (tests, benchmarks); waits for a running sync first. */
  async syncNow(opts: { full?: boolean } = {}): Promise<SyncResult> {
    while (this.running) await this.running.catch(() => undefined);
    if (opts.full) this.needFull = true;
    this.running = this.syncOnce();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      this.lastSyncAt = Date.now();
      if (this.pending || this.dirty.size) {
        this.pending = false;
        this.requestSync();
      }
    }
  }

  private async syncOnce(): Promise<SyncResult> {
    const full = this.needFull || !this.natChains || Date.now() - this.lastFullAt >= this.fullInterval || !(this.opts.partialSync ?? true);
    if (!full && this.dirty.size === 0) {
      return { full: false, skipped: true, servicePorts: this.lastPorts.length, writtenServicePorts: 0, payloadBytes: 0, renderMs: 0, applyMs: 0 };
    }
    const changed = new Set(this.dirty);
    this.dirty.clear();
    const t0 = performance.now();
    try {
      const existing = this.natChains ?? new Set(skiffChains(await this.opts.runner.save('nat')).nat);
      // Only changed services are recomputed, also in a full sync (which is about iptables having
      // drifted, not the in-memory state): unchanged ones keep their ServicePortInfo objects, whose
      // rendered text the renderer reuses.
      for (const k of changed) {
        const p = this.portsOf(k);
        if (p.length) this.portsCache.set(k, p); else this.portsCache.delete(k);
      }
      const ports = changed.size ? [...this.portsCache.values()].flat().sort(compareServicePorts) : this.lastPorts;
      const r = renderServicePorts(ports, this.opts.node, full ? { existingNatChains: existing } : { changedServices: changed, existingNatChains: existing });
      const t1 = performance.now();
      await this.opts.runner.restore(r.text);
      if (this.lastJumpCheckAt === 0 || Date.now() - this.lastJumpCheckAt >= (this.opts.jumpCheckIntervalMs ?? 60_000)) {
        const repaired = await ensureJumps(this.opts.runner);
        if (repaired) this.log.info('hooked skiff chains into builtin chains', { chains: repaired });
        this.lastJumpCheckAt = Date.now();
      }
      const t2 = performance.now();
      this.natChains = new Set(r.natChains);
      this.lastPayload = r.text;
      if (full) { this.needFull = false; this.lastFullAt = Date.now(); }
      await this.cleanConntrack(this.lastPorts, ports);
      this.lastPorts = ports;
      const result: SyncResult = { full, skipped: false, servicePorts: r.servicePorts, writtenServicePorts: r.writtenServicePorts, payloadBytes: r.text.length, renderMs: t1 - t0, applyMs: t2 - t1 };
      this.log.debug('proxy rules synced', { ...result });
      return result;
    } catch (e) {
      for (const k of changed) this.dirty.add(k);
      this.needFull = true;
      this.natChains = undefined;
      this.lastJumpCheckAt = 0;
      this.log.error('proxy rules sync failed; the next sync is a full one', { error: (e as Error).message });
      throw e;
    }
  }

  private async cleanConntrack(before: ServicePortInfo[], after: ServicePortInfo[]): Promise<void> {
    if (!this.conntrack) return;
    const deletes = staleUdpFlows(before, after);
    if (!deletes.length) return;
    if (!(await this.conntrack.isAvailable())) {
      if (!this.warnedNoConntrack) this.log.warn('conntrack tool not installed: stale UDP flows to removed endpoints are not cleared (install the conntrack package)');
      this.warnedNoConntrack = true;
      return;
    }
    const errors = await this.conntrack.run(deletes);
    for (const error of errors) this.log.warn('conntrack clean-up failed', { error });
  }
}
