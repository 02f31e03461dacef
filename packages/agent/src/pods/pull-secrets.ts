import type { Secret } from 'kubernetes-types/core/v1';
import type { RegistryAuth } from '../runtime/runtime';
import { secretBytes } from '../volumes/object-resolver';

/** The registry host an image reference pulls from (docker.io when it names none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}

function normaliseRegistryKey(key: string): string {
  let k = key.replace(/^https?:\/\//, '');
  k = k.split('/')[0] ?? k;
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return 'docker.io';
  return k;
}

interface DockerAuthEntry { username?: string; password?: string; auth?: string; identitytoken?: string }

/** Credentials for `image` from pod imagePullSecrets (kubernetes.io/dockerconfigjson or dockercfg). */
export function pullAuthFor(image: string, secrets: Secret[]): RegistryAuth | undefined {
  const registry = registryOf(image);
  for (const s of secrets) {
    const data = secretBytes(s);
    let auths: Record<string, DockerAuthEntry> | undefined;
    try {
      const json = data.get('.dockerconfigjson');
      const legacy = data.get('.dockercfg');
      if (json) auths = (JSON.parse(json.toString('utf8')) as { auths?: Record<string, DockerAuthEntry> }).auths;
      else if (legacy) auths = JSON.parse(legacy.toString('utf8')) as Record<string, DockerAuthEntry>;
    } catch {
      continue;
    }
    for (const [key, entry] of Object.entries(auths ?? {})) {
      if (normaliseRegistryKey(key) !== registry) continue;
      let { username, password } = entry;
      if ((!username || !password) && entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i >= 0) { username = decoded.slice(0, i); password = decoded.slice(i + 1); }
      }
      const out: RegistryAuth = { serveraddress: registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry };
      if (username) out.username = username;
      if (password) out.password = password;
      if (entry.identitytoken) out.identitytoken = entry.identitytoken;
      return out;
    }
  }
  return undefined;
}

/** The policy the apiserver defaults: Always for :latest or no tag, else IfNotPresent. */
export function effectivePullPolicy(image: string, policy?: string): 'Always' | 'IfNotPresent' | 'Never' {
  if (policy === 'Always' || policy === 'IfNotPresent' || policy === 'Never') return policy;
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const tagAt = image.lastIndexOf(':');
  const tag = tagAt > lastSlash ? image.slice(tagAt + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}
