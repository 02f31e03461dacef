import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** `host:port`, `[v6]:port` -> parts. */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(address) ?? /^([^:]+):(\d+)$/.exec(address);
  if (!m) throw new Error(`"${address}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/**
 * The local address the kernel uses to reach `host`: the node's address on
 * the path to the master (not merely the first interface). A connected UDP
 * socket asks the routing table; no packet is sent.
 */
export async function sourceAddressFor(host: string, port: number): Promise<string> {
  const ip = isIP(host) ? host : (await lookup(host)).address;
  const sock = createSocket(isIP(ip) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(port, ip, () => resolve());
    });
    return sock.address().address;
  } finally {
    sock.close();
  }
}
