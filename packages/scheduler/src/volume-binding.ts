import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { labelSelectorAsMatcher } from '@skiff/api';
import type { Filter } from './filters';
import { toAmount } from './resources';
import { termMatches } from './node-affinity';

export const REASON_VOLUME_NODE_AFFINITY = 'node(s) had volume node affinity conflict';
export const REASON_NO_AVAILABLE_VOLUMES = "node(s) didn't find available persistent volumes to bind";
export const REASON_BOUND_TO_MISSING_PV = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';

/** The claims and volumes the VolumeBinding filter reads (the scheduler loop fills it from its caches). */
export interface VolumeLookup {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): readonly PersistentVolume[];
}

/** A PV's required node affinity against a node; a PV without one fits every node. */
export function volumeNodeAffinityMatches(pv: PersistentVolume, node: Node): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => termMatches(t, node));
}

/** Not claimed by another claim, and neither released nor failed nor being deleted. */
export function volumeAvailableFor(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  if (pv.metadata?.deletionTimestamp) return false;
  const ref = pv.spec?.claimRef;
  if (ref && ref.name) {
    return ref.name === pvc.metadata?.name && (ref.namespace ?? 'default') === (pvc.metadata?.namespace ?? 'default')
      && (!ref.uid || ref.uid === pvc.metadata?.uid);
  }
  const phase = pv.status?.phase ?? 'Available';
  return phase === 'Available' || phase === 'Pending';
}

/**
 * Kubernetes' claim/volume match for binding: same storage class and volume mode, the
 * claim's access modes all offered, enough capacity, the claim's selector matches the PV's
 * labels, and spec.volumeName (when set) names it.
 */
export function claimMatchesVolume(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const cs = pvc.spec ?? {};
  const vs = pv.spec ?? {};
  if (cs.volumeName && cs.volumeName !== pv.metadata?.name) return false;
  if ((cs.storageClassName ?? '') !== (vs.storageClassName ?? '')) return false;
  if ((cs.volumeMode ?? 'Filesystem') !== (vs.volumeMode ?? 'Filesystem')) return false;
  const offered = vs.accessModes ?? [];
  if (!(cs.accessModes ?? []).every((m) => offered.includes(m))) return false;
  const want = toAmount('storage', cs.resources?.requests?.storage ?? 0);
  const have = toAmount('storage', vs.capacity?.storage ?? 0);
  if (have < want) return false;
  if (cs.selector) {
    try {
      if (!labelSelectorAsMatcher(cs.selector).matches(pv.metadata?.labels ?? {})) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** The smallest available matching PV reachable from the node (or from anywhere, without a node). */
export function findMatchingVolume(pvc: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node?: Node): PersistentVolume | undefined {
  const fits = volumes.filter((pv) => volumeAvailableFor(pv, pvc) && claimMatchesVolume(pvc, pv) && (!node || volumeNodeAffinityMatches(pv, node)));
  fits.sort((a, b) => toAmount('storage', a.spec?.capacity?.storage ?? 0) - toAmount('storage', b.spec?.capacity?.storage ?? 0)
    || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return fits[0];
}

/** The claim names a pod's volumes reference. */
export function podClaimNames(pod: Pod): string[] {
  return (pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((n): n is string => !!n);
}

export function isClaimBound(pvc: PersistentVolumeClaim): boolean {
  return !!pvc.spec?.volumeName && pvc.status?.phase === 'Bound';
}

/**
 * VolumeBinding (local volumes, WaitForFirstConsumer): a bound claim pins the pod to the
 * nodes its PV's node affinity allows; an unbound claim fits any node where a matching
 * static PV is available, or anywhere when none exists (a local volume is provisioned on
 * the chosen node after binding). Missing claims make the pod unschedulable everywhere.
 * Without a VolumeLookup in the snapshot the filter passes.
 */
export const volumeBinding: Filter = {
  name: 'VolumeBinding',
  filter(pod, n, snapshot) {
    const lookup = snapshot.volumes;
    if (!lookup) return [];
    const ns = pod.metadata?.namespace ?? 'default';
    let unboundAnywhere = false;
    for (const name of podClaimNames(pod)) {
      const pvc = lookup.claim(ns, name);
      if (!pvc) return [`persistentvolumeclaim "${name}" not found`];
      if (pvc.metadata?.deletionTimestamp) return [`persistentvolumeclaim "${name}" is being deleted`];
      if (pvc.spec?.volumeName) {
        const pv = lookup.volume(pvc.spec.volumeName);
        if (!pv) return [REASON_BOUND_TO_MISSING_PV];
        if (!volumeNodeAffinityMatches(pv, n.node)) return [REASON_VOLUME_NODE_AFFINITY];
        continue;
      }
      const all = lookup.volumes();
      if (!findMatchingVolume(pvc, all)) continue;
      if (!findMatchingVolume(pvc, all, n.node)) unboundAnywhere = true;
    }
    return unboundAnywhere ? [REASON_NO_AVAILABLE_VOLUMES] : [];
  },
};
