import { findByKind, isPlainObject, KObject, StatusError } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** coordination.k8s.io MicroTime: RFC 3339 with microseconds. */
export function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const nodeInfo = () => findByKind('v1', 'Node')!;
const leaseInfo = () => findByKind('coordination.k8s.io/v1', 'Lease')!;
const podInfo = () => findByKind('v1', 'Pod')!;

/**
 * Creates the node's Node object, or updates the labels and annotations the
 * agent owns; the status always goes through the status subresource.
 * Spec fields (taints, unschedulable, podCIDR) belong to the master and users.
 */
/** The cluster's pod range; each node gets one /24 of it. */
export const CLUSTER_POD_CIDR = '10.244.0.0/16';
const POD_CIDR_PREFIX = '/registry/ranges/podcidrs/';

/**
 * Gives the node a /24 from the cluster pod range, recorded in an etcd key created only if
 * absent, so two masters can never hand out the same range. A range the node asks for
 * (spec.podCIDR, e.g. set by the lab) is honoured when free or already the node's.
 */
export async function allocatePodCIDR(registry: Registry, nodeName: string, wanted?: string): Promise<string> {
  const [base] = CLUSTER_POD_CIDR.split('/');
  const [a, b] = base!.split('.');
  const candidates = wanted ? [wanted] : Array.from({ length: 255 }, (_, i) => `${a}.${b}.${i + 1}.0/24`);
  for (const cidr of candidates) {
    const key = POD_CIDR_PREFIX + cidr.replace('/', '_');
    const created = await registry.storage.create(key, nodeName);
    if (created !== undefined) return cidr;
    const holder = await registry.storage.get(key);
    if (holder && holder.value.toString() === nodeName) return cidr;
  }
  throw new StatusError(409, 'Conflict', wanted ? `pod range ${wanted} is already allocated to another node` : `no free /24 left in the pod range ${CLUSTER_POD_CIDR}`);
}

export async function registerNode(registry: Registry, nodeName: string, node: KObject): Promise<KObject> {
  if (node.metadata?.name !== nodeName) {
    throw StatusError.forbidden(`node "${nodeName}" may only register itself`);
  }
  const info = nodeInfo();
  const existing = await registry.tryGet(info, undefined, nodeName);
  if (!existing) {
    try {
      const spec = { ...(isPlainObject(node.spec) ? node.spec : {}) } as { podCIDR?: string; podCIDRs?: string[] };
      const podCIDR = await allocatePodCIDR(registry, nodeName, spec.podCIDR);
      spec.podCIDR = podCIDR;
      spec.podCIDRs = [podCIDR];
      return await registry.create(info, undefined, { metadata: { name: nodeName, labels: node.metadata.labels, annotations: node.metadata.annotations }, spec, status: node.status });
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    }
  } else if (node.metadata.labels || node.metadata.annotations) {
    await registry.patch(info, undefined, nodeName, 'merge', { metadata: { labels: node.metadata.labels ?? {}, annotations: node.metadata.annotations ?? {} } });
  }
  return (await registry.patch(info, undefined, nodeName, 'merge', { status: node.status ?? {} }, { subresource: 'status' })).object;
}

/** Renews (or creates) the node's Lease in kube-node-lease. */
export async function renewNodeLease(registry: Registry, nodeName: string, durationSeconds: number): Promise<string> {
  const info = leaseInfo();
  const now = microTime();
  const spec = { holderIdentity: nodeName, leaseDurationSeconds: durationSeconds > 0 ? durationSeconds : 40, renewTime: now };
  const existing = await registry.tryGet(info, NODE_LEASE_NAMESPACE, nodeName);
  if (existing) {
    await registry.patch(info, NODE_LEASE_NAMESPACE, nodeName, 'merge', { spec });
    return now;
  }
  const node = await registry.tryGet(nodeInfo(), undefined, nodeName);
  const lease: KObject = {
    metadata: {
      name: nodeName, namespace: NODE_LEASE_NAMESPACE,
      ...(node ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid! }] } : {}),
    },
    spec: { ...spec, acquireTime: now },
  };
  try {
    await registry.create(info, NODE_LEASE_NAMESPACE, lease);
  } catch (e) {
    if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    await registry.patch(info, NODE_LEASE_NAMESPACE, nodeName, 'merge', { spec });
  }
  return now;
}

type ContainerStatus = { state?: { running?: unknown } };

/** Nothing of the pod runs any more (every container status is waiting or terminated). */
export function containersStopped(status: unknown): boolean {
  if (!isPlainObject(status)) return false;
  const all = [...(status.initContainerStatuses as ContainerStatus[] | undefined ?? []), ...(status.containerStatuses as ContainerStatus[] | undefined ?? [])];
  return all.every((c) => !c.state?.running);
}

/**
 * Writes the status the agent computed for one of its pods. When the pod is
 * being deleted and nothing of it runs any more, it is removed from the API
 * (gracePeriodSeconds 0, as the kubelet does once the pod is terminated).
 */
export async function writePodStatus(
  registry: Registry, nodeName: string, r: { namespace: string; name: string; uid: string; status: unknown },
): Promise<{ podGone: boolean; deleted: boolean }> {
  const info = podInfo();
  if (!isPlainObject(r.status)) throw StatusError.badRequest('status_json must be a PodStatus object');
  // The common case in one read-modify-write: the JSON patch's tests check the pod is still the
  // same one (uid) and bound to this node in the same compare-and-swap as the status write.
  let pod: KObject | undefined;
  try {
    pod = (await registry.patch(info, r.namespace, r.name, 'json', [
      { op: 'test', path: '/metadata/uid', value: r.uid },
      { op: 'test', path: '/spec/nodeName', value: nodeName },
      { op: 'add', path: '/status', value: r.status },
    ], { subresource: 'status' })).object;
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return { podGone: true, deleted: false };
    // A failed test (422): tell a replaced pod from a foreign one, as below.
    if (!(e instanceof StatusError && e.code === 422)) throw e;
  }
  if (!pod) {
    pod = await registry.tryGet(info, r.namespace, r.name);
    if (!pod || pod.metadata.uid !== r.uid) return { podGone: true, deleted: false };
    if ((pod.spec as { nodeName?: string } | undefined)?.nodeName !== nodeName) {
      throw StatusError.forbidden(`pod ${r.namespace}/${r.name} is not bound to node "${nodeName}"`);
    }
    try {
      await registry.update(info, r.namespace, r.name, { ...pod, metadata: { ...pod.metadata, resourceVersion: undefined }, status: r.status }, { subresource: 'status' });
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return { podGone: true, deleted: false };
      throw e;
    }
  }
  if (pod.metadata.deletionTimestamp && containersStopped(r.status)) {
    try {
      await registry.delete(info, r.namespace, r.name, { gracePeriodSeconds: 0, preconditions: { uid: r.uid } });
      return { podGone: true, deleted: true };
    } catch (e) {
      if (e instanceof StatusError && (e.code === 404 || e.code === 409)) return { podGone: true, deleted: false };
      throw e;
    }
  }
  return { podGone: false, deleted: false };
}
