import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger';
import * as grpc from '@grpc/grpc-js';
import type { JoinResponse } from './agent-proto';
import { fetchClusterInfoUnverified, GatewayCallError, gatewayAddresses, joinCluster, type NodeCredentials } from './gateway-client';

/** Joining failed for a reason the operator must fix (token, CA hash, flags). */
export class JoinError extends Error {
  override readonly name = 'JoinError';
}

export const CA_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** kubeadm's CA pin: `sha256:` + hex SHA-256 of the CA certificate's SubjectPublicKeyInfo. */
export function caPublicKeyHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export interface CredentialFiles { dir: string; ca: string; cert: string; key: string; gateway: string }

export function credentialFiles(home: string): CredentialFiles {
  const dir = join(home, 'agent');
  return { dir, ca: join(dir, 'ca.crt'), cert: join(dir, 'node.crt'), key: join(dir, 'node.key'), gateway: join(dir, 'gateway') };
}

export function writeFileAtomic(path: string, data: string, mode: number): void {
  writeFileSync(`${path}.tmp`, data, { mode });
  renameSync(`${path}.tmp`, path);
}

export function certNodeName(certPem: string): string | undefined {
  const m = /(?:^|\n)CN=system:node:([^\n]+)/.exec(new X509Certificate(certPem).subject);
  return m?.[1];
}

export interface JoinParams {
  home: string;
  nodeName: string;
  /** host:port of the gateway, or a comma-separated list (every master); remembered for restarts without --join. */
  join?: string;
  token?: string;
  caHash?: string;
}

/**
 * The node's credentials: those stored under `<home>/agent/` when they are
 * valid for this node, otherwise a fresh join. Joining fetches the CA,
 * checks it against the pinned hash before trusting it, then sends the token
 * over TLS verified with that CA and stores the signed certificate with a key
 * that never left the node. With several gateways (masters sharing the CA),
 * the first that answers takes the join. `gateway` is the first address,
 * `gateways` all of them.
 */
export async function ensureNodeCredentials(p: JoinParams, log: Logger): Promise<{ creds: NodeCredentials; gateway: string; gateways: string[] }> {
  const f = credentialFiles(p.home);
  const stored = [f.ca, f.cert, f.key].every((x) => existsSync(x));
  const storedGateway = existsSync(f.gateway) ? readFileSync(f.gateway, 'utf8').trim() : undefined;
  const gatewayList = p.join ?? storedGateway;
  const gateways = gatewayAddresses(gatewayList ?? '');
  const gateway = gateways.join(',');
  if (!gateways.length) throw new JoinError('no gateway address: pass --join <host:port> (the output of "skiff token create --print-join-command")');
  if (stored) {
    const creds = { ca: readFileSync(f.ca, 'utf8'), cert: readFileSync(f.cert, 'utf8'), key: readFileSync(f.key, 'utf8') };
    const x = new X509Certificate(creds.cert);
    const name = certNodeName(creds.cert);
    // Not expired is enough: the certificate rotator renews it over the gateway well before expiry.
    const fresh = new Date(x.validTo).getTime() > Date.now() + 10_000;
    const sameCa = !p.caHash || caPublicKeyHash(creds.ca) === p.caHash;
    if (name === p.nodeName && fresh && sameCa) {
      if (gateway !== storedGateway) writeFileAtomic(f.gateway, `${gateway}\n`, 0o644);
      log.info('using stored node credentials', { dir: f.dir, node: name, expires: x.validTo, gateways });
      return { creds, gateway: gateways[0]!, gateways };
    }
    log.warn('stored node credentials are not usable; joining again', { certNode: name, node: p.nodeName, fresh, sameCa });
  }
  if (!p.token || !p.caHash) throw new JoinError('this node has not joined yet: pass --token <token> and --ca-hash sha256:<hex> with --join');
  if (!CA_HASH_PATTERN.test(p.caHash)) throw new JoinError(`--ca-hash must look like sha256:<64 hex digits>, got "${p.caHash}"`);

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let res;
  for (const [i, addr] of gateways.entries()) {
    try {
      res = await joinOne(addr, p.caHash, { token: p.token, nodeName: p.nodeName, publicKeyPem });
      break;
    } catch (e) {
      // An unreachable master: try the next one. A refusal (token, CA hash) is final.
      if (e instanceof JoinError || i === gateways.length - 1) throw e;
      log.warn('gateway unreachable for the join; trying the next master', { gateway: addr, error: (e as Error).message });
    }
  }
  if (!res) throw new JoinError('no gateway to join');
  if (caPublicKeyHash(res.ca_pem) !== p.caHash) throw new JoinError('the CA in the join answer does not match --ca-hash; refusing it');

  mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  writeFileAtomic(f.key, keyPem, 0o600);
  writeFileAtomic(f.cert, res.certificate_pem, 0o644);
  writeFileAtomic(f.ca, res.ca_pem, 0o644);
  writeFileAtomic(f.gateway, `${gateway}\n`, 0o644);
  log.info('joined the cluster', { gateways, node: p.nodeName, dir: f.dir });
  return { creds: { ca: res.ca_pem, cert: res.certificate_pem, key: keyPem }, gateway: gateways[0]!, gateways };
}

/** Fetches and checks the CA at one gateway, then joins there. */
async function joinOne(gateway: string, caHash: string, req: { token: string; nodeName: string; publicKeyPem: string }): Promise<JoinResponse> {
  const info = await fetchClusterInfoUnverified(gateway);
  const got = caPublicKeyHash(info.ca_pem);
  if (got !== caHash) {
    throw new JoinError(`the gateway at ${gateway} presented a CA whose hash ${got} does not match --ca-hash ${caHash}; refusing to join`);
  }
  try {
    return await joinCluster(gateway, info.ca_pem, req);
  } catch (e) {
    if (e instanceof GatewayCallError && (e.code === grpc.status.UNAUTHENTICATED || e.code === grpc.status.INVALID_ARGUMENT || e.code === grpc.status.PERMISSION_DENIED)) {
      throw new JoinError(`the gateway at ${gateway} refused to join this node: ${e.details}`);
    }
    throw e;
  }
}
