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

/** Splits `host:port[,host:port...]` (the masters' gateways) into addresses. */
export function gatewayAddresses(list: string | readonly string[]): string[] {
  const all = (typeof list === 'string' ? list.split(',') : [...list]).map((a) => a.trim()).filter(Boolean);
  return [...new Set(all)];
}

/** Errors that mean "this master is not answering": the next call goes to another one. */
function masterUnreachable(code: grpc.status): boolean {
  return code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED;
}

/**
 * The client adapter: the AgentGateway calls a joined node makes, over mTLS
 * with its node certificate, with Kubernetes objects as typed values.
 *
 * It knows every master's gateway (they share the cluster CA, so the node
 * certificate is valid for all of them) and talks to one at a time; when a
 * call or the assignment stream fails because that master is unreachable,
 * the following calls go to the next master in the list (round robin). The
 * back-off between attempts is the caller's (the agent's connect loop).
 */
export class GatewayClient {
  private client: RawClient;
  private index = 0;
  /** Bumped on every switch, so that several calls failing on the same master switch only once. */
  private generation = 0;
  private channelCreds: grpc.ChannelCredentials;
  readonly addresses: string[];
  private readonly listeners: ((address: string) => void)[] = [];

  constructor(addresses: string | readonly string[], creds: NodeCredentials) {
    this.addresses = gatewayAddresses(addresses);
    if (!this.addresses.length) throw new Error('GatewayClient: no gateway address');
    this.channelCreds = grpc.credentials.createSsl(Buffer.from(creds.ca), Buffer.from(creds.key), Buffer.from(creds.cert));
    this.client = this.connect();
  }

  /** The gateway currently used. */
  get address(): string {
    return this.addresses[this.index]!;
  }

  /** Called with the new address after every switch to another master. */
  onSwitch(fn: (address: string) => void): void {
    this.listeners.push(fn);
  }

  private connect(): RawClient {
    const Client = agentGatewayClientClass();
    return new Client(this.address, this.channelCreds, CHANNEL_OPTIONS) as RawClient;
  }

  /**
   * Uses a renewed node certificate from now on: a new channel to the same
   * master. Calls and the stream already open on the old one carry on.
   */
  setCredentials(creds: NodeCredentials): void {
    this.channelCreds = grpc.credentials.createSsl(Buffer.from(creds.ca), Buffer.from(creds.key), Buffer.from(creds.cert));
    const old = this.client;
    this.client = this.connect();
    old.close();
  }

  /** Join without a token over mTLS: the master signs a new certificate for this node's new key. */
  renewCertificate(nodeName: string, publicKeyPem: string): Promise<JoinResponse> {
    return this.call<JoinResponse>('Join', { token: '', node_name: nodeName, csr_public_key_pem: publicKeyPem });
  }

  /** Moves to the next master, unless another failure already did since `generation`. */
  failover(generation = this.generation): void {
    if (generation !== this.generation || this.addresses.length < 2) return;
    this.generation++;
    const old = this.client;
    this.index = (this.index + 1) % this.addresses.length;
    this.client = this.connect();
    old.close();
    for (const fn of this.listeners) fn(this.address);
  }

  private async call<T>(method: string, req: unknown): Promise<T> {
    const gen = this.generation;
    try {
      return await unary<T>(this.client, method, req);
    } catch (e) {
      if (e instanceof GatewayCallError && masterUnreachable(e.code)) this.failover(gen);
      throw e;
    }
  }

  async registerNode(node: Node): Promise<Node> {
    const res = await this.call<{ node_json: Buffer }>('RegisterNode', { node_json: Buffer.from(JSON.stringify(node)) });
    return JSON.parse(res.node_json.toString('utf8')) as Node;
  }

  async renewLease(durationSeconds: number): Promise<string> {
    return (await this.call<{ renew_time: string }>('RenewLease', { lease_duration_seconds: durationSeconds })).renew_time;
  }

  reportPodStatus(pod: Pod, status: PodStatus): Promise<PodStatusResponse> {
    return this.call<PodStatusResponse>('ReportPodStatus', {
      namespace: pod.metadata?.namespace ?? 'default', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '',
      status_json: Buffer.from(JSON.stringify(status)),
    });
  }

  async recordEvent(event: Event): Promise<void> {
    await this.call<unknown>('RecordEvent', { event_json: Buffer.from(JSON.stringify(event)) });
  }

  /** Opens the assignment stream; `onEnd` is called once, with the error if it failed. */
  watchAssignments(onAssignment: (a: Assignment) => void, onEnd: (err?: Error) => void): AssignmentWatch {
    const gen = this.generation;
    const stream = (this.client as unknown as { WatchAssignments(req: unknown): grpc.ClientReadableStream<Assignment> }).WatchAssignments({});
    let ended = false;
    const end = (err?: Error): void => {
      if (ended) return;
      ended = true;
      onEnd(err);
    };
    stream.on('data', (a: Assignment) => { if (!ended) onAssignment(a); });
    stream.on('error', (e: grpc.ServiceError) => {
      if (!ended && masterUnreachable(e.code)) this.failover(gen);
      end(new GatewayCallError('WatchAssignments', e.code, e.details));
    });
    // A master shutting down ends the stream cleanly: try the next one too.
    stream.on('end', () => {
      if (!ended) this.failover(gen);
      end(new Error('WatchAssignments: the gateway ended the stream'));
    });
    return { close: () => { end(); stream.cancel(); } };
  }

  close(): void {
    this.client.close();
  }
}
