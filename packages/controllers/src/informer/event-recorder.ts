import { findByKind, KObject } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  event(obj: KObject, type: EventType, reason: string, message: string): void;
}

const EVENT = findByKind('v1', 'Event')!;

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Writes core/v1 Events in the background (never blocks or fails a reconcile), aggregating
 * repeats of the same (object, type, reason, message) into `count` as client-go does.
 */
export class RegistryEventRecorder implements EventRecorder {
  private readonly seen = new Map<string, { namespace: string; name: string; count: number }>();
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly registry: Registry, private readonly component: string, private readonly log: Logger) {}

  event(obj: KObject, type: EventType, reason: string, message: string): void {
    this.chain = this.chain.then(() => this.write(obj, type, reason, message)).catch((e: Error) => {
      this.log.debug('event not written', { reason, error: e.message });
    });
  }

  /** Resolves when every event recorded so far has been written (tests, shutdown). */
  flush(): Promise<void> {
    return this.chain;
  }

  private async write(obj: KObject, type: EventType, reason: string, message: string): Promise<void> {
    const md = obj.metadata;
    const namespace = md.namespace || 'default';
    const key = JSON.stringify([md.uid, type, reason, message]);
    const ts = now();
    const prior = this.seen.get(key);
    if (prior) {
      prior.count++;
      try {
        await this.registry.patch(EVENT, prior.namespace, prior.name, 'merge', { count: prior.count, lastTimestamp: ts });
        return;
      } catch {
        this.seen.delete(key);
      }
    }
    const name = `${md.name ?? 'object'}.${(BigInt(Date.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    await this.registry.create(EVENT, namespace, {
      metadata: { name, namespace },
      involvedObject: { kind: obj.kind, apiVersion: obj.apiVersion, namespace: md.namespace, name: md.name, uid: md.uid, resourceVersion: md.resourceVersion },
      reason, message, type,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: '',
      count: 1, firstTimestamp: ts, lastTimestamp: ts,
    });
    this.seen.set(key, { namespace, name, count: 1 });
    if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
  }
}

/** Records events as `Type Reason Message` strings, like client-go's FakeRecorder. */
export class FakeRecorder implements EventRecorder {
  readonly events: string[] = [];

  event(_obj: KObject, type: EventType, reason: string, message: string): void {
    this.events.push(`${type} ${reason} ${message}`);
  }
}
