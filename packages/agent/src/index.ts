/**
 * @skiff/agent: the node agent's pod machinery. The gRPC link to the master
 * drives PodWorkers (updatePod / killPod / removePod, logs, exec) and forwards
 * what comes out of onStatus and the EventRecorder.
 */
export * from './events';
export * from './logger';
export * from './runtime/runtime';
export * from './runtime/labels';
export { DockerRuntime, type DockerRuntimeOptions, normaliseRef, tmpfsVolumeName } from './runtime/docker-runtime';
export { FakeRuntime } from './runtime/fake-runtime';
export { renderHostsFile } from './runtime/hosts-file';
export * from './resources/quantity';
export * from './resources/qos';
export * from './resources/cgroup-limits';
export * from './pods/observed-pod';
export * from './pods/backoff';
export * from './pods/compute-pod-actions';
export * from './pods/compute-pod-status';
export * from './pods/pod-worker';
export * from './pods/resolv-conf';
export * from './pods/pull-secrets';
export * from './probes/probe-types';
export * from './probes/probe-state';
export { ProbeManager, type ProbeManagerOptions } from './probes/probe-manager';
export { runProbe, ProbeError, type ProbeRunner, type ProbeOutcome, type ProbeTarget } from './probes/probe-runner';
export * from './volumes/object-resolver';
export * from './volumes/env';
export * from './volumes/expansion';
export * from './volumes/downward-api';
export { VolumeManager, VolumeSetupError, type PreparedVolume, type VolumeManagerOptions } from './volumes/volume-manager';
export { writeAtomic, type FileProjection } from './volumes/atomic-writer';
export { Agent } from './agent';
export { parseAgentFlags, ConfigError as AgentConfigError, type AgentConfig } from './config';
export { GatewayClient, GatewayCallError, type NodeCredentials } from './gateway-client/gateway-client';
export { ensureNodeCredentials, caPublicKeyHash, JoinError } from './gateway-client/node-credentials';
export { ObjectCache } from './gateway-client/object-cache';
export { buildNode, KUBELET_VERSION } from './node/node-object';
export { collectHostFacts, type HostFacts } from './node/host-facts';
export { sourceAddressFor, splitHostPort } from './node/node-ip';
export { usage as agentUsage } from './config';
export * from './config-file';
export * from './proxy';
