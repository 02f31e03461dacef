import type { Event, Pod } from 'kubernetes-types/core/v1';
import type { EventRecorder, PodEvent } from '../events';
import type { Logger } from '../logger';
import type { GatewayClient } from './gateway-client';

const MAX_QUEUED = 1000;
const RETRY_MS = 2000;

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The core/v1 Event the kubelet would write for a pod event. */
export function podEventObject(nodeName: string, pod: Pod, e: PodEvent, now: Date): Event {
  const ts = rfc3339(now);
  return {
    metadata: { namespace: pod.metadata?.namespace ?? 'default' },
    involvedObject: {
      apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '',
      uid: pod.metadata?.uid ?? '', ...(pod.metadata?.resourceVersion ? { resourceVersion: pod.metadata.resourceVersion } : {}),
      ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}),
    },
    reason: e.reason,
    message: e.message,
    type: e.type,
    source: { component: 'kubelet', host: nodeName },
    firstTimestamp: ts,
    lastTimestamp: ts,
    count: 1,
  };
}

/**
 * An EventRecorder that forwards to the gateway in order. Events are best
 * effort, as in Kubernetes: a bounded queue, the oldest dropped when full.
 */
export class EventForwarder implements EventRecorder {
  private readonly queue: Event[] = [];
  private running = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private dropped = 0;

  constructor(private readonly client: GatewayClient, private readonly nodeName: string, private readonly log: Logger) {}

  event(pod: Pod, e: PodEvent): void {
    if (this.stopped) return;
    this.queue.push(podEventObject(this.nodeName, pod, e, new Date()));
    if (this.queue.length > MAX_QUEUED) {
      this.queue.shift();
      if (this.dropped++ % 100 === 0) this.log.warn('event queue full; dropping the oldest events', { dropped: this.dropped });
    }
    this.kick();
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
    while (!this.stopped && this.queue.length) {
      const ev = this.queue[0]!;
      try {
        await this.client.recordEvent(ev);
        this.queue.shift();
      } catch (e) {
        this.log.debug('event not delivered; will retry', { reason: ev.reason, error: (e as Error).message });
        this.timer = setTimeout(() => { this.timer = undefined; this.kick(); }, RETRY_MS);
        return;
      }
    }
  }
}
