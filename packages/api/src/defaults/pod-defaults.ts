/**
 * Pod and pod template defaults: SetDefaults_PodSpec, _Container, _Probe, _Volume and
 * friends, plus, for Pods only, what Kubernetes' admission adds on create (service
 * account, priority, default NoExecute tolerations).
 */
import { isPlainObject } from '../object';
import { child, defaultNumber, defaultString, defaultValue, ensureChild, items, type JsonObject } from './fields';
import { defaultPersistentVolumeClaimSpec } from './storage-defaults';

export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_FILE_MODE = 0o644; // 420
export const DEFAULT_TOLERATION_SECONDS = 300;

const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

/** The tag Kubernetes reads from an image reference: `latest` when neither tag nor digest is given. */
export function imageTag(image: string): string {
  if (image.length === 0 || image !== image.trim()) return '';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const repository = colon > slash ? name.slice(0, colon) : name;
  // A reference Kubernetes cannot parse (upper case in the path) has no tag.
  if (/[A-Z]/.test(repository.slice(repository.indexOf('/') + 1))) return '';
  const tag = colon > slash ? name.slice(colon + 1) : '';
  return tag === '' && at < 0 ? 'latest' : tag;
}

function defaultHandler(h: JsonObject | undefined): void {
  if (!h) return;
  const http = child(h, 'httpGet');
  if (http) {
    defaultString(http, 'path', '/');
    defaultString(http, 'scheme', 'HTTP');
  }
  const grpc = child(h, 'grpc');
  if (grpc) defaultValue(grpc, 'service', '');
}

function defaultProbe(p: JsonObject | undefined): void {
  if (!p) return;
  defaultNumber(p, 'timeoutSeconds', 1);
  defaultNumber(p, 'periodSeconds', 10);
  defaultNumber(p, 'successThreshold', 1);
  defaultNumber(p, 'failureThreshold', 3);
  defaultHandler(p);
}

function defaultEnv(c: JsonObject): void {
  for (const e of items(c, 'env')) {
    const from = child(e, 'valueFrom');
    if (!from) continue;
    const fieldRef = child(from, 'fieldRef');
    if (fieldRef) defaultString(fieldRef, 'apiVersion', 'v1');
    const resourceFieldRef = child(from, 'resourceFieldRef');
    if (resourceFieldRef) defaultValue(resourceFieldRef, 'divisor', '0');
  }
}

/** SetDefaults_Container (and what a container's sub-structures get). */
export function defaultContainer(c: JsonObject): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === '') {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  defaultString(c, 'terminationMessagePath', '/dev/termination-log');
  defaultString(c, 'terminationMessagePolicy', 'File');
  ensureChild(c, 'resources');
  for (const p of items(c, 'ports')) defaultString(p, 'protocol', 'TCP');
  defaultEnv(c);
  defaultProbe(child(c, 'livenessProbe'));
  defaultProbe(child(c, 'readinessProbe'));
  defaultProbe(child(c, 'startupProbe'));
  const lifecycle = child(c, 'lifecycle');
  if (lifecycle) {
    defaultHandler(child(lifecycle, 'postStart'));
    defaultHandler(child(lifecycle, 'preStop'));
  }
}

function defaultDownwardAPIItems(o: JsonObject): void {
  for (const it of items(o, 'items')) {
    const fieldRef = child(it, 'fieldRef');
    if (fieldRef) defaultString(fieldRef, 'apiVersion', 'v1');
    const resourceFieldRef = child(it, 'resourceFieldRef');
    if (resourceFieldRef) defaultValue(resourceFieldRef, 'divisor', '0');
  }
}

/** SetDefaults_Volume and the per-source defaults. */
export function defaultVolume(v: JsonObject): void {
  const sources = Object.keys(v).filter((k) => k !== 'name' && v[k] !== undefined && v[k] !== null);
  if (sources.length === 0) v.emptyDir = {};
  const secret = child(v, 'secret');
  if (secret) defaultValue(secret, 'defaultMode', DEFAULT_FILE_MODE);
  const configMap = child(v, 'configMap');
  if (configMap) defaultValue(configMap, 'defaultMode', DEFAULT_FILE_MODE);
  const downwardAPI = child(v, 'downwardAPI');
  if (downwardAPI) {
    defaultValue(downwardAPI, 'defaultMode', DEFAULT_FILE_MODE);
    defaultDownwardAPIItems(downwardAPI);
  }
  const projected = child(v, 'projected');
  if (projected) {
    defaultValue(projected, 'defaultMode', DEFAULT_FILE_MODE);
    for (const src of items(projected, 'sources')) {
      const d = child(src, 'downwardAPI');
      if (d) defaultDownwardAPIItems(d);
      const token = child(src, 'serviceAccountToken');
      if (token) defaultValue(token, 'expirationSeconds', 3600);
    }
  }
  const hostPath = child(v, 'hostPath');
  if (hostPath) defaultValue(hostPath, 'type', '');
  const ephemeral = child(v, 'ephemeral');
  const claimSpec = ephemeral && child(ephemeral, 'volumeClaimTemplate');
  if (claimSpec) {
    const spec = child(claimSpec, 'spec');
    if (spec) defaultPersistentVolumeClaimSpec(spec);
  }
}

/** SetDefaults_PodSpec and everything under it; shared by Pods and pod templates. */
export function defaultPodSpec(spec: JsonObject): void {
  defaultString(spec, 'dnsPolicy', 'ClusterFirst');
  defaultString(spec, 'restartPolicy', 'Always');
  ensureChild(spec, 'securityContext');
  defaultValue(spec, 'terminationGracePeriodSeconds', DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  defaultString(spec, 'schedulerName', DEFAULT_SCHEDULER_NAME);
  for (const c of items(spec, 'initContainers')) defaultContainer(c);
  for (const c of items(spec, 'containers')) defaultContainer(c);
  for (const c of items(spec, 'ephemeralContainers')) defaultContainer(c);
  for (const v of items(spec, 'volumes')) defaultVolume(v);
}

/** The template under a workload's spec (`spec.template.spec`), if it is an object. */
export function defaultPodTemplate(template: JsonObject | undefined): void {
  if (!template) return;
  const spec = child(template, 'spec');
  if (spec) defaultPodSpec(spec);
}

function copyLimitsToRequests(c: JsonObject): void {
  const resources = child(c, 'resources');
  const limits = resources && child(resources, 'limits');
  if (!resources || !limits) return;
  const requests = ensureChild(resources, 'requests');
  if (!requests) return;
  for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
}

function hasNoExecuteToleration(tolerations: JsonObject[], key: string): boolean {
  return tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
}

/** SetDefaults_Pod, plus what admission adds to a new Pod. */
export function defaultPod(pod: JsonObject): void {
  const spec = ensureChild(pod, 'spec');
  if (!spec) return;
  defaultPodSpec(spec);
  for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) copyLimitsToRequests(c);
  defaultValue(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) {
      for (const p of items(c, 'ports')) if (p.hostPort === undefined || p.hostPort === null || p.hostPort === 0) p.hostPort = p.containerPort;
    }
  }
  // ServiceAccount admission.
  if (typeof spec.serviceAccountName !== 'string' || spec.serviceAccountName === '') {
    spec.serviceAccountName = typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '' ? spec.serviceAccount : 'default';
  }
  defaultString(spec, 'serviceAccount', spec.serviceAccountName as string);
  // Priority admission: no class means priority 0; the two system classes are built in.
  if (spec.priority === undefined || spec.priority === null) {
    const cls = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
    const value = cls === '' ? 0 : SYSTEM_PRIORITY_CLASSES[cls];
    if (value !== undefined) spec.priority = value;
  }
  defaultString(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  // DefaultTolerationSeconds admission.
  if (spec.tolerations === undefined || spec.tolerations === null) spec.tolerations = [];
  if (Array.isArray(spec.tolerations)) {
    const tolerations = spec.tolerations.filter(isPlainObject);
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      if (!hasNoExecuteToleration(tolerations, key)) {
        spec.tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
      }
    }
  }
}
