import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Node, NodeList } from 'kubernetes-types/core/v1';

export interface AdminCredentials { ca: string; cert: string; key: string }

/** The admin client certificate a master writes into `<home>/pki`. */
export function readAdminCredentials(masterHome: string): AdminCredentials {
  const pki = join(masterHome, 'pki');
  return { ca: readFileSync(join(pki, 'ca.crt'), 'utf8'), cert: readFileSync(join(pki, 'admin.crt'), 'utf8'), key: readFileSync(join(pki, 'admin.key'), 'utf8') };
}

function get(url: string, creds?: AdminCredentials, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const opts = { method: 'GET', timeout: timeoutMs, ...(u.protocol === 'https:' ? (creds ? { ca: creds.ca, cert: creds.cert, key: creds.key } : { rejectUnauthorized: false }) : {}) };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, opts, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

export async function etcdHealthy(clientURL: string): Promise<boolean> {
  try {
    const r = await get(`${clientURL}/health`);
    return r.status === 200 && /"health":\s*"true"/.test(r.body);
  } catch {
    return false;
  }
}

export async function apiReady(server: string): Promise<boolean> {
  try {
    const r = await get(`${server}/readyz`);
    return r.status === 200 && r.body.trim() === 'ok';
  } catch {
    return false;
  }
}

export async function listNodes(server: string, creds: AdminCredentials): Promise<Node[]> {
  const r = await get(`${server}/api/v1/nodes`, creds);
  if (r.status !== 200) throw new Error(`GET /api/v1/nodes: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  return (JSON.parse(r.body) as NodeList).items;
}

export function nodeReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
