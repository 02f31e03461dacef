import type { Pod } from 'kubernetes-types/core/v1';
import type { PodContainer } from '@skiff/rpc';
import type { PodWorkers } from '../pods/pod-worker';
import { LABEL_POD_UID } from '../runtime/labels';
import type { Runtime, RuntimeObject } from '../runtime/runtime';
import { StreamCallError } from './serve-call';

function label(t: PodContainer): string {
  return `${t.namespace}/${t.pod_name}`;
}

/** The pod this node runs with the target's uid, or NotFound. */
export function podOf(workers: PodWorkers, t: PodContainer | undefined): Pod {
  if (!t?.pod_uid) throw new StreamCallError('BadRequest', 'the request names no pod');
  const pod = workers.pods().find((p) => p.metadata?.uid === t.pod_uid);
  if (!pod) throw new StreamCallError('NotFound', `pod "${label(t)}" (uid ${t.pod_uid}) does not run on this node`);
  return pod;
}

/** The running instance of the target container, or BadRequest as the kubelet words it. */
export async function runningContainer(runtime: Runtime, t: PodContainer): Promise<RuntimeObject> {
  const all = await runtime.list({ labels: { [LABEL_POD_UID]: t.pod_uid } });
  const running = all.find((o) => o.type === 'container' && o.name === t.container && o.state === 'running');
  if (!running) throw new StreamCallError('BadRequest', `container ${t.container} is not running in pod ${label(t)}`);
  return running;
}

/** The address the pod's ports are reached at from this node: its pod IP (the node's for hostNetwork). */
export async function podAddress(workers: PodWorkers, runtime: Runtime, pod: Pod): Promise<string> {
  const uid = pod.metadata?.uid ?? '';
  const fromStatus = workers.status(uid)?.podIP;
  if (fromStatus) return fromStatus;
  const sandbox = (await runtime.list({ labels: { [LABEL_POD_UID]: uid } })).find((o) => o.type === 'sandbox' && o.state === 'running');
  const ip = sandbox?.ips?.[0];
  if (!ip) throw new StreamCallError('BadRequest', `pod ${pod.metadata?.namespace}/${pod.metadata?.name} has no IP address yet`);
  return ip;
}
