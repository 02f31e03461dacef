import { createSocket, type Socket } from 'node:dgram';
import { createServer, connect, type Server, type Socket as TcpSocket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import type { ClusterRecords } from './cluster-records';

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

export interface Upstream { host: string; port: number }

/** The `nameserver` lines of a resolv.conf (IPv4 and IPv6), in order. */
export function parseNameservers(resolvConf: string): string[] {
  return resolvConf.split('\n').map((l) => l.trim().split(/\s+/)).filter((w) => w[0] === 'nameserver' && w[1]).map((w) => w[1]!);
}

export interface DnsServerOptions {
  records: ClusterRecords;
  /** Address and port to serve on (UDP and TCP); port 0 picks one (tests). */
  host: string;
  port: number;
  /** Where names outside the cluster zone go, tried in order; empty = SERVFAIL. */
  upstreams: Upstream[];
  upstreamTimeoutMs?: number;
  logger?: Logger;
}

/**
 * The node's DNS server: answers cluster names from ClusterRecords
 * (authoritative) and relays everything else, unchanged, to the node's own
 * resolvers. UDP and TCP (length-prefixed). A UDP answer too large for 512
 * bytes (or the client's EDNS size) is sent truncated so the client retries on TCP.
 */
export class DnsServer {
  private udp?: Socket;
  private tcp?: Server;
  private readonly tcpClients = new Set<TcpSocket>();
  private readonly log: Logger;
  constructor(private readonly opts: DnsServerOptions) {
    this.log = opts.logger ?? nullLogger;
  }

  /** Starts both listeners; resolves with the bound port. */
  async start(): Promise<number> {
    const udp = createSocket(this.opts.host.includes(':') ? 'udp6' : 'udp4');
    this.udp = udp;
    await new Promise<void>((res, rej) => { udp.once('error', rej); udp.bind(this.opts.port, this.opts.host, () => { udp.off('error', rej); res(); }); });
    const port = udp.address().port;
    udp.on('message', (msg, rinfo) => {
      void this.answer(msg, 'udp').then((reply) => { if (reply) udp.send(reply, rinfo.port, rinfo.address); });
    });
    udp.on('error', (e) => this.log.warn('dns udp socket error', { error: e.message }));
    this.tcp = createServer((sock) => this.serveTcp(sock));
    const tcp = this.tcp;
    await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(port, this.opts.host, () => { tcp.off('error', rej); res(); }); });
    return port;
  }

  async stop(): Promise<void> {
    this.udp?.close();
    for (const s of this.tcpClients) s.destroy();
    await new Promise<void>((res) => (this.tcp ? this.tcp.close(() => res()) : res()));
  }

  private serveTcp(sock: TcpSocket): void {
    this.tcpClients.add(sock);
    sock.on('close', () => this.tcpClients.delete(sock));
    sock.on('error', () => undefined);
    sock.setTimeout(30_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void this.answer(msg, 'tcp').then((reply) => {
          if (!reply || sock.destroyed) return;
          const hdr = Buffer.alloc(2);
          hdr.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([hdr, reply]));
        });
      }
    });
  }

  /** The reply to one query message (undefined: drop it, e.g. not a query or undecodable). */
  async answer(msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let q: dnsPacket.DecodedPacket;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    if (q.type !== 'query') return undefined;
    const question = q.questions?.[0];
    if (!question) return undefined;
    const result = this.opts.records.lookup(question.name, question.type);
    if (result.rcode === 'forward') return this.forward(msg, q, transport);
    const rd = q.flags !== undefined ? q.flags & dnsPacket.RECURSION_DESIRED : 0;
    const reply: dnsPacket.Packet = {
      type: 'response', id: q.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | rd | RCODE[result.rcode],
      questions: [question], answers: result.answers, additionals: result.additionals,
    };
    const out = dnsPacket.encode(reply);
    const opt = q.additionals?.find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    const limit = Math.max(512, opt?.udpPayloadSize ?? 512);
    if (transport === 'udp' && out.length > limit) {
      return dnsPacket.encode({ ...reply, flags: (reply.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [], additionals: [] });
    }
    return out;
  }

  private servfail(q: dnsPacket.DecodedPacket): Buffer {
    return dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_AVAILABLE | RCODE.SERVFAIL, questions: q.questions ?? [] });
  }

  private async forward(msg: Buffer, q: dnsPacket.DecodedPacket, transport: 'udp' | 'tcp'): Promise<Buffer> {
    for (const up of this.opts.upstreams) {
      try {
        return transport === 'udp' ? await this.forwardUdp(msg, up) : await this.forwardTcp(msg, up);
      } catch (e) {
        this.log.debug('dns upstream failed', { upstream: `${up.host}:${up.port}`, error: (e as Error).message });
      }
    }
    return this.servfail(q);
  }

  private forwardUdp(msg: Buffer, up: Upstream): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const s = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
      const timer = setTimeout(() => { s.close(); reject(new Error('timeout')); }, this.opts.upstreamTimeoutMs ?? 2000);
      s.on('error', (e) => { clearTimeout(timer); s.close(); reject(e); });
      s.on('message', (reply) => {
        if (reply.length < 2 || reply.readUInt16BE(0) !== msg.readUInt16BE(0)) return;
        clearTimeout(timer);
        s.close();
        resolve(reply);
      });
      s.send(msg, up.port, up.host);
    });
  }

  private forwardTcp(msg: Buffer, up: Upstream): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const s = connect(up.port, up.host);
      const timer = setTimeout(() => { s.destroy(); reject(new Error('timeout')); }, this.opts.upstreamTimeoutMs ?? 2000);
      let buf = Buffer.alloc(0);
      s.on('error', (e) => { clearTimeout(timer); reject(e); });
      s.on('connect', () => {
        const hdr = Buffer.alloc(2);
        hdr.writeUInt16BE(msg.length);
        s.write(Buffer.concat([hdr, msg]));
      });
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          s.destroy();
          resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        }
      });
    });
  }
}
