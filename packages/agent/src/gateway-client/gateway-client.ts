import * as grpc from '@grpc/grpc-js';
import type { Event, Node, Pod, PodStatus } from 'kubernetes-types/core/v1';
import { agentGatewayClientClass, type Assignment, type ClusterInfo, type JoinResponse, type PodStatusResponse } from './agent-proto';

/** A failed gateway call, with the gRPC code and the gateway's own message. */
export class GatewayCallError extends Error {
  override readonly name = 'GatewayCallError';
  constructor(readonly method: string, readonly code: grpc.status, readonly details: string) {
    super(`${method}: ${details || grpc.status[code]}`);
  }
}

export interface NodeCredentials {
  ca: string;
  cert: string;
  key: string;
}

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;
type RawClient = grpc.Client & Record<string, (req: unknown, opts: grpc.CallOptions, cb: Callback<unknown>) => grpc.ClientUnaryCall>;

const CALL_TIMEOUT_MS = 15_000;
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 15_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 10_000,
};

function unary<T>(client: RawClient, method: string, req: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    client[method]!.call(client, req, { deadline: Date.now() + timeoutMs }, (err, res) => {
      if (err) reject(new GatewayCallError(method, err.code, err.details));
      else resolve(res as T);
    });
  });
}

/**
 * Before the agent has a CA: asks the gateway for its CA over TLS without
 * verifying the server. The caller must check the answer against the pinned
 * CA hash before trusting it.
 */
export async function fetchClusterInfoUnverified(address: string): Promise<ClusterInfo> {
  const Client = agentGatewayClientClass();
  const client = new Client(address, grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false, checkServerIdentity: () => undefined }), CHANNEL_OPTIONS) as RawClient;
  try {
    return await unary<ClusterInfo>(client, 'GetClusterInfo', {});
  } finally {
    client.close();
  }
}

/** Join over TLS verified with the (pinned) CA; the bootstrap token authenticates. */
export async function joinCluster(address: string, ca: string, req: { token: string; nodeName: string; publicKeyPem: string }): Promise<JoinResponse> {
  const Client = agentGatewayClientClass();
  const client = new Client(address, grpc.credentials.createSsl(Buffer.from(ca)), CHANNEL_OPTIONS) as RawClient;
  try {
    return await unary<JoinResponse>(client, 'Join', { token: req.token, node_name: req.nodeName, csr_public_key_pem: req.publicKeyPem });
  } finally {
    client.close();
  }
}

export interface AssignmentWatch {
  close(): void;
}

/**
 * The client adapter: the AgentGateway calls a joined node makes, over mTLS
 * with its node certificate, with Kubernetes objects as typed values.
 */
export class GatewayClient {
  private readonly client: RawClient;

  constructor(readonly address: string, creds: NodeCredentials) {
    const Client = agentGatewayClientClass();
    const channelCreds = grpc.credentials.createSsl(Buffer.from(creds.ca), Buffer.from(creds.key), Buffer.from(creds.cert));
    this.client = new Client(address, channelCreds, CHANNEL_OPTIONS) as RawClient;
  }

  async registerNode(node: Node): Promise<Node> {
    const res = await unary<{ node_json: Buffer }>(this.client, 'RegisterNode', { node_json: Buffer.from(JSON.stringify(node)) });
    return JSON.parse(res.node_json.toString('utf8')) as Node;
  }

  async renewLease(durationSeconds: number): Promise<string> {
    return (await unary<{ renew_time: string }>(this.client, 'RenewLease', { lease_duration_seconds: durationSeconds })).renew_time;
  }

  reportPodStatus(pod: Pod, status: PodStatus): Promise<PodStatusResponse> {
    return unary<PodStatusResponse>(this.client, 'ReportPodStatus', {
      namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '',
      status_json: Buffer.from(JSON.stringify(status)),
    });
  }

  async recordEvent(event: Event): Promise<void> {
    await unary<unknown>(this.client, 'RecordEvent', { event_json: Buffer.from(JSON.stringify(event)) });
  }

  /** Opens the assignment stream; `onEnd` is called once, with the error if it failed. */
  watchAssignments(onAssignment: (a: Assignment) => void, onEnd: (err?: Error) => void): AssignmentWatch {
    const stream = (this.client as unknown as { WatchAssignments(req: unknown): grpc.ClientReadableStream<Assignment> }).WatchAssignments({});
    let ended = false;
    const end = (err?: Error): void => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    stream.on('data', (a: Assignment) => { if (!ended) onAssignment(a); });
    stream.on('error', (e: grpc.ServiceError) => end(new GatewayCallError('WatchAssignments', e.code, e.details)));
    stream.on('end', () => end(new Error('WatchAssignments: the gateway ended the stream')));
    return { close: () => { end(); stream.cancel(); } };
  }

  close(): void {
    this.client.close();
  }
}
