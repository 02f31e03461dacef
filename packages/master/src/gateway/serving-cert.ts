import { hostname, networkInterfaces } from 'node:os';
import { issueCert, type KeyPairPem } from '@skiff/apiserver';

/**
 * The gateway's serving certificate, signed by the cluster CA, for every
 * name and address agents may dial: the bind host, localhost, the host name
 * and each local interface address.
 */
export async function issueGatewayServingCert(ca: KeyPairPem, host: string, extraNames: string[] = []): Promise<KeyPairPem> {
  const ips = new Set<string>(['127.0.0.1', '::1']);
  const dns = new Set<string>(['localhost', hostname()]);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) ips.add(a.address.replace(/%.*$/, ''));
  for (const n of [host, ...extraNames]) {
    if (!n || n === '0.0.0.0' || n === '::') continue;
    if (/^[\d.]+$/.test(n) || n.includes(':')) ips.add(n); else dns.add(n);
  }
  return issueCert(ca, { commonName: 'skiff-agent-gateway', dnsNames: [...dns], ips: [...ips], server: true });
}
