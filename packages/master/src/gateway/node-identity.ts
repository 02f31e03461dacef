import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

/** The caller has no valid node certificate, or asks about another node. */
export class NodeAuthError extends Error {
  override readonly name = 'NodeAuthError';
  constructor(message: string, readonly code: grpc.status = grpc.status.UNAUTHENTICATED) {
    super(message);
  }
}

function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * The node name from the caller's client certificate. grpc-js reports a peer
 * certificate only when TLS verified it against the cluster CA, so a present
 * certificate is one the CA signed.
 */
export function nodeNameOf(call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null }): string {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (!cert?.subject) throw new NodeAuthError('this call needs a node client certificate signed by the cluster CA (join with a bootstrap token first)');
  const cn = values(cert.subject.CN)[0] ?? '';
  if (!cn.startsWith(NODE_USER_PREFIX) || !values(cert.subject.O).includes(NODES_GROUP)) {
    throw new NodeAuthError(`certificate "${cn}" is not a node certificate (want CN=${NODE_USER_PREFIX}<name>, O=${NODES_GROUP})`, grpc.status.PERMISSION_DENIED);
  }
  return cn.slice(NODE_USER_PREFIX.length);
}
