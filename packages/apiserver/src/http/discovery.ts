import { RESOURCES, SERVED_BY_CONVERSION, ResourceInfo, groupVersions } from '@skiff/api';

/** Resources served by handlers rather than stored: reviews that answer questions about the caller. */
export const VIRTUAL_RESOURCES: ResourceInfo[] = [
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', namespaced: false, shortNames: [], categories: [], verbs: ['create'], subresources: [] },
  { group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', namespaced: false, shortNames: [], categories: [], verbs: ['create'], subresources: [] },
  { group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', singular: 'selfsubjectreview', namespaced: false, shortNames: [], categories: [], verbs: ['create'], subresources: [] },
];

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function all(): ResourceInfo[] {
  return [...RESOURCES, ...SERVED_BY_CONVERSION, ...VIRTUAL_RESOURCES];
}

function allGroupVersions(): { group: string; version: string }[] {
  const out = groupVersions();
  for (const v of VIRTUAL_RESOURCES) {
    if (!out.some((g) => g.group === v.group && g.version === v.version)) out.push({ group: v.group, version: v.version });
  }
  return out;
}

export function wantsAggregated(accept: string | undefined): boolean {
  return !!accept && accept.includes('as=APIGroupDiscoveryList');
}

function aggregatedResource(r: ResourceInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames.length) out.shortNames = r.shortNames;
  if (r.categories.length) out.categories = r.categories;
  if (r.subresources.length) {
    out.subresources = r.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return out;
}

function groupsOf(core: boolean, extraGroups: ExtraGroup[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const gv of allGroupVersions()) {
    if ((gv.group === '') !== core) continue;
    const vs = groups.get(gv.group) ?? [];
    vs.push(gv.version);
    groups.set(gv.group, vs);
  }
  if (!core) for (const g of extraGroups) groups.set(g.group, [g.version]);
  return groups;
}

/** Groups served by other handlers (metrics.k8s.io), listed in discovery. */
export interface ExtraGroup {
  group: string;
  version: string;
  resources: ResourceInfo[];
}

function resourcesOf(group: string, version: string, extra: ExtraGroup[]): ResourceInfo[] {
  const e = extra.find((g) => g.group === group && g.version === version);
  if (e) return e.resources;
  return all().filter((r) => r.group === group && r.version === version);
}

/** `/api` or `/apis` in the aggregated (v2) form. */
export function aggregatedDiscovery(core: boolean, extra: ExtraGroup[] = []): Record<string, unknown> {
  const items = [...groupsOf(core, extra)].map(([group, versions]) => ({
    metadata: { name: group, creationTimestamp: null },
    versions: versions.map((version) => ({
      version,
      resources: resourcesOf(group, version, extra).map(aggregatedResource),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

export function legacyApiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function legacyApiGroupList(extra: ExtraGroup[] = []): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groupsOf(false, extra)].map(([g, vs]) => apiGroup(g, vs)) };
}

export function legacyApiGroup(group: string, extra: ExtraGroup[] = []): Record<string, unknown> | undefined {
  const vs = groupsOf(false, extra).get(group);
  return vs ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, vs) } : undefined;
}

/** `/api/v1` or `/apis/<g>/<v>`: an APIResourceList with subresources as their own entries. */
export function apiResourceList(group: string, version: string, extra: ExtraGroup[] = []): Record<string, unknown> | undefined {
  const rs = resourcesOf(group, version, extra);
  if (!rs.length) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of rs) {
    const entry: Record<string, unknown> = {
      name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs,
    };
    if (r.shortNames.length) entry.shortNames = r.shortNames;
    if (r.categories.length) entry.categories = r.categories;
    resources.push(entry);
    for (const s of r.subresources) {
      const sub: Record<string, unknown> = { name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs };
      if (s.group !== r.group || s.version !== r.version) { sub.group = s.group; sub.version = s.version; }
      resources.push(sub);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}
