import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * proto/agent/v1/agent.proto (the contract) for both sides. Messages are loaded with
 * keepCase, so fields keep their snake_case names; bytes are Buffers.
 */
export const AGENT_PROTO_RELATIVE = join('proto', 'agent', 'v1', 'agent.proto');

export type AssignmentType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNC';

export interface ClusterInfo { ca_pem: string }
export interface JoinRequest { token: string; node_name: string; csr_public_key_pem: string }
export interface JoinResponse { certificate_pem: string; ca_pem: string }
export interface RegisterNodeRequest { node_json: Buffer }
export interface RegisterNodeResponse { node_json: Buffer }
export interface RenewLeaseRequest { lease_duration_seconds: number }
export interface RenewLeaseResponse { renew_time: string }
export type WatchAssignmentsRequest = Record<string, never>;
export interface Assignment {
  type: AssignmentType;
  object?: 'pod_json' | 'configmap_json' | 'secret_json' | 'service_json' | 'endpoints_json' | 'endpointslice_json' | 'persistentvolumeclaim_json' | 'persistentvolume_json';
  pod_json?: Buffer;
  configmap_json?: Buffer;
  secret_json?: Buffer;
  service_json?: Buffer;
  endpoints_json?: Buffer;
  endpointslice_json?: Buffer;
  persistentvolumeclaim_json?: Buffer;
  persistentvolume_json?: Buffer;
}
export interface PodStatusReport { namespace: string; name: string; uid: string; status_json: Buffer }
export interface PodStatusResponse { pod_gone: boolean; deleted: boolean }
export interface EventRecord { event_json: Buffer }
export type EventResponse = Record<string, never>;

// ---- AgentStreams: master -> agent calls carried over streams the agent opens ----
// int64/uint64 fields arrive as decimal strings (longs: String); numbers are accepted when sending.

export type WatchStreamRequestsRequest = Record<string, never>;
export interface PodContainer { namespace: string; pod_name: string; pod_uid: string; container: string }
export interface LogsRequest {
  target?: PodContainer; follow: boolean; tail_lines: string | number; since_seconds: string | number; since_time: string;
  timestamps: boolean; previous: boolean; limit_bytes: string | number;
}
export interface ExecRequest { target?: PodContainer; command: string[]; attach: boolean; stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }
export interface PortForwardRequest { target?: PodContainer; port: number }
export type StatsRequest = Record<string, never>;
export interface StreamRequest {
  session_id: string;
  call?: 'logs' | 'exec' | 'port_forward' | 'stats';
  logs?: LogsRequest;
  exec?: ExecRequest;
  port_forward?: PortForwardRequest;
  stats?: StatsRequest;
}
export interface StreamFailure { reason: string; message: string; code: number }
export interface ExecExit { exit_code: number }
export interface TerminalSize { width: number; height: number }
export interface ContainerUsage { name: string; cpu_usage_nano_cores: string | number; memory_working_set_bytes: string | number }
export interface PodStats { namespace: string; name: string; uid: string; timestamp: string; window_seconds: number; containers: ContainerUsage[] }
export interface NodeStats { timestamp: string; window_seconds: number; cpu_usage_nano_cores: string | number; memory_working_set_bytes: string | number; pods: PodStats[] }
export interface AgentFrame {
  frame?: 'open' | 'ready' | 'failure' | 'stdout' | 'stderr' | 'exit' | 'stats';
  open?: { session_id: string };
  ready?: Record<string, never>;
  failure?: StreamFailure;
  stdout?: Buffer;
  stderr?: Buffer;
  exit?: ExecExit;
  stats?: NodeStats;
}
export interface MasterFrame {
  frame?: 'stdin' | 'close_stdin' | 'resize';
  stdin?: Buffer;
  close_stdin?: Record<string, never>;
  resize?: TerminalSize;
}

/** Finds the repository's proto/ directory by walking up from this file (src/ or dist/). */
export function findAgentProto(start = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, AGENT_PROTO_RELATIVE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${AGENT_PROTO_RELATIVE} above ${start}`);
  }
}

let cachedClient: grpc.ServiceClientConstructor | undefined;

/** The generated-at-runtime client class of AgentGateway (the agent's adapter), loaded once. */
export function agentGatewayClientClass(): grpc.ServiceClientConstructor {
  if (cachedClient) return cachedClient;
  const def = protoLoader.loadSync(findAgentProto(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { skiff: { agent: { v1: { AgentGateway: grpc.ServiceClientConstructor } } } };
  cachedClient = pkg.skiff.agent.v1.AgentGateway;
  return cachedClient;
}

/** The AgentGateway service definition (the master's server adapter). */
export function agentGatewayService(): grpc.ServiceDefinition {
  return agentGatewayClientClass().service;
}

let cachedStreamsClient: grpc.ServiceClientConstructor | undefined;

/** The client class of AgentStreams (the agent's side: it opens these calls), loaded once. */
export function agentStreamsClientClass(): grpc.ServiceClientConstructor {
  if (cachedStreamsClient) return cachedStreamsClient;
  const def = protoLoader.loadSync(findAgentProto(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { skiff: { agent: { v1: { AgentStreams: grpc.ServiceClientConstructor } } } };
  cachedStreamsClient = pkg.skiff.agent.v1.AgentStreams;
  return cachedStreamsClient;
}

/** The AgentStreams service definition (the master serves it on the gateway's port). */
export function agentStreamsService(): grpc.ServiceDefinition {
  return agentStreamsClientClass().service;
}
