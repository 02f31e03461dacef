import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import type { Logger } from '../logger';
import type { GatewayClient } from './gateway-client';

const RETRY_MS = 1000;

/**
 * Sends pod statuses to the gateway, keeping only the latest per pod: while
 * the master is unreachable the newest status waits and goes out on the next
 * attempt; an older one never overwrites a newer one.
 */
export class StatusReporter {
  private readonly pending = new Map<string, { pod: Pod; status: PodStatus }>();
  private running = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly client: GatewayClient, private readonly log: Logger) {}

  push(pod: Pod, status: PodStatus): void {
    const uid = pod.metadata?.uid;
    if (!uid || this.stopped) return;
    this.pending.delete(uid);
    this.pending.set(uid, { pod, status });
    this.kick();
  }

  forget(uid: string): void {
    this.pending.delete(uid);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private kick(): void {
    if (this.running || this.stopped || this.timer) return;
    this.running = true;
    void this.flush().finally(() => { this.running = false; });
  }

  private async flush(): Promise<void> {
    while (!this.stopped) {
      const next = this.pending.entries().next();
      if (next.done) return;
      const [uid, item] = next.value;
      this.pending.delete(uid);
      try {
        await this.client.reportPodStatus(item.pod, item.status);
      } catch (e) {
        if (!this.pending.has(uid)) this.pending.set(uid, item);
        this.log.debug('pod status not delivered; will retry', { pod: `${item.pod.metadata?.namespace}/${item.pod.metadata?.name}`, error: (e as Error).message });
        this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, RETRY_MS);
        return;
      }
    }
  }
}
