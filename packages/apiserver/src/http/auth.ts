import { readFileSync, existsSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage } from 'node:http';

/** Who is calling. */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

/** Something that can vouch for a bearer token (static file, bootstrap tokens, service accounts). */
export interface TokenAuthenticator {
  authenticate(token: string): Promise<UserInfo | undefined>;
}

/**
 * Static tokens from a CSV file in the kube-apiserver `--token-auth-file` format:
 * `token,user,uid,"group1,group2"`.
 */
export class StaticTokenFile implements TokenAuthenticator {
  private readonly tokens = new Map<string, UserInfo>();

  constructor(path?: string) {
    if (!path || !existsSync(path)) return;
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(t);
      if (!m) continue;
      this.tokens.set(m[1]!, { name: m[2]!, uid: m[3] || undefined, groups: (m[4] ?? '').split(',').filter(Boolean) });
    }
  }

  add(token: string, user: UserInfo): void {
    this.tokens.set(token, user);
  }

  async authenticate(token: string): Promise<UserInfo | undefined> {
    return this.tokens.get(token);
  }
}

/** Authenticates a request by its verified client certificate, then by bearer token. */
/** A verified client certificate names the same user for the whole connection. */
const certUsers = new WeakMap<object, UserInfo>();

export async function authenticate(req: IncomingMessage, tokens: TokenAuthenticator[]): Promise<UserInfo | undefined> {
  const sock = req.socket as TLSSocket;
  const cached = certUsers.get(sock);
  if (cached) return cached;
  if (sock.authorized && typeof sock.getPeerCertificate === 'function') {
    const peer = sock.getPeerCertificate();
    if (peer && peer.subject) {
      const cn = peer.subject.CN;
      const o = peer.subject.O;
      const groups = Array.isArray(o) ? o : o ? [o] : [];
      if (typeof cn === 'string' && cn) {
        const user = { name: cn, groups: [...groups, 'system:authenticated'] };
        certUsers.set(sock, user);
        return user;
      }
    }
  }
  const auth = req.headers.authorization;
  if (auth && /^bearer /i.test(auth)) {
    const token = auth.slice(7).trim();
    for (const t of tokens) {
      const u = await t.authenticate(token);
      if (u) return { ...u, groups: [...u.groups, 'system:authenticated'] };
    }
  }
  return undefined;
}

/** Paths Kubernetes serves to anyone (system:public-info-viewer). */
export function isPublicPath(path: string): boolean {
  return path === '/healthz' || path === '/livez' || path === '/readyz' || path === '/version' ||
    path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}
