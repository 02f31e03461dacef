import { createHash, webcrypto, X509Certificate, createPublicKey } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export interface KeyPairPem {
  cert: string;
  key: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function exportKey(key: CryptoKey): Promise<string> {
  return pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey));
}

async function importKey(keyPem: string): Promise<CryptoKey> {
  const der = Buffer.from(keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return (await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign'])) as CryptoKey;
}

function escapeDN(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

/** Creates a self-signed CA. */
export async function createCA(commonName: string, days = 3650): Promise<KeyPairPem> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16),
    name: `CN=${escapeDN(commonName)}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + days * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

export interface LeafOptions {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  ips?: string[];
  server?: boolean;
  client?: boolean;
  days?: number;
  /** Sign this public key (PEM SPKI) instead of generating a key pair (for CSRs from agents). */
  publicKeyPem?: string;
}

/** Issues a certificate signed by the CA. */
export async function issueCert(ca: KeyPairPem, opts: LeafOptions): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  let publicKey: CryptoKey;
  let privateKeyPem = '';
  if (opts.publicKeyPem) {
    const der = createPublicKey(opts.publicKeyPem).export({ type: 'spki', format: 'der' });
    publicKey = (await webcrypto.subtle.importKey('spki', der, ALG, true, ['verify'])) as CryptoKey;
  } else {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    publicKey = keys.publicKey;
    privateKeyPem = await exportKey(keys.privateKey);
  }
  const subject = [`CN=${escapeDN(opts.commonName)}`, ...(opts.organizations ?? []).map((o) => `O=${escapeDN(o)}`)].join(', ');
  const usages: string[] = [];
  if (opts.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (opts.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  const san = [
    ...(opts.dnsNames ?? []).map((d) => ({ type: 'dns' as const, value: d })),
    ...(opts.ips ?? []).map((ip) => ({ type: 'ip' as const, value: ip })),
  ];
  if (san.length) extensions.push(new x509.SubjectAlternativeNameExtension(san, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (Date.now() * 1000 + Math.floor(Math.random() * 1000)).toString(16),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + (opts.days ?? 365) * DAY),
    publicKey,
    signingKey: caKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return { cert: cert.toString('pem') + '\n', key: privateKeyPem };
}

/** kubeadm's CA pin: `sha256:` + hex SHA-256 of the CA's SubjectPublicKeyInfo. */
export function caHash(caCertPem: string): string {
  const spki = new X509Certificate(caCertPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

export function certExpiry(certPem: string): Date {
  return new Date(new X509Certificate(certPem).validTo);
}

export interface ClusterPki {
  dir: string;
  ca: KeyPairPem;
  apiserver: KeyPairPem;
  admin: KeyPairPem;
}

function readPair(dir: string, name: string): KeyPairPem | undefined {
  const c = join(dir, `${name}.crt`);
  const k = join(dir, `${name}.key`);
  if (!existsSync(c) || !existsSync(k)) return undefined;
  return { cert: readFileSync(c, 'utf8'), key: readFileSync(k, 'utf8') };
}

function writePair(dir: string, name: string, pair: KeyPairPem): void {
  writeFileSync(join(dir, `${name}.crt`), pair.cert, { mode: 0o644 });
  writeFileSync(join(dir, `${name}.key`), pair.key, { mode: 0o600 });
}

/**
 * Loads the cluster's CA and certificates from `<home>/pki`, creating whatever is missing;
 * the serving certificate is re-issued when it is close to expiry or misses a wanted SAN.
 */
export async function ensurePki(home: string, sans: { dnsNames: string[]; ips: string[] }): Promise<ClusterPki> {
  const dir = join(home, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readPair(dir, 'ca');
  if (!ca) {
    ca = await createCA('skiff-ca');
    writePair(dir, 'ca', ca);
  }
  let apiserver = readPair(dir, 'apiserver');
  const renewBefore = Date.now() + 30 * DAY;
  const missingSan = (p: KeyPairPem): boolean => {
    const x = new X509Certificate(p.cert);
    const alt = x.subjectAltName ?? '';
    return [...sans.dnsNames.map((d) => `DNS:${d}`), ...sans.ips.map((i) => `IP Address:${i}`)].some((s) => !alt.includes(s));
  };
  if (!apiserver || certExpiry(apiserver.cert).getTime() < renewBefore || missingSan(apiserver)) {
    apiserver = await issueCert(ca, { commonName: 'skiff-apiserver', dnsNames: sans.dnsNames, ips: sans.ips, server: true });
    writePair(dir, 'apiserver', apiserver);
  }
  let admin = readPair(dir, 'admin');
  if (!admin || certExpiry(admin.cert).getTime() < renewBefore) {
    admin = await issueCert(ca, { commonName: 'skiff-admin', organizations: ['system:masters'], client: true });
    writePair(dir, 'admin', admin);
  }
  return { dir, ca, apiserver, admin };
}

/** A kubeconfig with embedded client certificate credentials. */
export function kubeconfigYaml(opts: { server: string; ca: string; cert: string; key: string; cluster: string; user: string; context: string; namespace?: string }): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${opts.cluster}`,
    '  cluster:',
    `    server: ${opts.server}`,
    `    certificate-authority-data: ${b64(opts.ca)}`,
    'users:',
    `- name: ${opts.user}`,
    '  user:',
    `    client-certificate-data: ${b64(opts.cert)}`,
    `    client-key-data: ${b64(opts.key)}`,
    'contexts:',
    `- name: ${opts.context}`,
    '  context:',
    `    cluster: ${opts.cluster}`,
    `    user: ${opts.user}`,
    `    namespace: ${opts.namespace ?? 'default'}`,
    `current-context: ${opts.context}`,
    '',
  ].join('\n');
}
