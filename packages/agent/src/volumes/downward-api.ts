import type { Container, ObjectFieldSelector, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1';
import { quantityMilliValue, quantityValue } from '../resources/quantity';

/** What the downward API can see beyond the pod object itself. */
export interface DownwardContext {
  podIPs: string[];
  hostIPs: string[];
  nodeName?: string;
  /** Node allocatable, the default for unset limits. */
  nodeAllocatable?: { cpu?: string; memory?: string; 'ephemeral-storage'?: string };
}

export class DownwardAPIError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownwardAPIError';
  }
}

/** fieldpath.FormatMap: sorted `key="value"` lines. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {}).sort().map((k) => `${k}=${JSON.stringify(m![k])}`).join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** The value of a fieldRef, for env (`whole` false) or a downwardAPI volume file (`whole` true). */
export function fieldRefValue(ref: ObjectFieldSelector, pod: Pod, ctx: DownwardContext, whole = false): string {
  const p = ref.fieldPath;
  const sub = SUBSCRIPT.exec(p);
  if (sub) {
    const m = sub[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return m?.[sub[2]!] ?? '';
  }
  switch (p) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'metadata.labels': if (whole) return formatMap(pod.metadata?.labels); break;
    case 'metadata.annotations': if (whole) return formatMap(pod.metadata?.annotations); break;
    case 'spec.nodeName': return pod.spec?.nodeName ?? ctx.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return ctx.podIPs[0] ?? '';
    case 'status.podIPs': return ctx.podIPs.join(',');
    case 'status.hostIP': return ctx.hostIPs[0] ?? '';
    case 'status.hostIPs': return ctx.hostIPs.join(',');
  }
  throw new DownwardAPIError(`unsupported fieldPath: ${p}`);
}

/** A resourceFieldRef's value: rounded up by the divisor, unset limits default to node allocatable. */
export function resourceFieldRefValue(ref: ResourceFieldSelector, container: Container, ctx: DownwardContext): string {
  const divisor = ref.divisor !== undefined && String(ref.divisor) !== '0' ? String(ref.divisor) : '1';
  const [kind, res] = ref.resource.split('.', 2) as [string, string];
  const list = kind === 'limits' ? container.resources?.limits : kind === 'requests' ? container.resources?.requests : undefined;
  if (kind !== 'limits' && kind !== 'requests') throw new DownwardAPIError(`unsupported container resource: ${ref.resource}`);
  let q: string | undefined = list?.[res] !== undefined ? String(list[res]) : undefined;
  if (q === undefined && kind === 'limits') q = ctx.nodeAllocatable?.[res as 'cpu' | 'memory' | 'ephemeral-storage'];
  if (kind === 'requests' && q === undefined && container.resources?.limits?.[res] !== undefined) q = String(container.resources.limits[res]);
  q ??= '0';
  if (res === 'cpu') return String(Math.ceil(quantityMilliValue(q) / quantityMilliValue(divisor)));
  if (res === 'memory' || res === 'ephemeral-storage' || res.startsWith('hugepages-')) return String(Math.ceil(quantityValue(q) / quantityValue(divisor)));
  throw new DownwardAPIError(`unsupported container resource: ${ref.resource}`);
}
