import type { Pod } from 'kubernetes-types/core/v1';

export type EventType = 'Normal' | 'Warning';

/** One Kubernetes-style event about a pod (or one of its containers, by fieldPath). */
export interface PodEvent {
  type: EventType;
  /** Pulling, Pulled, Created, Started, Killing, BackOff, Failed, Unhealthy, FailedMount, ... */
  reason: string;
  message: string;
  /** `spec.containers{web}`, `spec.initContainers{init}`; absent for the pod itself. */
  fieldPath?: string;
}

/**
 * Where the agent's pod machinery reports events. The master glue turns them
 * into core/v1 Events (source component "kubelet", host = node name), with the
 * usual aggregation of repeats.
 */
export interface EventRecorder {
  event(pod: Pod, event: PodEvent): void;
}

export function containerFieldPath(kind: 'init' | 'app', name: string): string {
  return kind === 'init' ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

/** Keeps events in memory, for tests and for a debug endpoint. */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: (PodEvent & { pod: string })[] = [];

  event(pod: Pod, e: PodEvent): void {
    this.events.push({ pod: `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`, ...e });
  }

  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }

  clear(): void {
    this.events.length = 0;
  }
}
