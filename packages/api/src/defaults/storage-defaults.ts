/** PersistentVolume and PersistentVolumeClaim defaults. */
import { child, defaultString, defaultValue, ensureChild, type JsonObject } from './fields';

export function defaultPersistentVolumeClaimSpec(spec: JsonObject): void {
  defaultValue(spec, 'volumeMode', 'Filesystem');
}

export function defaultPersistentVolumeClaim(pvc: JsonObject): void {
  const spec = ensureChild(pvc, 'spec');
  if (spec) defaultPersistentVolumeClaimSpec(spec);
  const status = ensureChild(pvc, 'status');
  if (status) defaultString(status, 'phase', 'Pending');
}

export function defaultPersistentVolume(pv: JsonObject): void {
  const spec = ensureChild(pv, 'spec');
  if (spec) {
    defaultString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    defaultValue(spec, 'volumeMode', 'Filesystem');
    const hostPath = child(spec, 'hostPath');
    if (hostPath) defaultValue(hostPath, 'type', '');
  }
  const status = ensureChild(pv, 'status');
  if (status) defaultString(status, 'phase', 'Pending');
}
