import type { ResourceInfo } from '@skiff/api';

/** `/registry/<group>/<resource>/<namespace>/<name>`; the core group is written `core`. */
export function resourcePrefix(info: Pick<ResourceInfo, 'group' | 'plural'>, namespace?: string): string {
  const base = `/registry/${info.group || 'core'}/${info.plural}/`;
  return namespace ? `${base}${namespace}/` : base;
}

export function objectKey(info: Pick<ResourceInfo, 'group' | 'plural' | 'namespaced'>, namespace: string | undefined, name: string): string {
  return info.namespaced ? `${resourcePrefix(info, namespace)}${name}` : `${resourcePrefix(info)}${name}`;
}

/** Splits a stored key back into namespace and name. */
export function parseKey(info: Pick<ResourceInfo, 'group' | 'plural' | 'namespaced'>, key: string): { namespace?: string; name: string } {
  const rest = key.slice(resourcePrefix(info).length);
  if (!info.namespaced) return { name: rest };
  const slash = rest.indexOf('/');
  return { namespace: rest.slice(0, slash), name: rest.slice(slash + 1) };
}
