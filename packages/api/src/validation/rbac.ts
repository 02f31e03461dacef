/** rbac.authorization.k8s.io/v1 validation: Role, ClusterRole, RoleBinding, ClusterRoleBinding. */
import type { JsonObject } from '../object';
import { childPath, invalid, invalidRaw, notSupported, required } from './field-errors';
import { goQuote, goStringSlice } from './go-format';
import { isDNS1123Subdomain, nameIsPathSegment } from './name-rules';
import { selectorError, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { peek, type Reader } from './typed-read';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validatePolicyRule(r: Reader, rule: JsonObject, namespaced: boolean, path: string): void {
  const verbs = r.strList(rule.verbs, childPath(path, 'verbs')) ?? [];
  const apiGroups = r.strList(rule.apiGroups, childPath(path, 'apiGroups')) ?? [];
  const resources = r.strList(rule.resources, childPath(path, 'resources')) ?? [];
  const resourceNames = r.strList(rule.resourceNames, childPath(path, 'resourceNames')) ?? [];
  const urls = r.strList(rule.nonResourceURLs, childPath(path, 'nonResourceURLs')) ?? [];
  if (verbs.length === 0) r.add(required(childPath(path, 'verbs'), 'verbs must contain at least one value'));
  if (urls.length > 0) {
    if (namespaced) r.add(invalidRaw(childPath(path, 'nonResourceURLs'), goStringSlice(urls), 'namespaced rules cannot apply to non-resource URLs'));
    if (apiGroups.length > 0 || resources.length > 0 || resourceNames.length > 0) {
      r.add(invalidRaw(childPath(path, 'nonResourceURLs'), goStringSlice(urls), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return;
  }
  if (apiGroups.length === 0) r.add(required(childPath(path, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (resources.length === 0) r.add(required(childPath(path, 'resources'), 'resource rules must supply at least one resource'));
}

export function validateRole(r: Reader, role: JsonObject, namespaced: boolean): void {
  validateObjectMeta(r, role.metadata, 'metadata', nameIsPathSegment);
  for (const { item, path } of r.objList(role.rules, 'rules')) validatePolicyRule(r, item, namespaced, path);
  if (!namespaced) {
    const agg = r.obj(role.aggregationRule, 'aggregationRule');
    if (agg) {
      const selectors = r.objList(agg.clusterRoleSelectors, 'aggregationRule.clusterRoleSelectors');
      if (selectors.length === 0) r.add(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
      for (const { item, path } of selectors) {
        const check = validateLabelSelector(r, item, path);
        if (!check.matcher) r.add(selectorError(path, item, 'invalid label selector.'));
      }
    }
  }
}

function validateSubject(r: Reader, s: JsonObject, namespaced: boolean, path: string): void {
  const name = r.str(s.name, childPath(path, 'name')) ?? '';
  const kind = r.str(s.kind, childPath(path, 'kind')) ?? '';
  const apiGroup = r.str(s.apiGroup, childPath(path, 'apiGroup')) ?? '';
  const namespace = r.str(s.namespace, childPath(path, 'namespace')) ?? '';
  if (!name) r.add(required(childPath(path, 'name')));
  switch (kind) {
    case 'ServiceAccount':
      if (name) for (const m of isDNS1123Subdomain(name)) r.add(invalid(childPath(path, 'name'), name, m));
      if (apiGroup) r.add(notSupported(childPath(path, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && !namespace) r.add(required(childPath(path, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) r.add(notSupported(childPath(path, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      r.add(notSupported(childPath(path, 'kind'), kind, ['ServiceAccount', 'User', 'Group']));
  }
}

export function validateRoleBinding(r: Reader, rb: JsonObject, namespaced: boolean): void {
  validateObjectMeta(r, rb.metadata, 'metadata', nameIsPathSegment);
  const ref = r.obj(rb.roleRef, 'roleRef') ?? {};
  const apiGroup = r.str(ref.apiGroup, 'roleRef.apiGroup') ?? '';
  const kind = r.str(ref.kind, 'roleRef.kind') ?? '';
  const name = r.str(ref.name, 'roleRef.name') ?? '';
  if (apiGroup !== RBAC_GROUP) r.add(notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(kind)) r.add(notSupported('roleRef.kind', kind, kinds));
  if (!name) r.add(required('roleRef.name'));
  else for (const m of nameIsPathSegment(name, false)) r.add(invalid('roleRef.name', name, m));
  for (const { item, path } of r.objList(rb.subjects, 'subjects')) validateSubject(r, item, namespaced, path);
}

function renderRoleRef(ref: unknown): string {
  const o = peek.obj(ref) ?? {};
  return `rbac.RoleRef{APIGroup:${goQuote(peek.str(o.apiGroup) ?? '')}, Kind:${goQuote(peek.str(o.kind) ?? '')}, Name:${goQuote(peek.str(o.name) ?? '')}}`;
}

export function validateRoleUpdate(r: Reader, role: JsonObject, old: JsonObject, namespaced: boolean): void {
  validateObjectMetaUpdate(r, role.metadata, old.metadata, 'metadata');
  validateRole(r, role, namespaced);
}

export function validateRoleBindingUpdate(r: Reader, rb: JsonObject, old: JsonObject, namespaced: boolean): void {
  validateObjectMetaUpdate(r, rb.metadata, old.metadata, 'metadata');
  validateRoleBinding(r, rb, namespaced);
  const a = peek.obj(rb.roleRef) ?? {};
  const b = peek.obj(old.roleRef) ?? {};
  if (a.apiGroup !== b.apiGroup || a.kind !== b.kind || a.name !== b.name) r.add(invalidRaw('roleRef', renderRoleRef(rb.roleRef), 'cannot change roleRef'));
}
