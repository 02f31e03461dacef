import { findByKind, KObject, ResourceInfo } from '@skiff/api';
import type { Registry, WatchEvent } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import type { Assignment, AssignmentType } from './agent-proto';
import { podReferences, refKey, type RefKind } from './pod-references';

interface Closable { close(): void | Promise<void> }

/** Objects every node gets in full (for its service proxy and DNS), by assignment field. */
type ClusterWideKind = 'service' | 'endpoints' | 'endpointslice';

/**
 * One node's assignment stream: the pods bound to it (a registry watch with
 * fieldSelector spec.nodeName=<node>), the ConfigMaps/Secrets those pods
 * reference, and every Service, Endpoints and EndpointSlice. Sends the full
 * state as ADDED, then SYNC, then changes; a referenced object always goes out
 * before the pod that needs it. Events are handled one at a time in arrival order.
 */
export class AssignmentStream {
  private readonly podInfo = findByKind('v1', 'Pod')!;
  private readonly cmInfo = findByKind('v1', 'ConfigMap')!;
  private readonly secretInfo = findByKind('v1', 'Secret')!;
  private readonly pvcInfo = findByKind('v1', 'PersistentVolumeClaim')!;
  private readonly pvInfo = findByKind('v1', 'PersistentVolume')!;
  /** Claim key -> the PV it was bound to when sent (the PV is referenced through the claim). */
  private readonly claimVolumes = new Map<string, string>();
  private readonly clusterWide: [ClusterWideKind, ResourceInfo][] = [
    ['service', findByKind('v1', 'Service')!],
    ['endpoints', findByKind('v1', 'Endpoints')!],
    ['endpointslice', findByKind('discovery.k8s.io/v1', 'EndpointSlice')!],
  ];
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
    const rev = String(await this.registry.storage.currentRevision());
    const onError = (e: Error): void => this.stopWith(e);
    for (const [kind, info] of [['configmap', this.cmInfo], ['secret', this.secretInfo], ['pvc', this.pvcInfo], ['pv', this.pvInfo]] as const) {
      this.watches.push(await this.registry.watch(info, undefined, { resourceVersion: rev }, (ev) => this.enqueue(() => this.onObject(kind, info, ev)), onError));
    }
    // Without a resourceVersion a watch delivers the current objects as ADDED before it returns.
    for (const [kind, info] of this.clusterWide) {
      this.watches.push(await this.registry.watch(info, undefined, {}, (ev) => this.enqueue(async () => this.onClusterWide(kind, ev)), onError));
    }
    this.watches.push(await this.registry.watch(this.podInfo, undefined, { fieldSelector: `spec.nodeName=${this.nodeName}` },
      (ev) => this.enqueue(() => this.onPod(ev)), onError));
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

  private async onObject(kind: RefKind, _info: ResourceInfo, ev: WatchEvent): Promise<void> {
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
    const json = Buffer.from(JSON.stringify(o));
    if (kind === 'pvc' || kind === 'pv') {
      this.send(kind === 'pvc' ? { type, persistentvolumeclaim_json: json } : { type, persistentvolume_json: json });
      return;
    }
    this.send(kind === 'pod' ? { type, pod_json: json } : kind === 'configmap' ? { type, configmap_json: json } : kind === 'secret' ? { type, secret_json: json }
      : kind === 'service' ? { type, service_json: json } : kind === 'endpoints' ? { type, endpoints_json: json } : { type, endpointslice_json: json });
  }
}
