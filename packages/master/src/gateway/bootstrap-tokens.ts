import { randomInt, timingSafeEqual } from 'node:crypto';
import { findByKind, KObject, StatusError } from '@skiff/api';
import type { Registry } from '@skiff/apiserver';

/** kubeadm's bootstrap token format: `<token-id>.<token-secret>`. */
export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
export const BOOTSTRAP_TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const BOOTSTRAP_TOKEN_NAMESPACE = 'kube-system';
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A token that failed: the message is safe to show the joining agent. */
export class BootstrapTokenError extends Error {
  override readonly name = 'BootstrapTokenError';
}

function randomString(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

function secretInfo() {
  return findByKind('v1', 'Secret')!;
}

export function bootstrapTokenSecretName(tokenId: string): string {
  return `bootstrap-token-${tokenId}`;
}

/**
 * Creates a bootstrap token stored as kubeadm stores it: a Secret
 * `kube-system/bootstrap-token-<id>` of type bootstrap.kubernetes.io/token.
 * `ttlSeconds` 0 makes a token that never expires.
 */
export async function createBootstrapToken(registry: Registry, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS, description = 'skiff-agent join token'): Promise<string> {
  const id = randomString(6);
  const secret = randomString(16);
  const data: Record<string, string> = {
    'token-id': id,
    'token-secret': secret,
    'usage-bootstrap-authentication': 'true',
    'usage-bootstrap-signing': 'true',
    'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token',
    description,
  };
  if (ttlSeconds > 0) data.expiration = new Date(Date.now() + ttlSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const obj: KObject = {
    metadata: { name: bootstrapTokenSecretName(id), namespace: BOOTSTRAP_TOKEN_NAMESPACE },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  await registry.create(secretInfo(), BOOTSTRAP_TOKEN_NAMESPACE, obj);
  return `${id}.${secret}`;
}

function field(secret: KObject, key: string): string | undefined {
  const data = secret.data as Record<string, string> | undefined;
  const v = data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** Checks a token against its Secret; throws BootstrapTokenError with a message for the agent. */
export async function validateBootstrapToken(registry: Registry, token: string, now = Date.now()): Promise<void> {
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(token);
  if (!m) throw new BootstrapTokenError('the bootstrap token is malformed: want <6 characters>.<16 characters> of [a-z0-9]');
  const id = m[1]!;
  const invalid = new BootstrapTokenError(`bootstrap token id "${id}" is invalid for this cluster or it has expired; create a new one with "skiff token create --print-join-command"`);
  let secret: KObject | undefined;
  try {
    secret = await registry.tryGet(secretInfo(), BOOTSTRAP_TOKEN_NAMESPACE, bootstrapTokenSecretName(id));
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) secret = undefined; else throw e;
  }
  if (!secret || secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || secret.metadata.deletionTimestamp) throw invalid;
  const want = Buffer.from(field(secret, 'token-secret') ?? '');
  const got = Buffer.from(m[2]!);
  if (field(secret, 'token-id') !== id || want.length !== got.length || !timingSafeEqual(want, got)) throw invalid;
  if (field(secret, 'usage-bootstrap-authentication') !== 'true') throw invalid;
  const exp = field(secret, 'expiration');
  if (exp !== undefined && !(Date.parse(exp) > now)) throw invalid;
}
