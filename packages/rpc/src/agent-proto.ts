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
  object?: 'pod_json' | 'configmap_json' | 'secret_json';
  pod_json?: Buffer;
  configmap_json?: Buffer;
  secret_json?: Buffer;
}
export interface PodStatusReport { namespace: string; name: string; uid: string; status_json: Buffer }
export interface PodStatusResponse { pod_gone: boolean; deleted: boolean }
export interface EventRecord { event_json: Buffer }
export type EventResponse = Record<string, never>;

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
