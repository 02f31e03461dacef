import { LABEL_CONTAINER_HASH, LABEL_CONTAINER_KIND, LABEL_SANDBOX_ATTEMPT } from '../runtime/labels';
import type { RuntimeObject, RuntimeState } from '../runtime/runtime';

/** A pod's sandbox as the runtime reports it. */
export interface ObservedSandbox {
  id: string;
  state: 'ready' | 'notready';
  ips: string[];
  createdAt: string;
  attempt: number;
}

/** One instance (one restart) of a container. */
export interface ObservedContainer {
  id: string;
  name: string;
  kind: 'init' | 'app';
  state: RuntimeState;
  exitCode?: number;
  /** Completed, Error, OOMKilled or ContainerCannotRun once exited. */
  reason?: string;
  /** The termination message, or the runtime's error text. */
  message?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  /** The image reference from the spec. */
  image: string;
  /** docker-pullable://repo@sha256:... or docker://sha256:... */
  imageRef: string;
  hash?: string;
}

/** What the runtime holds for one pod: sandboxes newest first, every container instance. */
export interface ObservedPod {
  sandboxes: ObservedSandbox[];
  containers: ObservedContainer[];
}

export const EMPTY_OBSERVED: ObservedPod = { sandboxes: [], containers: [] };

/** The imageID Kubernetes reports for Docker: the repo digest when the image came from a registry. */
export function imageRefFor(o: Pick<RuntimeObject, 'imageId' | 'imageDigest'>): string {
  if (o.imageDigest) return `docker-pullable://${o.imageDigest}`;
  return o.imageId ? `docker://${o.imageId}` : '';
}

/** The reason the runtime gives a dead container, as cri-dockerd reports it. */
export function terminatedReason(o: Pick<RuntimeObject, 'exitCode' | 'oomKilled' | 'error' | 'startedAt'>): string {
  if (o.oomKilled) return 'OOMKilled';
  if (o.error && (o.exitCode ?? 0) !== 0) return 'ContainerCannotRun';
  return o.exitCode === 0 ? 'Completed' : 'Error';
}

/**
 * Builds the observed pod from runtime objects. `messages` gives termination
 * messages already read for dead containers, by container id.
 */
export function observePod(objects: RuntimeObject[], messages: ReadonlyMap<string, string> = new Map()): ObservedPod {
  const sandboxes: ObservedSandbox[] = [];
  const containers: ObservedContainer[] = [];
  for (const o of objects) {
    if (o.type === 'sandbox') {
      sandboxes.push({
        id: o.id, state: o.state === 'running' ? 'ready' : 'notready', ips: o.ips ?? [], createdAt: o.createdAt,
        attempt: Number(o.labels[LABEL_SANDBOX_ATTEMPT] ?? 0) || 0,
      });
      continue;
    }
    const c: ObservedContainer = {
      id: o.id, name: o.name, kind: o.labels[LABEL_CONTAINER_KIND] === 'init' ? 'init' : 'app', state: o.state,
      createdAt: o.createdAt, restartCount: o.restartCount, image: o.image, imageRef: imageRefFor(o),
    };
    if (o.startedAt) c.startedAt = o.startedAt;
    const hash = o.labels[LABEL_CONTAINER_HASH];
    if (hash) c.hash = hash;
    if (o.state === 'exited') {
      c.exitCode = o.exitCode ?? 0;
      c.reason = terminatedReason(o);
      if (o.finishedAt) c.finishedAt = o.finishedAt;
      const parts: string[] = [];
      if (c.reason === 'ContainerCannotRun' && o.error) parts.push(o.error);
      const m = messages.get(o.id);
      if (m) parts.push(m);
      if (parts.length > 0) c.message = parts.join(': ');
    }
    containers.push(c);
  }
  sandboxes.sort((a, b) => b.attempt - a.attempt || cmp(b.createdAt, a.createdAt));
  containers.sort(newestFirst);
  return { sandboxes, containers };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Newest instance first: by restart count, then creation time. */
export function newestFirst(a: ObservedContainer, b: ObservedContainer): number {
  return b.restartCount - a.restartCount || cmp(b.createdAt, a.createdAt);
}

/** The latest instance of a container, like FindContainerStatusByName (containers newest first). */
export function latestByName(observed: ObservedPod, name: string, kind?: 'init' | 'app'): ObservedContainer | undefined {
  return observed.containers.find((c) => c.name === name && (kind === undefined || c.kind === kind));
}
