/** PersistentVolume and PersistentVolumeClaim validation. */
import { deepEqual, type JsonObject } from '../object';
import { tryParseQuantity } from '../quantity';
import { childPath, forbidden, IMMUTABLE, invalid, keyPath, notSupported, required } from './field-errors';
import { isDNS1123Subdomain, nameIsDNSSubdomain } from './name-rules';
import { validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { quantityField, validateHostPathSource } from './pod-spec';
import { peek, type Reader } from './typed-read';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
/** PersistentVolumeSource members, in the order Kubernetes looks for them. */
const PV_SOURCES = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte',
  'cinder', 'cephfs', 'fc', 'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk',
  'scaleIO', 'local', 'storageos', 'csi', 'iscsi'];

function accessModes(r: Reader, value: unknown, path: string, requiredDetail: string): void {
  const modes = r.strList(value, path) ?? [];
  if (modes.length === 0) r.add(required(path, requiredDetail));
  for (const m of modes) if (!ACCESS_MODES.includes(m)) r.add(notSupported(path, m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) r.add(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
}

function storageClassName(r: Reader, value: unknown, path: string): void {
  const name = r.str(value, path);
  if (name) for (const m of isDNS1123Subdomain(name)) r.add(invalid(path, name, m));
}

function volumeMode(r: Reader, value: unknown, path: string): void {
  const mode = r.str(value, path);
  if (mode !== undefined && !VOLUME_MODES.includes(mode)) r.add(notSupported(path, mode, VOLUME_MODES));
}

export function validatePersistentVolume(r: Reader, pv: JsonObject): void {
  validateObjectMeta(r, pv.metadata, 'metadata', nameIsDNSSubdomain);
  const spec = r.obj(pv.spec, 'spec') ?? {};
  accessModes(r, spec.accessModes, 'spec.accessModes', '');
  const capacity = r.obj(spec.capacity, 'spec.capacity') ?? {};
  const keys = Object.keys(capacity);
  if (keys.length === 0) r.add(required('spec.capacity'));
  if (!keys.includes('storage') || keys.length > 1) r.add(notSupported('spec.capacity', capacity, ['storage']));
  for (const k of keys) {
    const q = quantityField(r, capacity[k], keyPath('spec.capacity', k));
    if (q && q.sign() <= 0) r.add(invalid(keyPath('spec.capacity', k), q.toString(), 'must be greater than zero'));
  }
  storageClassName(r, spec.storageClassName, 'spec.storageClassName');
  volumeMode(r, spec.volumeMode, 'spec.volumeMode');
  const present = PV_SOURCES.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (present.length === 0) r.add(required('spec', 'must specify a volume type'));
  if (present.length > 1) r.add(forbidden(childPath('spec', present[1] as string), 'may not specify more than 1 volume type'));
  const hostPath = present[0] === 'hostPath' ? r.obj(spec.hostPath, 'spec.hostPath') : undefined;
  if (hostPath) validateHostPathSource(r, hostPath, 'spec.hostPath');
  const local = present[0] === 'local' ? r.obj(spec.local, 'spec.local') : undefined;
  if (local) {
    const p = r.str(local.path, 'spec.local.path') ?? '';
    if (!p) r.add(required('spec.local.path'));
    if (!peek.obj(spec.nodeAffinity)) r.add(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  const nfs = present[0] === 'nfs' ? r.obj(spec.nfs, 'spec.nfs') : undefined;
  if (nfs) {
    if (!(r.str(nfs.server, 'spec.nfs.server') ?? '')) r.add(required('spec.nfs.server'));
    const p = r.str(nfs.path, 'spec.nfs.path') ?? '';
    if (!p) r.add(required('spec.nfs.path'));
    else if (!p.startsWith('/')) r.add(invalid('spec.nfs.path', p, 'must be an absolute path'));
  }
  const csi = present[0] === 'csi' ? r.obj(spec.csi, 'spec.csi') : undefined;
  if (csi) {
    if (!(r.str(csi.driver, 'spec.csi.driver') ?? '')) r.add(required('spec.csi.driver'));
    if (!(r.str(csi.volumeHandle, 'spec.csi.volumeHandle') ?? '')) r.add(required('spec.csi.volumeHandle'));
  }
  const reclaim = r.str(spec.persistentVolumeReclaimPolicy, 'spec.persistentVolumeReclaimPolicy');
  if (reclaim !== undefined && reclaim !== '' && !RECLAIM_POLICIES.includes(reclaim)) r.add(notSupported('spec.persistentVolumeReclaimPolicy', reclaim, RECLAIM_POLICIES));
  const hostPathPath = peek.str(hostPath?.path) ?? '';
  if (hostPath && hostPathPath.replace(/\/+$/, '') === '' && hostPathPath.startsWith('/') && reclaim === 'Recycle') {
    r.add(forbidden('spec.persistentVolumeReclaimPolicy', "may not be 'recycle' for a hostPath mount of '/'"));
  }
  r.obj(spec.claimRef, 'spec.claimRef');
}

export function validatePersistentVolumeUpdate(r: Reader, pv: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, pv.metadata, old.metadata, 'metadata');
  validatePersistentVolume(r, pv);
  const spec = peek.obj(pv.spec) ?? {};
  const oldSpec = peek.obj(old.spec) ?? {};
  const source = (s: JsonObject): JsonObject => Object.fromEntries(PV_SOURCES.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
  if (!deepEqual(source(spec), source(oldSpec))) r.add(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  if ((spec.volumeMode ?? 'Filesystem') !== (oldSpec.volumeMode ?? 'Filesystem')) r.add(invalid('volumeMode', spec.volumeMode ?? null, IMMUTABLE));
  if (oldSpec.nodeAffinity !== undefined && !deepEqual(spec.nodeAffinity, oldSpec.nodeAffinity)) r.add(invalid('nodeAffinity', spec.nodeAffinity ?? null, IMMUTABLE));
}

/** ValidatePersistentVolumeClaimSpec; also used for StatefulSet claim templates. */
export function validatePersistentVolumeClaimSpec(r: Reader, specValue: unknown, path: string): void {
  const spec = r.obj(specValue, path) ?? {};
  accessModes(r, spec.accessModes, childPath(path, 'accessModes'), 'at least 1 access mode is required');
  validateLabelSelector(r, spec.selector, childPath(path, 'selector'));
  const resources = r.obj(spec.resources, childPath(path, 'resources')) ?? {};
  const requests = r.obj(resources.requests, childPath(path, 'resources', 'requests')) ?? {};
  const storagePath = keyPath(childPath(path, 'resources'), 'storage');
  if (requests.storage === undefined || requests.storage === null) r.add(required(storagePath));
  else {
    const q = quantityField(r, requests.storage, storagePath);
    if (q && q.sign() <= 0) r.add(invalid(storagePath, q.toString(), 'must be greater than zero'));
  }
  storageClassName(r, spec.storageClassName, childPath(path, 'storageClassName'));
  volumeMode(r, spec.volumeMode, childPath(path, 'volumeMode'));
  r.str(spec.volumeName, childPath(path, 'volumeName'));
}

export function validatePersistentVolumeClaim(r: Reader, pvc: JsonObject): void {
  validateObjectMeta(r, pvc.metadata, 'metadata', nameIsDNSSubdomain);
  validatePersistentVolumeClaimSpec(r, pvc.spec, 'spec');
}

export function validatePersistentVolumeClaimUpdate(r: Reader, pvc: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, pvc.metadata, old.metadata, 'metadata');
  validatePersistentVolumeClaim(r, pvc);
  const spec: JsonObject = structuredClone(peek.obj(pvc.spec) ?? {});
  const oldSpec: JsonObject = structuredClone(peek.obj(old.spec) ?? {});
  if (!peek.str(oldSpec.volumeName)) { delete spec.volumeName; delete oldSpec.volumeName; }
  const bound = peek.obj(old.status)?.phase === 'Bound';
  if (bound) {
    const q = tryParseQuantity(peek.obj(peek.obj(spec.resources)?.requests)?.storage).quantity;
    const oq = tryParseQuantity(peek.obj(peek.obj(oldSpec.resources)?.requests)?.storage).quantity;
    if (q && oq && q.cmp(oq) < 0) r.add(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    for (const s of [spec, oldSpec]) {
      const res = peek.obj(s.resources);
      if (res) delete res.requests;
    }
  }
  for (const s of [spec, oldSpec]) delete s.volumeAttributesClassName;
  if (!deepEqual(spec, oldSpec)) r.add(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
}

