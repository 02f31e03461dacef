import { findByKind, KObject, ResourceInfo } from '@skiff/api';
import type { Registry, WatchEvent } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import type { Assignment, AssignmentType } from './agent-proto';
import { podReferences, refKey, type RefKind } from './pod-references';
import { acquireSharedWatches, type ClusterWideKind } from './shared-watches';

interface Closable { close(): void | Promise<void> }


/**
 * One node's assignment stream: the pods bound to it, the ConfigMaps/Secrets/
 * claims/volumes those pods reference, and every Service, Endpoints and
 * EndpointSlice. The events come from the master's shared watches
 * (shared-watches.ts: one registry watch per kind for all nodes, pods
 * dispatched by spec.nodeName), not from watches of its own. Sends the full
 * state as ADDED, then SYNC, then changes; a referenced object always goes out
 * before the pod that needs it. Events are handled one at a time in arrival order.
 */
export class AssignmentStream {
  private readonly cmInfo = findByKind('v1', 'ConfigMap')!;
  private readonly secretInfo = findByKind('v1', 'Secret')!;
  private readonly pvcInfo = findByKind('v1', 'PersistentVolumeClaim')!;
  private readonly pvInfo = findByKind('v1', 'PersistentVolume')!;
  /** Claim key -> the PV it was bound to when sent (the PV is referenced through the claim). */
  private readonly claimVolumes = new Map<string, string>();
  private readonly watches: Closable[] = [];
  /** Pod uid -> the object keys it references. */
  private readonly podRefs = new Map<string, Set<string>>();
  /** Object key -> identity of what the agent holds. */
  private readonly sent = new Map<string, { kind: RefKind; namespace: string; name: string }>();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly registry: Registry,
    readonly nodeName: string,
    private readonly send: (a: Assignment) => void,
    private readonly fail: (e: Error) => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const hub = acquireSharedWatches(this.registry);
    this.watches.push({ close: () => hub.release() });
    await hub.start();
    if (this.closed) return;
    // Subscribing hands over the cluster-wide objects and this node's pods as ADDED in the same tick.
    const unsubscribe = hub.subscribe(this.nodeName, {
      pod: (ev) => this.enqueue(() => this.onPod(ev)),
      clusterWide: (kind, ev) => this.enqueue(async () => this.onClusterWide(kind, ev)),
      referenced: (kind, ev) => this.enqueue(() => this.onObject(kind, ev)),
      error: (e) => this.stopWith(e),
    });
    this.watches.unshift({ close: unsubscribe });
    this.enqueue(async () => this.send({ type: 'SYNC' }));
  }

  close(): void {
    this.closed = true;
    for (const w of this.watches.splice(0)) void w.close();
  }

  private stopWith(e: Error): void {
    if (this.closed) return;
    this.close();
    this.fail(e);
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue.then(async () => {
      if (!this.closed) await fn();
    }).catch((e: unknown) => {
      this.log.warn('assignment stream failed', { error: (e as Error).message });
      this.stopWith(e as Error);
    });
  }

  private async onPod(ev: WatchEvent): Promise<void> {
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') return;
    const pod = ev.object;
    const uid = pod.metadata.uid ?? '';
    if (ev.type === 'DELETED') {
      this.podRefs.delete(uid);
      this.emit('DELETED', 'pod', pod);
      this.dropUnreferenced();
      return;
    }
    const refs = podReferences(pod);
    this.podRefs.set(uid, refs);
    for (const key of refs) {
      if (this.sent.has(key)) continue;
      const [kind, namespace, name] = key.split('/') as [RefKind, string, string];
      const obj = await this.registry.tryGet(this.infoOf(kind), namespace || undefined, name);
      if (obj) await this.emitRefWithVolume('ADDED', kind, obj);
    }
    this.emit(ev.type, 'pod', pod);
    this.dropUnreferenced();
  }

  private async onObject(kind: RefKind, ev: WatchEvent): Promise<void> {
    const o = ev.object;
    const key = refKey(kind, kind === 'pv' ? '' : o.metadata.namespace ?? 'default', o.metadata.name ?? '');
    if (ev.type === 'DELETED') {
      if (this.sent.delete(key)) this.emit('DELETED', kind, o);
      return;
    }
    if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
    if (!this.isReferenced(key)) return;
    await this.emitRefWithVolume(this.sent.has(key) ? 'MODIFIED' : 'ADDED', kind, o);
  }

  private onClusterWide(kind: ClusterWideKind, ev: WatchEvent): void {
    if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED') this.emit(ev.type, kind, ev.object);
  }

  private isReferenced(key: string): boolean {
    if (key.startsWith('pv/')) {
      for (const [claim, pv] of this.claimVolumes) if (key === refKey('pv', '', pv) && this.isReferenced(claim)) return true;
      return false;
    }
    for (const refs of this.podRefs.values()) if (refs.has(key)) return true;
    return false;
  }

  /** Objects no pod of this node references any more are withdrawn from the agent. */
  private dropUnreferenced(): void {
    for (const [key, id] of [...this.sent]) {
      if (this.isReferenced(key)) continue;
      this.sent.delete(key);
      this.emit('DELETED', id.kind, { metadata: { name: id.name, namespace: id.namespace } });
    }
  }

  private infoOf(kind: RefKind): ResourceInfo {
    return kind === 'configmap' ? this.cmInfo : kind === 'secret' ? this.secretInfo : kind === 'pvc' ? this.pvcInfo : this.pvInfo;
  }

  /** A claim goes out after the volume it is bound to (fetched when not yet sent). */
  private async emitRefWithVolume(type: AssignmentType, kind: RefKind, o: KObject): Promise<void> {
    if (kind === 'pvc') {
      const claimKey = refKey('pvc', o.metadata.namespace ?? 'default', o.metadata.name ?? '');
      const pvName = (o.spec as { volumeName?: string } | undefined)?.volumeName;
      if (pvName) {
        this.claimVolumes.set(claimKey, pvName);
        if (!this.sent.has(refKey('pv', '', pvName))) {
          const pv = await this.registry.tryGet(this.pvInfo, undefined, pvName);
          if (pv) this.emitRef('ADDED', 'pv', pv);
        }
      } else this.claimVolumes.delete(claimKey);
    }
    this.emitRef(type, kind, o);
  }

  private emitRef(type: AssignmentType, kind: RefKind, o: KObject): void {
    const namespace = kind === 'pv' ? '' : o.metadata.namespace ?? 'default';
    const name = o.metadata.name ?? '';
    this.sent.set(refKey(kind, namespace, name), { kind, namespace, name });
    this.emit(type, kind, o);
  }

  private emit(type: AssignmentType, kind: 'pod' | RefKind | ClusterWideKind, o: KObject): void {
    let json = serialized.get(o);
    if (!json) serialized.set(o, json = Buffer.from(JSON.stringify(o)));
    if (kind === 'pvc' || kind === 'pv') {
      this.send(kind === 'pvc' ? { type, persistentvolumeclaim_json: json } : { type, persistentvolume_json: json });
      return;
    }
    this.send(kind === 'pod' ? { type, pod_json: json } : kind === 'configmap' ? { type, configmap_json: json } : kind === 'secret' ? { type, secret_json: json }
      : kind === 'service' ? { type, service_json: json } : kind === 'endpoints' ? { type, endpoints_json: json } : { type, endpointslice_json: json });
  }
}

/** Serialized form of objects shared by many streams (Services, Endpoints, ...), encoded once. */
const serialized = new WeakMap<KObject, Buffer>();
