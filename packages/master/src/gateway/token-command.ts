import { caHash, type Registry } from '@skiff/apiserver';
import { createBootstrapToken, DEFAULT_TOKEN_TTL_SECONDS } from './bootstrap-tokens';

export const DEFAULT_GATEWAY_PORT = 9443;

export interface JoinCommandOptions {
  registry: Registry;
  /** The cluster CA certificate (PEM), e.g. `<home>/pki/ca.crt`. */
  caCertPem: string;
  /** The address agents dial: the master's advertise address. */
  host: string;
  port?: number;
  ttlSeconds?: number;
  description?: string;
}

/**
 * `skiff token create --print-join-command`: creates a bootstrap token and
 * returns the line that joins a node with it.
 */
export async function printJoinCommand(opts: JoinCommandOptions): Promise<string> {
  const token = await createBootstrapToken(opts.registry, opts.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS, opts.description);
  return joinCommand(opts.host, opts.port ?? DEFAULT_GATEWAY_PORT, token, caHash(opts.caCertPem));
}

export function joinCommand(host: string, port: number, token: string, hash: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `skiff-agent --join ${h}:${port} --token ${token} --ca-hash ${hash}`;
}
