import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import type { Logger } from '../logger';
import type { GatewayClient, NodeCredentials } from './gateway-client';
import { caPublicKeyHash, certNodeName, credentialFiles, writeFileAtomic } from './node-credentials';

/** Renew once this share of the certificate's lifetime has passed (the kubelet renews between 70% and 90%). */
export const RENEW_AT_FRACTION = 0.7;
const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 60_000;
/** setTimeout's limit; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** When a certificate valid from `notBefore` to `notAfter` should be renewed, with up to 10% of its lifetime of jitter. */
export function renewalTime(notBefore: number, notAfter: number, jitter = 0): number {
  const life = Math.max(0, notAfter - notBefore);
  return notBefore + life * (RENEW_AT_FRACTION + 0.1 * Math.min(1, Math.max(0, jitter)));
}

/**
 * Renews the node's client certificate over the gateway before it expires:
 * a new key pair generated here, its public key signed by the master (a Join
 * without a token, authenticated by the current certificate), both stored
 * under `<home>/agent/`, and the gateway client switched to them. Pods,
 * containers and the assignment stream are not touched. A failed attempt is
 * retried with back-off until the certificate expires.
 */
export class CertificateRotator {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;
  /**
   * When the current certificate was received (or loaded at start). Its lifetime counts from here
   * when that is later than notBefore: masters backdate notBefore for clock skew, which would
   * otherwise eat most of a short-lived certificate's lifetime.
   */
  private receivedAt = Date.now();
  /** How many times the certificate was renewed since start. */
  renewals = 0;

  constructor(private readonly opts: {
    home: string; nodeName: string; client: GatewayClient; creds: NodeCredentials; log: Logger;
    /** Called with the new credentials after each renewal. */
    onRenewed?: (creds: NodeCredentials) => void;
  }) {}

  get credentials(): NodeCredentials {
    return this.opts.creds;
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs?: number): void {
    if (this.stopped) return;
    const x = new X509Certificate(this.opts.creds.cert);
    const at = renewalTime(Math.max(Date.parse(x.validFrom), this.receivedAt), Date.parse(x.validTo), Math.random());
    const wait = Math.max(0, delayMs ?? at - Date.now());
    if (delayMs === undefined) this.opts.log.info('node certificate renewal scheduled', { expires: x.validTo, renewAt: new Date(Date.now() + wait).toISOString() });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (wait > MAX_TIMER_MS) this.schedule();
      else void this.renew();
    }, Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** One renewal now; reschedules itself. Resolves true when a new certificate is in use. */
  async renew(): Promise<boolean> {
    const { log, client, nodeName } = this.opts;
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    try {
      const res = await client.renewCertificate(nodeName, publicKeyPem);
      if (certNodeName(res.certificate_pem) !== nodeName) throw new Error('the renewed certificate names another node');
      if (caPublicKeyHash(res.ca_pem) !== caPublicKeyHash(this.opts.creds.ca)) throw new Error('the renewal answer carries another CA; refusing it');
      if (!new X509Certificate(res.certificate_pem).checkPrivateKey(privateKey)) throw new Error('the renewed certificate is not for the key this node sent');
      const f = credentialFiles(this.opts.home);
      writeFileAtomic(f.key, keyPem, 0o600);
      writeFileAtomic(f.cert, res.certificate_pem, 0o644);
      const creds = { ca: this.opts.creds.ca, cert: res.certificate_pem, key: keyPem };
      this.opts.creds = creds;
      this.receivedAt = Date.now();
      client.setCredentials(creds);
      this.opts.onRenewed?.(creds);
      this.failures = 0;
      this.renewals++;
      log.info('node certificate renewed', { expires: new X509Certificate(res.certificate_pem).validTo, gateway: client.address });
      this.schedule();
      return true;
    } catch (e) {
      this.failures++;
      const expires = Date.parse(new X509Certificate(this.opts.creds.cert).validTo);
      const retry = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(10, this.failures - 1), Math.max(RETRY_MIN_MS, (expires - Date.now()) / 4));
      log.warn('node certificate renewal failed; will retry', { error: (e as Error).message, inMs: Math.round(retry), expires: new Date(expires).toISOString() });
      this.schedule(retry);
      return false;
    }
  }
}
