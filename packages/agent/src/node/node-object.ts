import type { Node, NodeCondition } from 'kubernetes-types/core/v1';
import type { HostFacts } from './host-facts';

export const KUBELET_VERSION = 'v1.32.0-skiff';
export const MAX_PODS = 110;
export const KUBELET_PORT = 10250;

export interface NodeHealth {
  /** The container runtime answers. */
  runtimeUp: boolean;
  runtimeError?: string;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const kib = (bytes: number): string => `${Math.floor(bytes / 1024)}Ki`;

/**
 * The Node this agent registers: labels, capacity, allocatable, addresses,
 * node info and the four kubelet conditions. `previous` keeps each
 * condition's lastTransitionTime while its status stays the same.
 */
export function buildNode(
  name: string, nodeIP: string, facts: HostFacts, health: NodeHealth, now: Date, previous: NodeCondition[] = [],
  extraLabels: Record<string, string> = {},
): Node {
  const ts = rfc3339(now);
  const cond = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const prev = previous.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: ts, lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : ts };
  };
  const capacity: Record<string, string> = {
    cpu: String(facts.cpus),
    memory: kib(facts.memoryBytes),
    pods: String(MAX_PODS),
    'ephemeral-storage': kib(facts.ephemeralStorageBytes),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': facts.operatingSystem,
        'kubernetes.io/arch': facts.architecture,
        'beta.kubernetes.io/os': facts.operatingSystem,
        'beta.kubernetes.io/arch': facts.architecture,
        ...extraLabels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        health.runtimeUp
          ? cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status')
          : cond('Ready', 'False', 'KubeletNotReady', `container runtime is down: ${health.runtimeError ?? 'no answer'}`),
      ],
      addresses: [{ type: 'InternalIP', address: nodeIP }, { type: 'Hostname', address: facts.hostname }],
      daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
      nodeInfo: {
        machineID: facts.machineID,
        systemUUID: facts.systemUUID,
        bootID: facts.bootID,
        kernelVersion: facts.kernelVersion,
        osImage: facts.osImage,
        containerRuntimeVersion: facts.containerRuntimeVersion,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: facts.operatingSystem,
        architecture: facts.architecture,
      },
    },
  };
}
