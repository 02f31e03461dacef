/**
 * An https.Agent that trusts exactly the kubeconfig's CA bundle without building an OpenSSL trust
 * store. Node 20 creates a store of its ~140 bundled root certificates whenever a `ca` option is
 * given (nodejs/node#56301), the largest single cost of a short `skiffctl get` after Node's own
 * start. This agent hands OpenSSL an empty CA list, lets the handshake finish, verifies the
 * server's chain and name itself (X509Certificate: issuer, signature, validity, serverAuth usage,
 * tls.checkServerIdentity) and only then gives the socket to the HTTP client, so nothing is sent
 * to a server that fails verification.
 */
import { X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';

/** The certificates of a PEM bundle; undefined when it is not (all) PEM certificates. */
export function parseCaBundle(pem: Buffer): X509Certificate[] | undefined {
  const blocks = pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks?.length) return undefined;
  try {
    return blocks.map((b) => new X509Certificate(b));
  } catch {
    return undefined;
  }
}

function valid(x: X509Certificate, now: number): boolean {
  return Date.parse(x.validFrom) <= now && now <= Date.parse(x.validTo);
}

function failure(msg: string): Error {
  return Object.assign(new Error(`tls: failed to verify certificate: ${msg}`), { code: 'ERR_TLS_CERT_VERIFY' });
}

/** Go-like chain verification of the peer against `roots`, then the host name check. */
export function verifyPeer(socket: tls.TLSSocket, roots: X509Certificate[], host: string, now = Date.now()): Error | undefined {
  const detailed = socket.getPeerCertificate(true);
  if (!detailed?.raw) return failure('x509: the server sent no certificate');
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c: tls.DetailedPeerCertificate | undefined = detailed; c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    chain.push(new X509Certificate(c.raw));
  }
  const leaf = chain[0] as X509Certificate;
  if (!valid(leaf, now)) return failure('x509: certificate has expired or is not yet valid');
  const eku = leaf.keyUsage;
  if (Array.isArray(eku) && eku.length && !eku.includes(SERVER_AUTH) && !eku.includes(ANY_EKU)) return failure('x509: certificate specifies an incompatible key usage');
  let cur = leaf;
  let trusted = false;
  for (let depth = 0; depth < 10 && !trusted; depth++) {
    if (roots.some((r) => r.fingerprint256 === cur.fingerprint256)) { trusted = true; break; }
    const c = cur;
    if (roots.some((r) => valid(r, now) && c.checkIssued(r) && c.verify(r.publicKey))) { trusted = true; break; }
    const next = chain.find((x) => x !== c && x.ca && valid(x, now) && c.checkIssued(x) && c.verify(x.publicKey));
    if (!next) break;
    cur = next;
  }
  if (!trusted) return failure('x509: certificate signed by unknown authority');
  const nameErr = tls.checkServerIdentity(host, detailed);
  return nameErr ? failure(`x509: ${nameErr.message}`) : undefined;
}

type Oncreate = (err: Error | null, socket?: Socket) => void;

export class CaAgent extends https.Agent {
  constructor(roots: X509Certificate[], opts: https.AgentOptions) {
    // an empty (but present) `ca` keeps Node from loading its bundled roots; verification is ours
    super({ ...opts, ca: [], rejectUnauthorized: false });
    // http.Agent's createSocket waits for the callback when createConnection returns nothing
    (this as unknown as { createConnection: (o: tls.ConnectionOptions, cb?: Oncreate) => undefined }).createConnection = (options, oncreate) => {
      const socket = tls.connect(options);
      let settled = false;
      const done = (err: Error | null): void => {
        if (settled) return;
        settled = true;
        socket.removeListener('error', onError);
        if (err) {
          socket.destroy();
          oncreate?.(err);
        } else oncreate?.(null, socket);
      };
      const onError = (e: Error): void => done(e);
      socket.once('error', onError);
      socket.once('secureConnect', () => done(verifyPeer(socket, roots, options.servername || options.host || 'localhost') ?? null));
      return undefined;
    };
  }
}
