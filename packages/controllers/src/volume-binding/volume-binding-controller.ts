import { deepCopy, findByKind, isStatusError, KObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import { findMatchingVolume, isClaimBound, podClaimNames } from '@skiff/scheduler';
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { isPodTerminal } from '../common/pod-state';

const PV = findByKind('v1', 'PersistentVolume')!;
const PVC = findByKind('v1', 'PersistentVolumeClaim')!;

export const PROVISIONER_NAME = 'skiff.io/local-volume';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
export const DEFAULT_LOCAL_VOLUME_DIR = '/var/lib/skiff/volumes';

export interface VolumeBindingControllerDeps {
  claims: ObjectCache;
  volumes: ObjectCache;
  /** Pods, indexed by `claim` (`namespace/claimName`, see byClaim). */
  pods: ObjectCache;
  nodes: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  /** Where provisioned local volumes live on the nodes (`<dir>/<pv name>`). */
  localVolumeDir?: string;
  queue?: WorkQueue;
}

/** Index of pods by the claims they mount (`namespace/claim`). */
export const byClaim = (o: KObject): string[] => podClaimNames(o as unknown as Pod).map((c) => `${o.metadata.namespace ?? 'default'}/${c}`);

/** The local PV provisioned for a claim on a node: `pvc-<claim uid>`, pinned to the node, pre-bound to the claim. */
export function newLocalVolume(pvc: KObject, node: string, dir = DEFAULT_LOCAL_VOLUME_DIR): KObject {
  const c = pvc as unknown as PersistentVolumeClaim;
  const name = `pvc-${pvc.metadata.uid}`;
  const spec: NonNullable<PersistentVolume['spec']> = {
    capacity: { storage: c.spec?.resources?.requests?.storage ?? '1Gi' },
    accessModes: c.spec?.accessModes ?? ['ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Delete',
    volumeMode: c.spec?.volumeMode ?? 'Filesystem',
    local: { path: `${dir.replace(/\/+$/, '')}/${name}` },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
    claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid },
  };
  if (c.spec?.storageClassName) spec.storageClassName = c.spec.storageClassName;
  return {
    apiVersion: 'v1', kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANN_PROVISIONED_BY]: PROVISIONER_NAME } },
    spec: spec as unknown as Record<string, unknown>,
  };
}

/**
 * Binds PersistentVolumeClaims as Kubernetes' PV controller does for local volumes with
 * WaitForFirstConsumer: a claim stays Pending until a pod that mounts it is scheduled; then
 * it binds to the smallest matching static PV reachable from that node, or a local PV
 * `pvc-<uid>` is provisioned there (`local.path` under localVolumeDir, node affinity on
 * `kubernetes.io/hostname`). A claim naming a PV in spec.volumeName binds to it at once.
 * Bound: PV spec.claimRef + status Bound, claim spec.volumeName + status Bound (capacity,
 * access modes). Provisioned PVs whose claim is gone are deleted (reclaim policy Delete);
 * static ones become Released.
 */
export class VolumeBindingController {
  readonly queue: WorkQueue;

  constructor(private readonly d: VolumeBindingControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
  }

  register(claims: Informer, volumes: Informer, pods: Informer): void {
    claims.addHandler({
      add: (o) => this.queue.add(`pvc/${keyOf(o)}`),
      update: (_o, n) => this.queue.add(`pvc/${keyOf(n)}`),
      delete: (o) => { const v = (o.spec as { volumeName?: string } | undefined)?.volumeName; if (v) this.queue.add(`pv/${v}`); },
    });
    volumes.addHandler({
      add: (o) => this.queue.add(`pv/${keyOf(o)}`),
      update: (_o, n) => this.queue.add(`pv/${keyOf(n)}`),
    });
    const podClaims = (p: KObject) => { if ((p.spec as { nodeName?: string } | undefined)?.nodeName) for (const k of byClaim(p)) this.queue.add(`pvc/${k}`); };
    pods.addHandler({ add: podClaims, update: (_o, n) => podClaims(n) });
  }

  async reconcile(key: string): Promise<void> {
    if (key.startsWith('pv/')) return this.syncVolume(key.slice(3));
    if (key.startsWith('pvc/')) return this.syncClaim(key.slice(4));
  }

  private async syncClaim(key: string): Promise<void> {
    const pvc = this.d.claims.get(key);
    if (!pvc || pvc.metadata.deletionTimestamp) return;
    const c = pvc as unknown as PersistentVolumeClaim;
    if (isClaimBound(c)) {
      const pv = this.d.volumes.get(c.spec!.volumeName!);
      if (pv && !(pv.spec as PersistentVolume['spec'])?.claimRef) await this.bind(pvc, pv);
      return;
    }
    if (c.spec?.volumeName) {
      const pv = this.d.volumes.get(c.spec.volumeName);
      if (!pv) return;
      const ref = (pv.spec as PersistentVolume['spec'])?.claimRef;
      if (ref?.uid && ref.uid !== pvc.metadata.uid) return;
      await this.bind(pvc, pv);
      return;
    }
    const node = this.consumerNode(pvc);
    if (!node) return;
    const nodeObj = this.d.nodes.get(node) as unknown as Node | undefined;
    const volumes = this.d.volumes.list() as unknown as PersistentVolume[];
    const existing = this.d.volumes.get(`pvc-${pvc.metadata.uid}`);
    const match = existing ?? (nodeObj ? findMatchingVolume(c, volumes, nodeObj) as unknown as KObject | undefined : undefined);
    if (match) {
      await this.bind(pvc, match);
      return;
    }
    let pv = newLocalVolume(pvc, node, this.d.localVolumeDir);
    try {
      pv = await this.d.client.create(PV, undefined, pv);
      this.d.recorder.event(pvc, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pv.metadata.name} on node ${node}`);
    } catch (e) {
      if (!(isStatusError(e) && e.code === 409)) {
        this.d.recorder.event(pvc, 'Warning', 'ProvisioningFailed', `failed to provision volume: ${(e as Error).message}`);
        throw e;
      }
      pv = this.d.volumes.get(pv.metadata.name!) ?? pv;
    }
    await this.bind(pvc, pv);
  }

  /** The node of a scheduled, live pod that mounts the claim. */
  private consumerNode(pvc: KObject): string | undefined {
    for (const p of this.d.pods.byIndex('claim', keyOf(pvc))) {
      const n = (p.spec as { nodeName?: string } | undefined)?.nodeName;
      if (n && !p.metadata.deletionTimestamp && !isPodTerminal(p)) return n;
    }
    return undefined;
  }

  /** PV first (claimRef, then status Bound), then the claim (volumeName, then status Bound). */
  private async bind(pvc: KObject, pvObj: KObject): Promise<void> {
    const c = pvc as unknown as PersistentVolumeClaim;
    let pv = pvObj as unknown as PersistentVolume;
    const ref = pv.spec?.claimRef;
    if (!ref || ref.uid !== pvc.metadata.uid || ref.name !== pvc.metadata.name) {
      const next = deepCopy(pv);
      next.spec = { ...(next.spec ?? {}), claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid } };
      next.metadata = { ...(next.metadata ?? {}), annotations: { ...(next.metadata?.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' } };
      pv = await this.d.client.update(PV, next as unknown as KObject) as unknown as PersistentVolume;
    }
    if (pv.status?.phase !== 'Bound') {
      const next = { ...deepCopy(pv), status: { ...(pv.status ?? {}), phase: 'Bound' } };
      pv = await this.d.client.updateStatus(PV, next as unknown as KObject) as unknown as PersistentVolume;
    }
    let claim = c;
    if (claim.spec?.volumeName !== pv.metadata?.name || claim.metadata?.annotations?.[ANN_BIND_COMPLETED] !== 'yes') {
      const next = deepCopy(claim);
      next.spec = { ...(next.spec ?? {}), volumeName: pv.metadata!.name };
      const ann: Record<string, string> = { ...(next.metadata?.annotations ?? {}), [ANN_BIND_COMPLETED]: 'yes' };
      if (!c.spec?.volumeName) ann[ANN_BOUND_BY_CONTROLLER] = 'yes';
      next.metadata = { ...(next.metadata ?? {}), annotations: ann };
      claim = await this.d.client.update(PVC, next as unknown as KObject) as unknown as PersistentVolumeClaim;
    }
    if (claim.status?.phase !== 'Bound') {
      const next = { ...deepCopy(claim), status: { ...(claim.status ?? {}), phase: 'Bound', accessModes: pv.spec?.accessModes ?? [], capacity: pv.spec?.capacity ?? {} } };
      await this.d.client.updateStatus(PVC, next as unknown as KObject);
      this.d.log.info('claim bound', { claim: keyOf(pvc), volume: pv.metadata?.name });
    }
  }

  /** A bound PV whose claim is gone: provisioned ones are deleted, static ones become Released. */
  private async syncVolume(name: string): Promise<void> {
    const pvObj = this.d.volumes.get(name);
    if (!pvObj || pvObj.metadata.deletionTimestamp) return;
    const pv = pvObj as unknown as PersistentVolume;
    const ref = pv.spec?.claimRef;
    if (!ref?.name) {
      if (!pv.status?.phase || pv.status.phase === 'Pending') await this.setVolumePhase(pv, 'Available');
      return;
    }
    const claim = this.d.claims.getByName(ref.namespace ?? 'default', ref.name);
    if (claim && (!ref.uid || claim.metadata.uid === ref.uid)) {
      if ((claim.spec as { volumeName?: string } | undefined)?.volumeName !== name) this.queue.add(`pvc/${keyOf(claim)}`);
      return;
    }
    // Only act once the claim is really gone (the cache could be behind a just-created claim).
    if (pv.status?.phase !== 'Bound' && pv.status?.phase !== 'Released') return;
    if (pv.spec?.persistentVolumeReclaimPolicy === 'Delete' && pv.metadata?.annotations?.[ANN_PROVISIONED_BY] === PROVISIONER_NAME) {
      try {
        await this.d.client.delete(PV, undefined, name, { preconditions: { uid: pvObj.metadata.uid } });
        this.d.log.info('provisioned volume deleted with its claim', { volume: name });
      } catch (e) {
        if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
      }
      return;
    }
    if (pv.status?.phase !== 'Released') await this.setVolumePhase(pv, 'Released');
  }

  private async setVolumePhase(pv: PersistentVolume, phase: string): Promise<void> {
    const next = { ...deepCopy(pv), status: { ...(pv.status ?? {}), phase } };
    try {
      await this.d.client.updateStatus(PV, next as unknown as KObject);
    } catch (e) {
      if (!(isStatusError(e) && (e.code === 404 || e.code === 409))) throw e;
    }
  }
}
