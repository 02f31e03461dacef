import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface CertInfo {
  name: string;
  subject: string;
  notAfter: Date;
  residualDays: number;
  isCA: boolean;
}

/** `skiff certs check`: every certificate under `<home>/pki` and `<home>/agent` with its expiry. */
export function checkCerts(home: string, now = new Date()): CertInfo[] {
  const out: CertInfo[] = [];
  for (const dir of [join(home, 'pki'), join(home, 'agent')]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.crt')).sort()) {
      const x = new X509Certificate(readFileSync(join(dir, f)));
      const notAfter = new Date(x.validTo);
      out.push({
        name: `${dir.endsWith('agent') ? 'agent/' : ''}${f.replace(/\.crt$/, '')}`,
        subject: x.subject.replace(/\n/g, ', '),
        notAfter,
        residualDays: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
        isCA: x.ca,
      });
    }
  }
  return out;
}

/** The table kubeadm's `certs check-expiration` prints, in the same spirit. */
export function formatCertTable(certs: CertInfo[]): string {
  const rows = [['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY'],
    ...certs.map((c) => [c.name, c.notAfter.toUTCString().replace(/^\w+, /, ''), `${c.residualDays}d`, c.isCA ? 'yes' : 'no'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]! + 3)).join('').trimEnd()).join('\n') + '\n';
}
