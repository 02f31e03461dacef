import { deepCopy, findByKind, isStatusError, KObject } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';

const LEASE = findByKind('coordination.k8s.io/v1', 'Lease')!;

export function microTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export interface LeaderElectionOptions {
  namespace?: string;
  name?: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
}

/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: acquire when the
 * lease is free or expired, renew while leading (compare-and-swap on resourceVersion), and
 * report the loss of leadership when renewal fails for a lease duration.
 */
export class LeaderElector {
  private timer?: NodeJS.Timeout;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  readonly namespace: string;
  readonly name: string;

  constructor(private readonly registry: Registry, private readonly opts: LeaderElectionOptions, private readonly log: Logger) {
    this.namespace = opts.namespace ?? 'kube-system';
    this.name = opts.name ?? 'skiff-controller-manager';
  }

  get isLeader(): boolean {
    return this.leading;
  }

  run(onStartedLeading: () => void, onStoppedLeading: () => void): void {
    const tick = async (): Promise<void> => {
      if (this.stopped) return;
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (e) {
        this.log.debug('lease update failed', { error: (e as Error).message });
      }
      if (this.stopped) return;
      const now = Date.now();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.log.info('became leader', { lease: `${this.namespace}/${this.name}`, identity: this.opts.identity });
          onStartedLeading();
        }
      } else if (this.leading && now - this.lastRenew > this.durationMs()) {
        this.leading = false;
        this.log.warn('lost leadership', { lease: `${this.namespace}/${this.name}` });
        onStoppedLeading();
      }
      this.timer = setTimeout(() => void tick(), this.opts.retryPeriodMs ?? 2000);
    };
    void tick();
  }

  /** Stops renewing and gives the lease up so another replica can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.registry.tryGet(LEASE, this.namespace, this.name);
      const spec = (lease?.spec ?? {}) as Record<string, unknown>;
      if (lease && spec.holderIdentity === this.opts.identity) {
        const next = deepCopy(lease);
        next.spec = { ...spec, holderIdentity: null, renewTime: null, acquireTime: null, leaseDurationSeconds: 1 };
        await this.registry.update(LEASE, this.namespace, this.name, next);
      }
    } catch (e) {
      this.log.debug('lease release failed', { error: (e as Error).message });
    }
  }

  private durationMs(): number {
    return (this.opts.leaseDurationSeconds ?? 15) * 1000;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const duration = this.opts.leaseDurationSeconds ?? 15;
    const lease = await this.registry.tryGet(LEASE, this.namespace, this.name);
    if (!lease) {
      try {
        await this.registry.create(LEASE, this.namespace, {
          metadata: { name: this.name, namespace: this.namespace },
          spec: { holderIdentity: this.opts.identity, leaseDurationSeconds: duration, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        } as KObject);
        return true;
      } catch (e) {
        if (isStatusError(e) && e.reason === 'AlreadyExists') return false;
        throw e;
      }
    }
    const spec = (lease.spec ?? {}) as { holderIdentity?: string | null; renewTime?: string | null; leaseDurationSeconds?: number; leaseTransitions?: number; acquireTime?: string | null };
    const mine = spec.holderIdentity === this.opts.identity;
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = !spec.holderIdentity || renewed + (spec.leaseDurationSeconds ?? duration) * 1000 < now;
    if (!mine && !expired) return false;
    const next = deepCopy(lease);
    next.spec = {
      ...spec,
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: duration,
      renewTime: microTime(now),
      acquireTime: mine ? spec.acquireTime : microTime(now),
      leaseTransitions: mine ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      await this.registry.update(LEASE, this.namespace, this.name, next);
      return true;
    } catch (e) {
      if (isStatusError(e) && e.code === 409) return false;
      throw e;
    }
  }
}
