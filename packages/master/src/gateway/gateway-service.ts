import { isPlainObject, KObject, StatusError } from '@skiff/api';
import { issueCert, type Registry, type KeyPairPem } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import * as grpc from '@grpc/grpc-js';
import { createPublicKey } from 'node:crypto';
import type * as pb from './agent-proto';
import { AssignmentStream } from './assignment-stream';
import { validateBootstrapToken } from './bootstrap-tokens';
import { EventSink } from './event-sink';
import { toServiceError } from './grpc-errors';
import { NODE_USER_PREFIX, NODES_GROUP, NodeAuthError, nodeNameOf } from './node-identity';
import { registerNode, renewNodeLease, writePodStatus } from './node-writes';

const NODE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NODE_CERT_DAYS = 365;

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;

/**
 * The server adapter: AgentGateway calls mapped onto the registry. Every call
 * after Join takes the node name from the verified client certificate.
 */
export class GatewayService {
  private readonly events: EventSink;
  private readonly streams = new Set<AssignmentStream>();

  /** `nodeCertDays`: validity of the node certificates Join issues (fractions of a day for rotation tests). */
  constructor(private readonly registry: Registry, private readonly ca: KeyPairPem, private readonly log: Logger, private readonly nodeCertDays = NODE_CERT_DAYS) {
    this.events = new EventSink(registry);
  }

  /** Handlers keyed by the proto's method names. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      GetClusterInfo: this.unary<Record<string, never>, pb.ClusterInfo>('GetClusterInfo', false, async () => ({ ca_pem: this.ca.cert })),
      Join: ((call, callback) => {
        // Without a token, Join is a renewal: the caller's valid node certificate names the node.
        let renewing: string | undefined;
        try {
          if (!call.request.token) renewing = nodeNameOf(call);
        } catch (e) {
          callback(toServiceError(e));
          return;
        }
        this.join(call.request, renewing).then((res) => callback(null, res), (e: unknown) => callback(toServiceError(e)));
      }) as Unary<pb.JoinRequest, pb.JoinResponse>,
      RegisterNode: this.unary<pb.RegisterNodeRequest, pb.RegisterNodeResponse>('RegisterNode', true, async (node, req) => {
        const obj = JSON.parse(req.node_json.toString('utf8')) as KObject;
        if (!isPlainObject(obj) || !isPlainObject(obj.metadata)) throw StatusError.badRequest('node_json is not a Node object');
        const stored = await registerNode(this.registry, node, obj);
        return { node_json: Buffer.from(JSON.stringify(stored)) };
      }),
      RenewLease: this.unary<pb.RenewLeaseRequest, pb.RenewLeaseResponse>('RenewLease', true, async (node, req) => ({
        renew_time: await renewNodeLease(this.registry, node, req.lease_duration_seconds),
      })),
      ReportPodStatus: this.unary<pb.PodStatusReport, pb.PodStatusResponse>('ReportPodStatus', true, async (node, req) => {
        const r = await writePodStatus(this.registry, node, { namespace: req.namespace, name: req.name, uid: req.uid, status: JSON.parse(req.status_json.toString('utf8')) });
        if (r.deleted) this.log.info('pod terminated on its node; removed from the API', { node, pod: `${req.namespace}/${req.name}` });
        return { pod_gone: r.podGone, deleted: r.deleted };
      }),
      RecordEvent: this.unary<pb.EventRecord, pb.EventResponse>('RecordEvent', true, async (node, req) => {
        await this.events.record(node, JSON.parse(req.event_json.toString('utf8')));
        return {};
      }),
      WatchAssignments: (call: grpc.ServerWritableStream<pb.WatchAssignmentsRequest, pb.Assignment>) => this.watchAssignments(call),
    };
  }

  /** Ends every open assignment stream (the agents reconnect to another replica or after restart). */
  closeStreams(): void {
    for (const s of this.streams) s.close();
    this.streams.clear();
  }

  private unary<Req, Res>(method: string, needsNode: boolean, fn: (node: string, req: Req) => Promise<Res>): Unary<Req, Res> {
    return (call, callback) => {
      let node = '';
      try {
        if (needsNode) node = nodeNameOf(call);
      } catch (e) {
        callback(toServiceError(e));
        return;
      }
      fn(node, call.request).then((res) => callback(null, res), (e: unknown) => {
        const err = toServiceError(e);
        if (err.code === grpc.status.INTERNAL) this.log.warn('agent call failed', { method, node, error: err.details });
        callback(err);
      });
    };
  }

  private async join(req: pb.JoinRequest, renewing?: string): Promise<pb.JoinResponse> {
    if (renewing === undefined) await validateBootstrapToken(this.registry, req.token);
    else if (renewing !== req.node_name) throw new NodeAuthError(`node ${renewing} may renew only its own certificate, not ${req.node_name}'s`, grpc.status.PERMISSION_DENIED);
    if (!NODE_NAME.test(req.node_name) || req.node_name.length > 253) {
      throw StatusError.badRequest(`node name "${req.node_name}" is not a valid DNS subdomain`);
    }
    let key;
    try {
      key = createPublicKey(req.csr_public_key_pem);
    } catch (e) {
      throw StatusError.badRequest(`csr_public_key_pem is not a PEM public key: ${(e as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw StatusError.badRequest('csr_public_key_pem must be an ECDSA P-256 public key');
    }
    const cert = await issueCert(this.ca, {
      commonName: `${NODE_USER_PREFIX}${req.node_name}`, organizations: [NODES_GROUP], client: true,
      publicKeyPem: req.csr_public_key_pem, days: this.nodeCertDays,
    });
    if (renewing !== undefined) this.log.info('node certificate renewed', { node: req.node_name });
    else this.log.info('node joined with a bootstrap token', { node: req.node_name, tokenId: req.token.slice(0, 6) });
    return { certificate_pem: cert.cert, ca_pem: this.ca.cert };
  }

  private watchAssignments(call: grpc.ServerWritableStream<pb.WatchAssignmentsRequest, pb.Assignment>): void {
    let node: string;
    try {
      node = nodeNameOf(call);
    } catch (e) {
      call.destroy(Object.assign(new Error(toServiceError(e).details), toServiceError(e)));
      return;
    }
    const log = this.log.child({ node });
    let ended = false;
    const end = (e?: Error): void => {
      if (ended) return;
      ended = true;
      stream.close();
      this.streams.delete(stream);
      if (e) call.destroy(Object.assign(new Error(e.message), { code: grpc.status.UNAVAILABLE, details: e.message }));
      else call.end();
    };
    const stream = new AssignmentStream(this.registry, node, (a) => { if (!ended) call.write(a); }, (e) => end(e), log);
    this.streams.add(stream);
    call.on('cancelled', () => end());
    call.on('close', () => end());
    call.on('error', () => end());
    log.info('assignment stream opened');
    stream.start().catch((e: unknown) => end(e as Error));
  }
}
