import { findServedByPlural, ResourceInfo } from '@skiff/api';

/** What a resource URL names, parsed the way the Kubernetes API server parses it. */
export interface RequestInfo {
  group: string;
  version: string;
  resource?: ResourceInfo;
  /** The plural as written in the URL (for errors about unknown resources). */
  resourceName?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * Parses `/api/v1/...` and `/apis/<group>/<version>/...` resource paths. Returns undefined for
 * paths that are not resource paths (discovery and the like are routed before this).
 */
export function parseResourcePath(path: string): RequestInfo | undefined {
  const parts = path.split('/').filter((p) => p !== '').map((p) => decodeURIComponent(p));
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  // /namespaces/<ns>/<resource>... ; but /namespaces/<name>[/status|/finalize] is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && group + version !== '' ) {
    if (!(group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const resourceName = rest[0];
  if (!resourceName) return undefined;
  const info: RequestInfo = { group, version, resourceName, resource: findServedByPlural(group, version, resourceName) };
  if (namespace !== undefined) info.namespace = namespace;
  if (rest[1] !== undefined) info.name = rest[1];
  if (rest[2] !== undefined) info.subresource = rest.slice(2).join('/');
  return info;
}
