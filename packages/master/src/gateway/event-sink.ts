import { findByKind, isPlainObject, KObject, StatusError } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';

const MAX_KEYS = 4096;

function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Writes the agents' events as core/v1 Events, aggregating repeats the way
 * client-go's event correlator does: the same (object, fieldPath, reason,
 * message, type) from the same node bumps `count` and `lastTimestamp` of the
 * Event already written instead of creating another.
 */
export class EventSink {
  private readonly info = findByKind('v1', 'Event')!;
  /** Aggregation key -> event name (insertion order is the LRU order). */
  private readonly seen = new Map<string, { namespace: string; name: string }>();
  private seq = 0;

  constructor(private readonly registry: Registry) {}

  async record(nodeName: string, input: unknown): Promise<void> {
    if (!isPlainObject(input)) throw StatusError.badRequest('event_json must be a JSON object');
    const involved = isPlainObject(input.involvedObject) ? input.involvedObject : {};
    const namespace = typeof involved.namespace === 'string' && involved.namespace ? involved.namespace : 'default';
    const objName = typeof involved.name === 'string' ? involved.name : '';
    const now = nowRFC3339();
    const key = JSON.stringify([nodeName, involved.uid, involved.fieldPath, input.reason, input.message, input.type]);
    const prior = this.seen.get(key);
    if (prior) {
      this.seen.delete(key);
      this.seen.set(key, prior);
      const existing = await this.registry.tryGet(this.info, prior.namespace, prior.name);
      if (existing) {
        const last = typeof input.lastTimestamp === 'string' ? input.lastTimestamp : now;
        await this.registry.patch(this.info, prior.namespace, prior.name, 'merge', { count: (Number(existing.count) || 1) + 1, lastTimestamp: last });
        return;
      }
    }
    const name = `${objName || 'event'}.${(BigInt(Date.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    const event: KObject = {
      ...input,
      metadata: { name, namespace },
      involvedObject: { ...involved, namespace },
      source: { component: 'kubelet', host: nodeName },
      reportingComponent: 'kubelet',
      reportingInstance: nodeName,
      count: 1,
      firstTimestamp: typeof input.firstTimestamp === 'string' ? input.firstTimestamp : now,
      lastTimestamp: typeof input.lastTimestamp === 'string' ? input.lastTimestamp : now,
      type: input.type === 'Warning' ? 'Warning' : 'Normal',
    };
    delete event.apiVersion;
    delete event.kind;
    await this.registry.create(this.info, namespace, event);
    this.seen.set(key, { namespace, name });
    if (this.seen.size > MAX_KEYS) this.seen.delete(this.seen.keys().next().value!);
  }
}
