/**
 * PodSpec and PodTemplateSpec validation (containers, volumes, probes, resources, ...),
 * following Kubernetes' ValidatePodSpec and its helpers, paths and wording included.
 */
import { tryParseQuantity, type Quantity } from '../quantity';
import {
  childPath, duplicate, forbidden, indexPath, invalid, invalidRaw, keyPath, nonNegative, notFound, notSupported,
  required, type FieldError,
} from './field-errors';
import { goQuote } from './go-format';
import {
  inclusiveRangeError, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isHTTPHeaderName,
  isQualifiedName, isValidIP, isValidLabelValue, isValidPortName, isValidPortNum,
} from './name-rules';
import { validateAnnotations, validateLabelName, validateLabels } from './object-meta';
import { peek, Reader, type JsonObject } from './typed-read';

export interface PodSpecOptions {
  /** Volume names that exist without a `spec.volumes` entry (a StatefulSet's claim templates). */
  extraVolumeNames?: readonly string[];
}

const MAX_INT32 = 2147483647;
const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function dns1123Label(r: Reader, value: string, path: string): void {
  for (const m of isDNS1123Label(value)) r.add(invalid(path, value, m));
}

function dns1123Subdomain(r: Reader, value: string, path: string): void {
  for (const m of isDNS1123Subdomain(value)) r.add(invalid(path, value, m));
}

function qualifiedName(r: Reader, value: string, path: string): void {
  for (const m of isQualifiedName(value)) r.add(invalid(path, value, m));
}

function fileMode(r: Reader, v: unknown, path: string): void {
  const mode = r.int(v, path);
  if (mode !== undefined && (mode < 0 || mode > 0o777)) r.add(invalid(path, mode, FILE_MODE_ERROR));
}

function hasBacksteps(p: string): boolean {
  return p.replace(/\\/g, '/').split('/').includes('..');
}

/** validateLocalDescendingPath. */
function localDescendingPath(r: Reader, target: string, path: string): void {
  if (target.startsWith('/')) r.add(invalid(path, target, 'must be a relative path'));
  if (hasBacksteps(target)) r.add(invalid(path, target, "must not contain '..'"));
}

/** ValidateLocalNonReservedPath. */
function localNonReservedPath(r: Reader, target: string, path: string): void {
  localDescendingPath(r, target, path);
  if (target.startsWith('..') && !target.startsWith('../')) r.add(invalid(path, target, "must not start with '..'"));
}

function keyToPaths(r: Reader, itemsValue: unknown, path: string): void {
  for (const { item, path: p } of r.objList(itemsValue, path)) {
    const key = r.str(item.key, childPath(p, 'key')) ?? '';
    const target = r.str(item.path, childPath(p, 'path')) ?? '';
    if (!key) r.add(required(childPath(p, 'key')));
    if (!target) r.add(required(childPath(p, 'path')));
    localNonReservedPath(r, target, childPath(p, 'path'));
    fileMode(r, item.mode, childPath(p, 'mode'));
  }
}

// ---- downward API field selectors --------------------------------------------------

const ENV_FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName',
  'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
const RESOURCE_FIELD_PATHS = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];
const CPU_DIVISORS = new Set(['1m', '1']);
const MEMORY_DIVISORS = new Set(['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei']);

function splitSubscript(fieldPath: string): { path: string; subscript: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const at = fieldPath.indexOf("['");
  if (at <= 0) return undefined;
  return { path: fieldPath.slice(0, at), subscript: fieldPath.slice(at + 2, -2) };
}

function objectFieldSelector(r: Reader, ref: JsonObject, allowed: string[], path: string): void {
  const apiVersion = r.str(ref.apiVersion, childPath(path, 'apiVersion')) ?? 'v1';
  const fieldPath = r.str(ref.fieldPath, childPath(path, 'fieldPath')) ?? '';
  if (apiVersion === '') { r.add(required(childPath(path, 'apiVersion'))); return; }
  if (fieldPath === '') { r.add(required(childPath(path, 'fieldPath'))); return; }
  if (apiVersion !== 'v1') {
    r.add(invalid(childPath(path, 'fieldPath'), fieldPath, `error converting fieldPath: unsupported pod version: ${apiVersion}`));
    return;
  }
  const sub = splitSubscript(fieldPath);
  if (sub) {
    if (sub.path === 'metadata.annotations') qualifiedName(r, sub.subscript.toLowerCase(), path);
    else if (sub.path === 'metadata.labels') qualifiedName(r, sub.subscript, path);
    else r.add(invalid(path, sub.path, 'does not support subscript'));
  } else if (!allowed.includes(fieldPath)) {
    r.add(notSupported(childPath(path, 'fieldPath'), fieldPath, allowed));
  }
}

function resourceFieldSelector(r: Reader, ref: JsonObject, path: string, volume: boolean): void {
  const containerName = r.str(ref.containerName, childPath(path, 'containerName')) ?? '';
  const resource = r.str(ref.resource, childPath(path, 'resource')) ?? '';
  if (volume && !containerName) r.add(required(childPath(path, 'containerName')));
  else if (!resource) r.add(required(childPath(path, 'resource')));
  else if (!RESOURCE_FIELD_PATHS.includes(resource) && !/^(limits|requests)\.hugepages-/.test(resource)) {
    r.add(notSupported(childPath(path, 'resource'), resource, RESOURCE_FIELD_PATHS));
  }
  if (ref.divisor === undefined || ref.divisor === null) return;
  const parsed = tryParseQuantity(ref.divisor);
  if (!parsed.quantity) { r.add(invalid(childPath(path, 'divisor'), ref.divisor, parsed.error)); return; }
  if (parsed.quantity.isZero()) return;
  const d = parsed.quantity.toString();
  if ((resource === 'limits.cpu' || resource === 'requests.cpu') && !CPU_DIVISORS.has(d)) {
    r.add(invalid(childPath(path, 'divisor'), resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
  } else if ((resource === 'limits.memory' || resource === 'requests.memory') && !MEMORY_DIVISORS.has(d)) {
    r.add(invalid(childPath(path, 'divisor'), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource"));
  } else if ((resource === 'limits.ephemeral-storage' || resource === 'requests.ephemeral-storage') && !MEMORY_DIVISORS.has(d)) {
    r.add(invalid(childPath(path, 'divisor'), resource, "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource"));
  }
}

function downwardAPIItems(r: Reader, itemsValue: unknown, path: string): void {
  for (const { item, path: p } of r.objList(itemsValue, path)) {
    const target = r.str(item.path, childPath(p, 'path')) ?? '';
    if (!target) r.add(required(childPath(p, 'path')));
    localNonReservedPath(r, target, childPath(p, 'path'));
    fileMode(r, item.mode, childPath(p, 'mode'));
    const fieldRef = r.obj(item.fieldRef, childPath(p, 'fieldRef'));
    const resourceFieldRef = r.obj(item.resourceFieldRef, childPath(p, 'resourceFieldRef'));
    if (fieldRef) objectFieldSelector(r, fieldRef, VOLUME_FIELD_PATHS, childPath(p, 'fieldRef'));
    if (resourceFieldRef) resourceFieldSelector(r, resourceFieldRef, childPath(p, 'resourceFieldRef'), true);
    if (fieldRef && resourceFieldRef) r.add(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  }
}

// ---- volumes ----------------------------------------------------------------------

/** The volume sources, in the order Kubernetes looks for them. */
const VOLUME_SOURCES = ['hostPath', 'emptyDir', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'flexVolume', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'flocker',
  'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'csi', 'configMap', 'scaleIO',
  'storageos', 'projected', 'ephemeral', 'image'];
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

export function validateHostPathSource(r: Reader, src: JsonObject, path: string): void {
  const p = r.str(src.path, childPath(path, 'path')) ?? '';
  if (!p) { r.add(required(childPath(path, 'path'))); return; }
  if (hasBacksteps(p)) r.add(invalid(childPath(path, 'path'), p, "must not contain '..'"));
  const type = r.str(src.type, childPath(path, 'type'));
  if (type !== undefined && !HOST_PATH_TYPES.includes(type)) r.add(notSupported(childPath(path, 'type'), type, HOST_PATH_TYPES));
}

function validateProjected(r: Reader, src: JsonObject, path: string): void {
  fileMode(r, src.defaultMode, childPath(path, 'defaultMode'));
  const seen = new Set<string>();
  const addPath = (p: string, at: string): void => {
    if (!p) return;
    if (seen.has(p)) r.add(invalid(at, p, 'conflicting duplicate paths'));
    seen.add(p);
  };
  for (const { item, path: sp } of r.objList(src.sources, childPath(path, 'sources'))) {
    const kinds = ['secret', 'configMap', 'downwardAPI', 'serviceAccountToken', 'clusterTrustBundle'].filter((k) => item[k] !== undefined && item[k] !== null);
    if (kinds.length > 1) r.add(forbidden(childPath(sp, kinds[1] as string), 'may not specify more than 1 volume type per source'));
    const secret = r.obj(item.secret, childPath(sp, 'secret'));
    if (secret) {
      if (!(r.str(secret.name, childPath(sp, 'secret', 'name')) ?? '')) r.add(required(childPath(sp, 'secret', 'name')));
      keyToPaths(r, secret.items, childPath(sp, 'secret', 'items'));
      for (const it of peek.objs(secret.items)) addPath(peek.str(it.path) ?? '', childPath(sp, 'secret', 'items'));
    }
    const cm = r.obj(item.configMap, childPath(sp, 'configMap'));
    if (cm) {
      if (!(r.str(cm.name, childPath(sp, 'configMap', 'name')) ?? '')) r.add(required(childPath(sp, 'configMap', 'name')));
      keyToPaths(r, cm.items, childPath(sp, 'configMap', 'items'));
      for (const it of peek.objs(cm.items)) addPath(peek.str(it.path) ?? '', childPath(sp, 'configMap', 'items'));
    }
    const dapi = r.obj(item.downwardAPI, childPath(sp, 'downwardAPI'));
    if (dapi) {
      downwardAPIItems(r, dapi.items, childPath(sp, 'downwardAPI', 'items'));
      for (const it of peek.objs(dapi.items)) addPath(peek.str(it.path) ?? '', childPath(sp, 'downwardAPI', 'items'));
    }
    const token = r.obj(item.serviceAccountToken, childPath(sp, 'serviceAccountToken'));
    if (token) {
      const tp = childPath(sp, 'serviceAccountToken');
      const exp = r.int(token.expirationSeconds, childPath(tp, 'expirationSeconds'));
      if (exp !== undefined && exp < 600) r.add(invalid(childPath(tp, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (exp !== undefined && exp > 2 ** 32) r.add(invalid(childPath(tp, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      const target = r.str(token.path, childPath(tp, 'path')) ?? '';
      if (!target) r.add(required(childPath(tp, 'path')));
      else localNonReservedPath(r, target, childPath(tp, 'path'));
      addPath(target, childPath(tp, 'path'));
    }
  }
}

function validateVolumeSource(r: Reader, vol: JsonObject, path: string): void {
  const present = VOLUME_SOURCES.filter((k) => vol[k] !== undefined && vol[k] !== null);
  if (present.length === 0) { r.add(required(path, 'must specify a volume type')); return; }
  if (present.length > 1) r.add(forbidden(childPath(path, present[1] as string), 'may not specify more than 1 volume type'));
  const src = (k: string): JsonObject | undefined => (present[0] === k ? r.obj(vol[k], childPath(path, k)) : undefined);

  const hostPath = src('hostPath');
  if (hostPath) validateHostPathSource(r, hostPath, childPath(path, 'hostPath'));
  const emptyDir = src('emptyDir');
  if (emptyDir) {
    const medium = r.str(emptyDir.medium, childPath(path, 'emptyDir', 'medium'));
    if (medium !== undefined && medium !== '' && medium !== 'Memory' && !medium.startsWith('HugePages')) {
      r.add(notSupported(childPath(path, 'emptyDir', 'medium'), medium, ['', 'Memory', 'HugePages']));
    }
    if (emptyDir.sizeLimit !== undefined && emptyDir.sizeLimit !== null) {
      const q = tryParseQuantity(emptyDir.sizeLimit);
      if (!q.quantity) r.add(invalid(childPath(path, 'emptyDir', 'sizeLimit'), emptyDir.sizeLimit, q.error));
      else if (q.quantity.sign() < 0) r.add(forbidden(childPath(path, 'emptyDir', 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
    }
  }
  const secret = src('secret');
  if (secret) {
    if (!(r.str(secret.secretName, childPath(path, 'secret', 'secretName')) ?? '')) r.add(required(childPath(path, 'secret', 'secretName')));
    fileMode(r, secret.defaultMode, childPath(path, 'secret', 'defaultMode'));
    keyToPaths(r, secret.items, childPath(path, 'secret', 'items'));
  }
  const configMap = src('configMap');
  if (configMap) {
    if (!(r.str(configMap.name, childPath(path, 'configMap', 'name')) ?? '')) r.add(required(childPath(path, 'configMap', 'name')));
    fileMode(r, configMap.defaultMode, childPath(path, 'configMap', 'defaultMode'));
    keyToPaths(r, configMap.items, childPath(path, 'configMap', 'items'));
  }
  const pvc = src('persistentVolumeClaim');
  if (pvc && !(r.str(pvc.claimName, childPath(path, 'persistentVolumeClaim', 'claimName')) ?? '')) {
    r.add(required(childPath(path, 'persistentVolumeClaim', 'claimName')));
  }
  const downwardAPI = src('downwardAPI');
  if (downwardAPI) {
    fileMode(r, downwardAPI.defaultMode, childPath(path, 'downwardAPI', 'defaultMode'));
    downwardAPIItems(r, downwardAPI.items, childPath(path, 'downwardAPI', 'items'));
  }
  const projected = src('projected');
  if (projected) validateProjected(r, projected, childPath(path, 'projected'));
  const nfs = src('nfs');
  if (nfs) {
    const server = r.str(nfs.server, childPath(path, 'nfs', 'server')) ?? '';
    const p = r.str(nfs.path, childPath(path, 'nfs', 'path')) ?? '';
    if (!server) r.add(required(childPath(path, 'nfs', 'server')));
    if (!p) r.add(required(childPath(path, 'nfs', 'path')));
    else if (!p.startsWith('/')) r.add(invalid(childPath(path, 'nfs', 'path'), p, 'must be an absolute path'));
  }
  const csi = src('csi');
  if (csi && !(r.str(csi.driver, childPath(path, 'csi', 'driver')) ?? '')) r.add(required(childPath(path, 'csi', 'driver')));
  const ephemeral = src('ephemeral');
  if (ephemeral && (ephemeral.volumeClaimTemplate === undefined || ephemeral.volumeClaimTemplate === null)) {
    r.add(required(childPath(path, 'ephemeral', 'volumeClaimTemplate')));
  }
}

/** ValidateVolumes: names unique DNS labels, exactly one source each. Returns the names. */
function validateVolumes(r: Reader, volumes: unknown, path: string): Set<string> {
  const names = new Set<string>();
  for (const { item, path: p } of r.objList(volumes, path)) {
    const name = r.str(item.name, childPath(p, 'name')) ?? '';
    validateVolumeSource(r, item, p);
    if (!name) r.add(required(childPath(p, 'name')));
    else dns1123Label(r, name, childPath(p, 'name'));
    if (names.has(name)) r.add(duplicate(childPath(p, 'name'), name));
    else names.add(name);
  }
  return names;
}

// ---- containers -------------------------------------------------------------------

function validateContainerPorts(r: Reader, ports: JsonObject[], path: string, paths: string[]): void {
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = paths[i] as string;
    const name = r.str(port.name, childPath(p, 'name')) ?? '';
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) r.add(invalid(childPath(p, 'name'), name, m));
      else if (names.has(name)) r.add(duplicate(childPath(p, 'name'), name));
      else names.add(name);
    }
    const containerPort = r.int(port.containerPort, childPath(p, 'containerPort')) ?? 0;
    if (containerPort === 0) r.add(required(childPath(p, 'containerPort')));
    else for (const m of isValidPortNum(containerPort)) r.add(invalid(childPath(p, 'containerPort'), containerPort, m));
    const hostPort = r.int(port.hostPort, childPath(p, 'hostPort')) ?? 0;
    if (hostPort !== 0) for (const m of isValidPortNum(hostPort)) r.add(invalid(childPath(p, 'hostPort'), hostPort, m));
    const protocol = r.str(port.protocol, childPath(p, 'protocol'));
    if (protocol === '') r.add(required(childPath(p, 'protocol')));
    else if (protocol !== undefined && !SUPPORTED_PROTOCOLS.includes(protocol)) r.add(notSupported(childPath(p, 'protocol'), protocol, SUPPORTED_PROTOCOLS));
    const hostIP = r.str(port.hostIP, childPath(p, 'hostIP'));
    if (hostIP) for (const m of isValidIP(hostIP)) r.add(invalid(childPath(p, 'hostIP'), hostIP, m));
  });
  void path;
}

function keySelector(r: Reader, ref: JsonObject, path: string): void {
  const name = r.str(ref.name, childPath(path, 'name')) ?? '';
  for (const m of isDNS1123Subdomain(name)) r.add(invalid(childPath(path, 'name'), name, m));
  const key = r.str(ref.key, childPath(path, 'key')) ?? '';
  if (!key) r.add(required(childPath(path, 'key')));
  else for (const m of isConfigMapKey(key)) r.add(invalid(childPath(path, 'key'), key, m));
  r.bool(ref.optional, childPath(path, 'optional'));
}

function validateEnv(r: Reader, env: unknown, path: string): void {
  for (const { item, path: p } of r.objList(env, path)) {
    const name = r.str(item.name, childPath(p, 'name')) ?? '';
    if (!name) r.add(required(childPath(p, 'name')));
    else for (const m of isEnvVarName(name)) r.add(invalid(childPath(p, 'name'), name, m));
    const value = r.str(item.value, childPath(p, 'value')) ?? '';
    const fromPath = childPath(p, 'valueFrom');
    const from = r.obj(item.valueFrom, fromPath);
    if (!from) continue;
    let sources = 0;
    const fieldRef = r.obj(from.fieldRef, childPath(fromPath, 'fieldRef'));
    if (fieldRef) { sources++; objectFieldSelector(r, fieldRef, ENV_FIELD_PATHS, childPath(fromPath, 'fieldRef')); }
    const resourceFieldRef = r.obj(from.resourceFieldRef, childPath(fromPath, 'resourceFieldRef'));
    if (resourceFieldRef) { sources++; resourceFieldSelector(r, resourceFieldRef, childPath(fromPath, 'resourceFieldRef'), false); }
    const cmRef = r.obj(from.configMapKeyRef, childPath(fromPath, 'configMapKeyRef'));
    if (cmRef) { sources++; keySelector(r, cmRef, childPath(fromPath, 'configMapKeyRef')); }
    const secretRef = r.obj(from.secretKeyRef, childPath(fromPath, 'secretKeyRef'));
    if (secretRef) { sources++; keySelector(r, secretRef, childPath(fromPath, 'secretKeyRef')); }
    if (sources === 0) r.add(invalid(fromPath, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (value) r.add(invalid(fromPath, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) r.add(invalid(fromPath, '', 'may not have more than one field specified at a time'));
  }
}

function validateEnvFrom(r: Reader, envFrom: unknown, path: string): void {
  for (const { item, path: p } of r.objList(envFrom, path)) {
    const prefix = r.str(item.prefix, childPath(p, 'prefix')) ?? '';
    if (prefix) for (const m of isEnvVarName(prefix)) r.add(invalid(childPath(p, 'prefix'), prefix, m));
    let sources = 0;
    for (const k of ['configMapRef', 'secretRef']) {
      const ref = r.obj(item[k], childPath(p, k));
      if (!ref) continue;
      sources++;
      const name = r.str(ref.name, childPath(p, k, 'name')) ?? '';
      if (!name) r.add(required(childPath(p, k, 'name')));
      else for (const m of isDNS1123Subdomain(name)) r.add(invalid(childPath(p, k, 'name'), name, m));
    }
    if (sources === 0) r.add(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) r.add(invalid(path, '', 'may not have more than one field specified at a time'));
  }
}

function validateVolumeMounts(r: Reader, mounts: unknown, volumes: Set<string>, path: string, privileged: boolean): void {
  const mountPoints = new Set<string>();
  for (const { item, path: p } of r.objList(mounts, path)) {
    const name = r.str(item.name, childPath(p, 'name')) ?? '';
    const mountPath = r.str(item.mountPath, childPath(p, 'mountPath')) ?? '';
    r.bool(item.readOnly, childPath(p, 'readOnly'));
    if (!name) r.add(required(childPath(p, 'name')));
    if (!volumes.has(name)) r.add(notFound(childPath(p, 'name'), name));
    if (!mountPath) r.add(required(childPath(p, 'mountPath')));
    if (mountPoints.has(mountPath)) r.add(invalid(childPath(p, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    const subPath = r.str(item.subPath, childPath(p, 'subPath')) ?? '';
    if (subPath) localDescendingPath(r, subPath, childPath(path, 'subPath'));
    const subPathExpr = r.str(item.subPathExpr, childPath(p, 'subPathExpr')) ?? '';
    if (subPathExpr) {
      if (subPath) r.add(invalid(childPath(p, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      localDescendingPath(r, subPathExpr, childPath(path, 'subPathExpr'));
    }
    const propagation = r.str(item.mountPropagation, childPath(p, 'mountPropagation'));
    if (propagation !== undefined) {
      const allowed = ['Bidirectional', 'HostToContainer', 'None'];
      if (!allowed.includes(propagation)) r.add(notSupported(childPath(path, 'mountPropagation'), propagation, allowed));
      else if (propagation === 'Bidirectional' && !privileged) {
        r.add(forbidden(childPath(path, 'mountPropagation'), 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
  }
}

// ---- resources --------------------------------------------------------------------

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);
const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isNativeResource = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
function isExtendedResource(name: string): boolean {
  if (isNativeResource(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}
const overcommitAllowed = (name: string): boolean => isNativeResource(name) && !isHugePages(name);

function validateContainerResourceName(r: Reader, name: string, path: string): void {
  for (const m of isQualifiedName(name)) r.add(invalid(path, name, m));
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) r.add(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!isNativeResource(name) && !isExtendedResource(name)) {
    r.add(invalid(path, name, "doesn't follow extended resource name standard"));
  }
}

/** Parses a quantity field, reporting the Kubernetes decode message when it is malformed. */
export function quantityField(r: Reader, v: unknown, path: string): Quantity | undefined {
  if (v === undefined || v === null) return undefined;
  const parsed = tryParseQuantity(v);
  if (!parsed.quantity) { r.add(invalid(path, v, parsed.error)); return undefined; }
  return parsed.quantity;
}

/** ValidateResourceQuantityValue: non-negative, and whole for integer resources. */
function quantityValue(r: Reader, name: string, q: Quantity, path: string): void {
  if (q.sign() < 0) r.add(invalid(path, q.toString(), 'must be greater than or equal to 0'));
  if (isExtendedResource(name) && q.milliValueBig() % 1000n !== 0n) r.add(invalid(path, q.toString(), 'must be an integer'));
}

function validateResources(r: Reader, resourcesValue: unknown, path: string): void {
  const res = r.obj(resourcesValue, path);
  if (!res) return;
  const limPath = childPath(path, 'limits');
  const reqPath = childPath(path, 'requests');
  const limitsObj = r.obj(res.limits, limPath) ?? {};
  const requestsObj = r.obj(res.requests, reqPath) ?? {};
  const limits = new Map<string, Quantity>();
  let cpuOrMemory = false;
  let hugePages = false;
  for (const [name, v] of Object.entries(limitsObj)) {
    const p = keyPath(limPath, name);
    validateContainerResourceName(r, name, p);
    const q = quantityField(r, v, p);
    if (!q) continue;
    limits.set(name, q);
    quantityValue(r, name, q, p);
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  for (const [name, v] of Object.entries(requestsObj)) {
    const p = keyPath(reqPath, name);
    validateContainerResourceName(r, name, p);
    const q = quantityField(r, v, p);
    if (!q) continue;
    quantityValue(r, name, q, p);
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !overcommitAllowed(name)) {
        r.add(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q.cmp(limit) > 0) {
        r.add(invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
      }
    } else if (!overcommitAllowed(name) && !(name in limitsObj)) {
      r.add(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePages(name)) hugePages = true;
    if (name === 'cpu' || name === 'memory') cpuOrMemory = true;
  }
  if (hugePages && !cpuOrMemory) r.add(forbidden(path, 'HugePages require cpu or memory'));
}

// ---- probes and handlers ----------------------------------------------------------

function portNumOrName(r: Reader, v: unknown, path: string): void {
  const port = r.intOrStr(v, path) ?? 0;
  if (typeof port === 'number') for (const m of isValidPortNum(port)) r.add(invalid(path, port, m));
  else for (const m of isValidPortName(port)) r.add(invalid(path, port, m));
}

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const LIFECYCLE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;

function validateHandler(r: Reader, h: JsonObject, path: string, kinds: readonly string[]): void {
  let count = 0;
  for (const kind of kinds) {
    if (h[kind] === undefined || h[kind] === null) continue;
    const p = childPath(path, kind);
    if (count > 0) { r.add(forbidden(p, 'may not specify more than 1 handler type')); continue; }
    count++;
    const o = r.obj(h[kind], p);
    if (!o) continue;
    if (kind === 'exec') {
      const command = r.strList(o.command, childPath(p, 'command'));
      if (!command || command.length === 0) r.add(required(childPath(p, 'command')));
    } else if (kind === 'httpGet') {
      const pathValue = r.str(o.path, childPath(p, 'path'));
      if (pathValue === '') r.add(required(childPath(p, 'path')));
      portNumOrName(r, o.port, childPath(p, 'port'));
      const scheme = r.str(o.scheme, childPath(p, 'scheme'));
      if (scheme !== undefined && scheme !== 'HTTP' && scheme !== 'HTTPS') r.add(notSupported(childPath(p, 'scheme'), scheme, ['HTTP', 'HTTPS']));
      r.str(o.host, childPath(p, 'host'));
      for (const { item } of r.objList(o.httpHeaders, childPath(p, 'httpHeaders'))) {
        const name = r.str(item.name, childPath(p, 'httpHeaders')) ?? '';
        for (const m of isHTTPHeaderName(name)) r.add(invalid(childPath(p, 'httpHeaders'), name, m));
      }
    } else if (kind === 'tcpSocket') {
      portNumOrName(r, o.port, childPath(p, 'port'));
    } else if (kind === 'grpc') {
      const port = r.int(o.port, childPath(p, 'port')) ?? 0;
      for (const m of isValidPortNum(port)) r.add(invalid(childPath(p, 'port'), port, m));
    } else if (kind === 'sleep') {
      const seconds = r.int(o.seconds, childPath(p, 'seconds')) ?? 0;
      if (seconds <= 0) r.add(invalid(childPath(p, 'seconds'), seconds, 'must be greater than 0'));
    }
  }
  if (count === 0) r.add(required(path, 'must specify a handler type'));
}

type ProbeKind = 'livenessProbe' | 'readinessProbe' | 'startupProbe';

function validateProbe(r: Reader, probeValue: unknown, path: string, kind: ProbeKind): void {
  const probe = r.obj(probeValue, path);
  if (!probe) return;
  validateHandler(r, probe, path, HANDLERS);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    r.add(...nonNegative(childPath(path, f), r.int(probe[f], childPath(path, f))));
  }
  const grace = r.int(probe.terminationGracePeriodSeconds, childPath(path, 'terminationGracePeriodSeconds'));
  if (grace !== undefined && grace <= 0) r.add(invalid(childPath(path, 'terminationGracePeriodSeconds'), grace, 'must be greater than 0'));
  if (kind === 'readinessProbe' && grace !== undefined) r.add(invalid(childPath(path, 'terminationGracePeriodSeconds'), grace, 'must not be set for readinessProbes'));
  const success = peek.int(probe.successThreshold);
  if (kind !== 'readinessProbe' && success !== undefined && success !== 0 && success !== 1) {
    r.add(invalid(childPath(path, 'successThreshold'), success, 'must be 1'));
  }
}

function validateLifecycle(r: Reader, lifecycleValue: unknown, path: string): void {
  const lifecycle = r.obj(lifecycleValue, path);
  if (!lifecycle) return;
  for (const k of ['postStart', 'preStop']) {
    const h = r.obj(lifecycle[k], childPath(path, k));
    if (h) validateHandler(r, h, childPath(path, k), LIFECYCLE_HANDLERS);
  }
}

function validateIds(r: Reader, sc: JsonObject, path: string, fields: string[]): void {
  for (const f of fields) {
    const id = r.int(sc[f], childPath(path, f));
    if (id !== undefined && (id < 0 || id > MAX_INT32)) r.add(invalid(childPath(path, f), id, inclusiveRangeError(0, MAX_INT32)));
  }
}

function validateContainerSecurityContext(r: Reader, v: unknown, path: string): void {
  const sc = r.obj(v, path);
  if (!sc) return;
  validateIds(r, sc, path, ['runAsUser', 'runAsGroup']);
  const privileged = r.bool(sc.privileged, childPath(path, 'privileged')) === true;
  const escalation = r.bool(sc.allowPrivilegeEscalation, childPath(path, 'allowPrivilegeEscalation'));
  if (privileged && escalation === false) r.add(invalid(path, 'allowPrivilegeEscalation', 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  r.bool(sc.readOnlyRootFilesystem, childPath(path, 'readOnlyRootFilesystem'));
  r.bool(sc.runAsNonRoot, childPath(path, 'runAsNonRoot'));
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];

/** validateContainerCommon. */
function validateContainerCommon(r: Reader, c: JsonObject, path: string, volumes: Set<string>): void {
  const name = r.str(c.name, childPath(path, 'name')) ?? '';
  if (!name) r.add(required(childPath(path, 'name')));
  else dns1123Label(r, name, childPath(path, 'name'));
  const image = r.str(c.image, childPath(path, 'image')) ?? '';
  if (image.length === 0) r.add(required(childPath(path, 'image')));
  const tmp = r.str(c.terminationMessagePolicy, childPath(path, 'terminationMessagePolicy'));
  if (tmp === '') r.add(required(childPath(path, 'terminationMessagePolicy'), "must be 'File' or 'FallbackToLogsOnError'"));
  else if (tmp !== undefined && !TERMINATION_MESSAGE_POLICIES.includes(tmp)) r.add(notSupported(childPath(path, 'terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  r.str(c.terminationMessagePath, childPath(path, 'terminationMessagePath'));
  r.strList(c.command, childPath(path, 'command'));
  r.strList(c.args, childPath(path, 'args'));
  r.str(c.workingDir, childPath(path, 'workingDir'));
  const ports = r.objList(c.ports, childPath(path, 'ports'));
  validateContainerPorts(r, ports.map((x) => x.item), childPath(path, 'ports'), ports.map((x) => x.path));
  validateEnv(r, c.env, childPath(path, 'env'));
  validateEnvFrom(r, c.envFrom, childPath(path, 'envFrom'));
  const privileged = peek.obj(c.securityContext)?.privileged === true;
  validateVolumeMounts(r, c.volumeMounts, volumes, childPath(path, 'volumeMounts'), privileged);
  const pull = r.str(c.imagePullPolicy, childPath(path, 'imagePullPolicy'));
  if (pull === '') r.add(required(childPath(path, 'imagePullPolicy')));
  else if (pull !== undefined && !PULL_POLICIES.includes(pull)) r.add(notSupported(childPath(path, 'imagePullPolicy'), pull, PULL_POLICIES));
  validateResources(r, c.resources, childPath(path, 'resources'));
  validateContainerSecurityContext(r, c.securityContext, childPath(path, 'securityContext'));
}

/** checkHostPortConflicts / AccumulateUniqueHostPorts. */
function hostPortConflicts(r: Reader, containers: { item: JsonObject; path: string }[], seen: Set<string>): void {
  for (const { item, path } of containers) {
    peek.objs(item.ports).forEach((port, i) => {
      const hostPort = peek.int(port.hostPort) ?? 0;
      if (hostPort === 0) return;
      const key = `${peek.str(port.protocol) || 'TCP'}/${peek.str(port.hostIP) ?? ''}/${hostPort}`;
      if (seen.has(key)) r.add(duplicate(childPath(indexPath(childPath(path, 'ports'), i), 'hostPort'), key));
      else seen.add(key);
    });
  }
}

function validateContainers(r: Reader, containersValue: unknown, path: string, volumes: Set<string>): string[] {
  if (containersValue === undefined || containersValue === null || (Array.isArray(containersValue) && containersValue.length === 0)) {
    r.add(required(path));
    return [];
  }
  const list = r.objList(containersValue, path);
  const names = new Set<string>();
  for (const { item, path: p } of list) {
    validateContainerCommon(r, item, p, volumes);
    const name = peek.str(item.name) ?? '';
    if (names.has(name)) r.add(duplicate(childPath(p, 'name'), name));
    else names.add(name);
    validateLifecycle(r, item.lifecycle, childPath(p, 'lifecycle'));
    validateProbe(r, item.livenessProbe, childPath(p, 'livenessProbe'), 'livenessProbe');
    validateProbe(r, item.readinessProbe, childPath(p, 'readinessProbe'), 'readinessProbe');
    validateProbe(r, item.startupProbe, childPath(p, 'startupProbe'), 'startupProbe');
    if (item.restartPolicy !== undefined && item.restartPolicy !== null) r.add(forbidden(childPath(p, 'restartPolicy'), 'may not be set for non-init containers'));
  }
  hostPortConflicts(r, list, new Set());
  return [...names];
}

const INIT_ONLY = 'may not be set for init containers without restartPolicy=Always';

function validateInitContainers(r: Reader, value: unknown, path: string, volumes: Set<string>, appNames: string[]): void {
  const names = new Set(appNames);
  for (const { item, path: p } of r.objList(value, path)) {
    validateContainerCommon(r, item, p, volumes);
    const policy = r.str(item.restartPolicy, childPath(p, 'restartPolicy'));
    if (policy !== undefined && policy !== 'Always') r.add(notSupported(childPath(p, 'restartPolicy'), policy, ['Always']));
    const name = peek.str(item.name) ?? '';
    if (names.has(name)) r.add(duplicate(childPath(p, 'name'), name));
    else if (name) names.add(name);
    hostPortConflicts(r, [{ item, path: p }], new Set());
    if (policy === 'Always') {
      validateLifecycle(r, item.lifecycle, childPath(p, 'lifecycle'));
      validateProbe(r, item.livenessProbe, childPath(p, 'livenessProbe'), 'livenessProbe');
      validateProbe(r, item.readinessProbe, childPath(p, 'readinessProbe'), 'readinessProbe');
      validateProbe(r, item.startupProbe, childPath(p, 'startupProbe'), 'startupProbe');
    } else {
      for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (item[k] !== undefined && item[k] !== null) r.add(forbidden(childPath(p, k), INIT_ONLY));
      }
    }
  }
}

// ---- pod-level fields -------------------------------------------------------------

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function renderToleration(t: JsonObject): string {
  const seconds = peek.int(t.tolerationSeconds);
  return `core.Toleration{Key:${goQuote(peek.str(t.key) ?? '')}, Operator:${goQuote(peek.str(t.operator) ?? '')}, Value:${goQuote(peek.str(t.value) ?? '')}, Effect:${goQuote(peek.str(t.effect) ?? '')}, TolerationSeconds:${seconds === undefined ? '(*int64)(nil)' : `&${seconds}`}}`;
}

/** ValidateTolerations. */
export function validateTolerations(r: Reader, value: unknown, path: string): void {
  for (const { item, path: p } of r.objList(value, path)) {
    const key = r.str(item.key, childPath(p, 'key')) ?? '';
    const operator = r.str(item.operator, childPath(p, 'operator')) ?? '';
    const val = r.str(item.value, childPath(p, 'value')) ?? '';
    const effect = r.str(item.effect, childPath(p, 'effect')) ?? '';
    const seconds = r.int(item.tolerationSeconds, childPath(p, 'tolerationSeconds'));
    if (key) validateLabelName(r, key, childPath(p, 'key'));
    if (!key && operator !== 'Exists') {
      r.add(invalid(childPath(p, 'operator'), operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (seconds !== undefined && effect !== 'NoExecute') r.add(invalid(childPath(p, 'effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    if (operator === 'Equal' || operator === '') {
      const errs = isValidLabelValue(val);
      if (errs.length) r.add(invalid(childPath(p, 'operator'), val, errs.join(';')));
    } else if (operator === 'Exists') {
      if (val) r.add(invalidRaw(childPath(p, 'operator'), renderToleration(item), "value must be empty when `operator` is 'Exists'"));
    } else {
      r.add(notSupported(childPath(p, 'operator'), operator, ['Equal', 'Exists']));
    }
    if (effect && !TAINT_EFFECTS.includes(effect)) r.add(notSupported(childPath(p, 'effect'), effect, TAINT_EFFECTS));
  }
}

function validateDNSConfig(r: Reader, value: unknown, dnsPolicy: string, path: string): void {
  const cfg = r.obj(value, path);
  if (dnsPolicy === 'None') {
    if (!cfg) { r.add(required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')); return; }
    const ns = peek.arr(cfg.nameservers) ?? [];
    if (ns.length === 0) { r.add(required(childPath(path, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')); return; }
  }
  if (!cfg) return;
  const nameservers = r.strList(cfg.nameservers, childPath(path, 'nameservers')) ?? [];
  if (nameservers.length > 3) r.add(invalid(childPath(path, 'nameservers'), nameservers, 'must not have more than 3 nameservers'));
  nameservers.forEach((ns, i) => { for (const m of isValidIP(ns)) r.add(invalid(indexPath(childPath(path, 'nameservers'), i), ns, m)); });
  const searches = r.strList(cfg.searches, childPath(path, 'searches')) ?? [];
  if (searches.length > 32) r.add(invalid(childPath(path, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) r.add(invalid(childPath(path, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => dns1123Subdomain(r, s.endsWith('.') ? s.slice(0, -1) : s, indexPath(childPath(path, 'searches'), i)));
  for (const { item, path: p } of r.objList(cfg.options, childPath(path, 'options'))) {
    if (!(r.str(item.name, childPath(p, 'name')) ?? '')) r.add(required(p, 'Option.Name must not be empty'));
  }
}

function validateTopologySpread(r: Reader, value: unknown, path: string): void {
  const seen = new Set<string>();
  for (const { item, path: p } of r.objList(value, path)) {
    const maxSkew = r.int(item.maxSkew, childPath(p, 'maxSkew')) ?? 0;
    if (maxSkew <= 0) r.add(invalid(childPath(p, 'maxSkew'), maxSkew, 'must be greater than zero'));
    const key = r.str(item.topologyKey, childPath(p, 'topologyKey')) ?? '';
    if (!key) r.add(required(childPath(p, 'topologyKey'), 'can not be empty'));
    const when = r.str(item.whenUnsatisfiable, childPath(p, 'whenUnsatisfiable')) ?? '';
    if (when !== 'DoNotSchedule' && when !== 'ScheduleAnyway') r.add(notSupported(childPath(p, 'whenUnsatisfiable'), when, ['DoNotSchedule', 'ScheduleAnyway']));
    const pair = `${key}/${when}`;
    if (seen.has(pair)) r.add(duplicate(p, `{${key}, ${when}}`));
    seen.add(pair);
  }
}

/** ValidatePodSpec. `path` is where the spec sits (`spec`, `spec.template.spec`). */
export function validatePodSpec(r: Reader, specValue: unknown, path: string, opts: PodSpecOptions = {}): void {
  const spec = r.obj(specValue, path) ?? {};
  const volumes = validateVolumes(r, spec.volumes, childPath(path, 'volumes'));
  for (const n of opts.extraVolumeNames ?? []) volumes.add(n);
  const appNames = validateContainers(r, spec.containers, childPath(path, 'containers'), volumes);
  validateInitContainers(r, spec.initContainers, childPath(path, 'initContainers'), volumes, appNames);

  const hostNetwork = r.bool(spec.hostNetwork, childPath(path, 'hostNetwork')) === true;
  r.bool(spec.hostPID, childPath(path, 'hostPID'));
  r.bool(spec.hostIPC, childPath(path, 'hostIPC'));
  if (hostNetwork) {
    peek.objs(spec.containers).forEach((c, ci) => {
      peek.objs(c.ports).forEach((port, pi) => {
        const hp = peek.int(port.hostPort) ?? 0;
        const cp = peek.int(port.containerPort) ?? 0;
        if (hp !== 0 && hp !== cp) {
          r.add(invalid(childPath(indexPath(childPath(indexPath(childPath(path, 'containers'), ci), 'ports'), pi), 'containerPort'), cp, 'must match `hostPort` when `hostNetwork` is true'));
        }
      });
    });
  }

  const restartPolicy = r.str(spec.restartPolicy, childPath(path, 'restartPolicy'));
  if (restartPolicy !== undefined && restartPolicy !== '' && !RESTART_POLICIES.includes(restartPolicy)) {
    r.add(notSupported(childPath(path, 'restartPolicy'), restartPolicy, RESTART_POLICIES));
  }
  const dnsPolicy = r.str(spec.dnsPolicy, childPath(path, 'dnsPolicy'));
  if (dnsPolicy !== undefined && dnsPolicy !== '' && !DNS_POLICIES.includes(dnsPolicy)) {
    r.add(notSupported(childPath(path, 'dnsPolicy'), dnsPolicy, DNS_POLICIES));
  }
  validateLabels(r, spec.nodeSelector, childPath(path, 'nodeSelector'));

  const sc = r.obj(spec.securityContext, childPath(path, 'securityContext'));
  if (sc) {
    validateIds(r, sc, childPath(path, 'securityContext'), ['runAsUser', 'runAsGroup', 'fsGroup']);
    (r.arr(sc.supplementalGroups, childPath(path, 'securityContext', 'supplementalGroups')) ?? []).forEach((g, i) => {
      const gp = indexPath(childPath(path, 'securityContext', 'supplementalGroups'), i);
      const id = r.int(g, gp);
      if (id !== undefined && (id < 0 || id > MAX_INT32)) r.add(invalid(gp, id, inclusiveRangeError(0, MAX_INT32)));
    });
  }
  for (const { item, path: p } of r.objList(spec.imagePullSecrets, childPath(path, 'imagePullSecrets'))) r.str(item.name, childPath(p, 'name'));
  r.obj(spec.affinity, childPath(path, 'affinity'));
  validateDNSConfig(r, spec.dnsConfig, dnsPolicy ?? '', childPath(path, 'dnsConfig'));
  validateTopologySpread(r, spec.topologySpreadConstraints, childPath(path, 'topologySpreadConstraints'));

  const sa = r.str(spec.serviceAccountName, childPath(path, 'serviceAccountName')) ?? '';
  if (sa) dns1123Subdomain(r, sa, childPath(path, 'serviceAccountName'));
  r.str(spec.serviceAccount, childPath(path, 'serviceAccount'));
  const nodeName = r.str(spec.nodeName, childPath(path, 'nodeName')) ?? '';
  if (nodeName) dns1123Subdomain(r, nodeName, childPath(path, 'nodeName'));
  const deadline = r.int(spec.activeDeadlineSeconds, childPath(path, 'activeDeadlineSeconds'));
  if (deadline !== undefined && (deadline < 1 || deadline > MAX_INT32)) r.add(invalid(childPath(path, 'activeDeadlineSeconds'), deadline, inclusiveRangeError(1, MAX_INT32)));
  r.int(spec.terminationGracePeriodSeconds, childPath(path, 'terminationGracePeriodSeconds'));
  const hostname = r.str(spec.hostname, childPath(path, 'hostname')) ?? '';
  if (hostname) dns1123Label(r, hostname, childPath(path, 'hostname'));
  const subdomain = r.str(spec.subdomain, childPath(path, 'subdomain')) ?? '';
  if (subdomain) dns1123Label(r, subdomain, childPath(path, 'subdomain'));
  validateTolerations(r, spec.tolerations, childPath(path, 'tolerations'));
  for (const { item, path: p } of r.objList(spec.hostAliases, childPath(path, 'hostAliases'))) {
    const ip = r.str(item.ip, childPath(p, 'ip')) ?? '';
    for (const m of isValidIP(ip)) r.add(invalid(childPath(p, 'ip'), ip, m));
    (r.strList(item.hostnames, childPath(p, 'hostnames')) ?? []).forEach((h, i) => dns1123Subdomain(r, h, indexPath(childPath(p, 'hostnames'), i)));
  }
  const priorityClassName = r.str(spec.priorityClassName, childPath(path, 'priorityClassName')) ?? '';
  if (priorityClassName) dns1123Subdomain(r, priorityClassName, childPath(path, 'priorityClassName'));
  r.int(spec.priority, childPath(path, 'priority'));
  const preemption = r.str(spec.preemptionPolicy, childPath(path, 'preemptionPolicy'));
  if (preemption !== undefined && preemption !== 'PreemptLowerPriority' && preemption !== 'Never') {
    r.add(notSupported(childPath(path, 'preemptionPolicy'), preemption, ['Never', 'PreemptLowerPriority']));
  }
  r.bool(spec.enableServiceLinks, childPath(path, 'enableServiceLinks'));
  r.bool(spec.automountServiceAccountToken, childPath(path, 'automountServiceAccountToken'));
  r.str(spec.schedulerName, childPath(path, 'schedulerName'));
}

/** ValidatePodTemplateSpec. Note Kubernetes reports template labels at `<path>.labels`. */
export function validatePodTemplateSpec(r: Reader, templateValue: unknown, path: string, opts: PodSpecOptions = {}): void {
  const template = r.obj(templateValue, path);
  if (!template) {
    if (templateValue === undefined || templateValue === null) validatePodSpec(r, undefined, childPath(path, 'spec'), opts);
    return;
  }
  const meta = r.obj(template.metadata, childPath(path, 'metadata')) ?? {};
  validateLabels(r, meta.labels, childPath(path, 'labels'));
  validateAnnotations(r, meta.annotations, childPath(path, 'annotations'));
  validatePodSpec(r, template.spec, childPath(path, 'spec'), opts);
  const spec = peek.obj(template.spec) ?? {};
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    r.add(forbidden(childPath(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
}

/** The labels and a few spec fields of a template, read without reporting (they are validated above). */
export function templateFacts(templateValue: unknown): { labels: Record<string, string> | undefined; labelsRaw: unknown; restartPolicy: string; activeDeadlineSeconds: number | undefined } {
  const template = peek.obj(templateValue) ?? {};
  const meta = peek.obj(template.metadata) ?? {};
  const spec = peek.obj(template.spec) ?? {};
  return {
    labels: peek.strMap(meta.labels),
    labelsRaw: meta.labels,
    restartPolicy: peek.str(spec.restartPolicy) || 'Always',
    activeDeadlineSeconds: peek.int(spec.activeDeadlineSeconds),
  };
}

export type { FieldError };
