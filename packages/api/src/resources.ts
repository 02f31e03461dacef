/**
 * The catalogue of every resource Skiff serves: the single source for discovery,
 * storage keys, URL routing, OpenAPI documents and the CLI's name resolution.
 */
export interface SubresourceInfo {
  name: string;
  kind: string;
  group: string;
  version: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string; // "" for the core group
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceInfo[];
  /** Kubernetes stores events with a TTL; nothing else here does. */
  ttlSeconds?: number;
  /**
   * Set on a version served only by conversion (SERVED_BY_CONVERSION): objects are stored, and
   * seen by controllers, in this version of the same group; see conversion/version-converters.
   */
  storageVersion?: string;
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS = (group: string, version: string, kind: string): SubresourceInfo => ({
  name: 'status', kind, group, version, verbs: ['get', 'patch', 'update'],
});
const SCALE: SubresourceInfo = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

function r(
  group: string, version: string, kind: string, plural: string, namespaced: boolean,
  opts: { short?: string[]; cat?: string[]; sub?: SubresourceInfo[]; verbs?: string[]; status?: boolean; ttlSeconds?: number } = {},
): ResourceInfo {
  const subresources = [...(opts.status ? [STATUS(group, version, kind)] : []), ...(opts.sub ?? [])];
  const info: ResourceInfo = {
    group, version, kind, plural, singular: kind.toLowerCase(), namespaced,
    shortNames: opts.short ?? [], categories: opts.cat ?? [], verbs: opts.verbs ?? CRUD, subresources,
  };
  if (opts.ttlSeconds !== undefined) info.ttlSeconds = opts.ttlSeconds;
  return info;
}

const podSubs: SubresourceInfo[] = [
  { name: 'binding', kind: 'Binding', group: '', version: 'v1', verbs: ['create'] },
  { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
  { name: 'log', kind: 'Pod', group: '', version: 'v1', verbs: ['get'] },
  { name: 'exec', kind: 'PodExecOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
  { name: 'attach', kind: 'PodAttachOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
  { name: 'portforward', kind: 'PodPortForwardOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
];

export const RESOURCES: readonly ResourceInfo[] = [
  r('', 'v1', 'Namespace', 'namespaces', false, { short: ['ns'], status: true, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  r('', 'v1', 'Pod', 'pods', true, { short: ['po'], cat: ['all'], status: true, sub: podSubs }),
  r('', 'v1', 'Service', 'services', true, { short: ['svc'], cat: ['all'], status: true, verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }),
  r('', 'v1', 'Endpoints', 'endpoints', true, { short: ['ep'] }),
  r('', 'v1', 'ConfigMap', 'configmaps', true, { short: ['cm'] }),
  r('', 'v1', 'Secret', 'secrets', true),
  r('', 'v1', 'Node', 'nodes', false, { short: ['no'], status: true }),
  r('', 'v1', 'Event', 'events', true, { short: ['ev'], ttlSeconds: 3600 }),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { short: ['sa'] }),
  r('', 'v1', 'LimitRange', 'limitranges', true, { short: ['limits'] }),
  r('', 'v1', 'ResourceQuota', 'resourcequotas', true, { short: ['quota'], status: true }),
  r('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { short: ['pv'], status: true }),
  r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { short: ['pvc'], status: true }),
  r('apps', 'v1', 'Deployment', 'deployments', true, { short: ['deploy'], cat: ['all'], status: true, sub: [SCALE] }),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, { short: ['rs'], cat: ['all'], status: true, sub: [SCALE] }),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, { short: ['ds'], cat: ['all'], status: true }),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, { short: ['sts'], cat: ['all'], status: true, sub: [SCALE] }),
  r('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  r('batch', 'v1', 'Job', 'jobs', true, { cat: ['all'], status: true }),
  r('batch', 'v1', 'CronJob', 'cronjobs', true, { short: ['cj'], cat: ['all'], status: true }),
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { short: ['pdb'], status: true }),
  r('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, { short: ['pc'] }),
  r('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, { short: ['hpa'], cat: ['all'], status: true }),
  r('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  r('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
];

/**
 * Versions served beside a resource's storage version, converted at the HTTP layer (as
 * Kubernetes serves autoscaling/v1 HPAs next to v2). Not in RESOURCES: in-process users
 * (controllers, garbage collector) see each resource once, in its storage version.
 */
export const SERVED_BY_CONVERSION: readonly ResourceInfo[] = [
  { ...r('autoscaling', 'v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, { short: ['hpa'], cat: ['all'], status: true }), storageVersion: 'v2' },
];

/** findByPlural, also finding versions served by conversion (the HTTP layer's lookup). */
export function findServedByPlural(group: string, version: string, plural: string): ResourceInfo | undefined {
  return findByPlural(group, version, plural) ?? SERVED_BY_CONVERSION.find((x) => x.group === group && x.version === version && x.plural === plural);
}

export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

export function findByPlural(group: string, version: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((x) => x.group === group && x.version === version && x.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((x) => apiVersionOf(x) === apiVersion && x.kind === kind);
}

/** Resolves what a user types (`po`, `pods`, `pod`, `deploy`, `deployments.apps`) to a resource. */
export function resolveResourceName(name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  const base = dot >= 0 ? lower.slice(0, dot) : lower;
  const group = dot >= 0 ? lower.slice(dot + 1) : undefined;
  return RESOURCES.find((x) =>
    (group === undefined || x.group === group || (group === 'core' && x.group === '')) &&
    (x.plural === base || x.singular === base || x.shortNames.includes(base) || x.kind.toLowerCase() === base));
}

/** The group-versions served, core first, each group's preferred version first. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  // Storage versions first: a group's first version is its preferred one.
  for (const x of [...RESOURCES, ...SERVED_BY_CONVERSION]) {
    const k = `${x.group}/${x.version}`;
    if (!seen.has(k)) { seen.add(k); out.push({ group: x.group, version: x.version }); }
  }
  return out;
}
