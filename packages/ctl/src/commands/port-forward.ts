/**
 * skiffctl port-forward (pod/NAME | NAME | deployment/NAME | svc/NAME) [LOCAL:]REMOTE...
 * One WebSocket (`SPDY/3.1+portforward.k8s.io`) to pods/NAME/portforward carries a SPDY
 * connection; each local TCP connection opens an error and a data stream.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import WebSocket from 'ws';
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { Pod, podForObject, podPath } from './exec-pod-target';
import { connectionError, connectionOptions, statusError, untilInterrupted } from './logs-stream';
import { SpdyClient } from './port-forward-spdy';

export const PORT_FORWARD_WS_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

interface PortPair { local: number; remote: number; remoteText: string }

function parsePort(s: string, what: 'local' | 'remote'): number {
  if (!/^\d+$/.test(s)) throw cliError(`error parsing ${what} port '${s}': strconv.ParseUint: parsing "${s}": invalid syntax`);
  const n = Number(s);
  if (n > 65535) throw cliError(`error parsing ${what} port '${s}': strconv.ParseUint: parsing "${s}": value out of range`);
  return n;
}

type Svc = { spec?: { ports?: { port?: number; targetPort?: number | string; name?: string }[] }; metadata?: { name?: string } };

/** The container port a remote spec names: a number, a named container port, or (for services) a service port's target. */
function remotePort(spec: string, pod: Pod, svc: Svc | undefined): number {
  if (svc) {
    const num = /^\d+$/.test(spec) ? Number(spec) : undefined;
    const sp = (svc.spec?.ports ?? []).find((p) => (num !== undefined ? p.port === num : p.name === spec));
    if (!sp) throw cliError(`Service ${svc.metadata?.name ?? ''} does not have a service port ${spec}`);
    const tp = sp.targetPort ?? sp.port ?? 0;
    if (typeof tp === 'number') return tp;
    if (/^\d+$/.test(tp)) return Number(tp);
    return namedPort(tp, pod);
  }
  if (/^\d+$/.test(spec)) return parsePort(spec, 'remote');
  return namedPort(spec, pod);
}

function namedPort(name: string, pod: Pod): number {
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === name && p.containerPort) return p.containerPort;
  throw cliError(`Pod '${pod.metadata.name}' does not have a named port '${name}'`);
}

export async function portForward(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length < 2) throw new CliError("error: TYPE/NAME and list of ports are required for port-forward\nSee 'kubectl port-forward -h' for help and examples");
  const ns = ctx.namespace;
  const resolved = await podForObject(ctx, args[0] as string, ns);
  const { pod } = resolved;
  const svc = resolved.resource.resource === 'services' && resolved.resource.group === '' ? resolved.object as Svc : undefined;
  const pairs: PortPair[] = args.slice(1).map((a) => {
    const parts = a.split(':');
    if (parts.length > 2) throw cliError(`invalid port format '${a}'`);
    const localText = parts.length === 2 ? parts[0] as string : (parts[0] as string);
    const remoteText = parts.length === 2 ? parts[1] as string : (parts[0] as string);
    // the local port is checked first, as kubectl's parsePorts does (a named single port forwards from its number)
    const named = parts.length === 1 && !/^\d+$/.test(localText);
    const local = parts.length === 2 && localText === '' ? 0 : named ? undefined : parsePort(localText, 'local');
    const remote = remotePort(remoteText, pod, svc);
    return { local: local ?? remote, remote, remoteText };
  });
  if (pod.status?.phase !== 'Running') throw cliError(`unable to forward port because pod is not running. Current status=${pod.status?.phase ?? ''}`);
  const addresses = ctx.flags.arr('address').flatMap((a) => a.split(',')).filter(Boolean);
  const hosts = addresses.length === 0 || (addresses.length === 1 && addresses[0] === 'localhost') ? ['127.0.0.1', '::1'] : addresses.map((a) => (a === 'localhost' ? '127.0.0.1' : a));

  // the tunnel first, as kubectl opens it before listening
  const ws = await openWebSocket(ctx, podPath(pod.metadata.namespace ?? ns, pod.metadata.name, 'portforward'), PORT_FORWARD_WS_PROTOCOL);
  const spdy = new SpdyClient((b) => { if (ws.readyState === WebSocket.OPEN) ws.send(b, { binary: true }); });
  ws.on('message', (d: Buffer) => spdy.feed(d));

  const servers: net.Server[] = [];
  let requestId = 0;
  let fail: ((e: Error) => void) | undefined;
  const failed = new Promise<never>((_res, rej) => { fail = rej; });
  failed.catch(() => undefined);
  const lost = (): void => fail?.(new CliError('error: lost connection to pod'));
  ws.on('close', lost);
  ws.on('error', lost);
  spdy.on('goaway', lost);

  const handle = (sock: net.Socket, p: PortPair): void => {
    ctx.out(`Handling connection for ${p.local}\n`);
    const id = String(requestId++);
    const errStream = spdy.open({ streamtype: 'error', port: String(p.remote), requestid: id });
    errStream.end();
    const data = spdy.open({ streamtype: 'data', port: String(p.remote), requestid: id });
    let errText = '';
    errStream.on('data', (b) => { errText += b.toString('utf8'); });
    errStream.on('end', () => {
      if (!errText) return;
      const now = new Date();
      const pad = (n: number, l = 2): string => String(n).padStart(l, '0');
      const stamp = `E${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`;
      ctx.err(`${stamp} ${String(process.pid).padStart(7)} portforward.go:424] "Unhandled Error" err="an error occurred forwarding ${p.local} -> ${p.remote}: ${errText.replace(/"/g, '\\"')}"\n`);
      sock.destroy();
      data.reset();
      // kubectl 1.32 drops the whole tunnel after a forwarding error
      lost();
      ws.close();
    });
    data.on('data', (b) => { if (!sock.destroyed) sock.write(b); });
    data.on('end', () => { if (!sock.destroyed) sock.end(); });
    data.on('reset', () => sock.destroy());
    sock.on('data', (b: Buffer) => data.write(b));
    sock.on('end', () => data.end());
    sock.on('error', () => data.reset());
  };

  for (const p of pairs) {
    let port = p.local;
    let listened = 0;
    const failures: string[] = [];
    for (const host of hosts) {
      const srv = net.createServer((s) => handle(s, { ...p, local: port }));
      const ok = await new Promise<boolean>((resolve) => {
        srv.once('error', () => resolve(false));
        srv.listen({ host, port, exclusive: true }, () => resolve(true));
      });
      const v6 = host.includes(':');
      if (!ok) {
        failures.push(`unable to create listener: Error listen tcp${v6 ? '6' : '4'} ${v6 ? `[${host}]` : host}:${port}: bind: address already in use`);
        continue;
      }
      listened++;
      servers.push(srv);
      port = (srv.address() as net.AddressInfo).port;
      ctx.out(`Forwarding from ${v6 ? `[${host}]` : host}:${port} -> ${p.remote}\n`);
    }
    if (listened === 0) {
      ws.close();
      for (const srv of servers) srv.close();
      ctx.err(`Unable to listen on port ${p.local}: Listeners failed to create with the following errors: [${failures.join(' ')}]\n`);
      throw cliError(`unable to listen on any of the requested ports: [{${p.local} ${p.remote}}]`);
    }
  }
  const close = (): void => {
    for (const s of servers) s.close();
    ws.close();
  };
  try {
    await untilInterrupted(failed, close, 'resolve');
    return 0;
  } finally {
    close();
  }
}

/**
 * A client WebSocket with a subprotocol the `ws` client refuses to offer (`SPDY/3.1+...` has
 * a `/`): the upgrade is made here, then the socket is handed to a `ws` WebSocket in client mode.
 */
export function openWebSocket(ctx: Ctx, path: string, protocol: string): Promise<WebSocket> {
  const { url, tls, headers } = connectionOptions(ctx, path);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, {
      ...tls, method: 'GET', agent: false,
      headers: {
        ...headers, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': protocol,
      },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(statusError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
    });
    req.on('upgrade', (res, socket, head) => {
      if (String(res.headers['sec-websocket-protocol'] ?? '') !== protocol) {
        socket.destroy();
        reject(cliError(`unable to upgrade connection: the server did not agree to ${protocol}`));
        return;
      }
      const ws = new WebSocket(null as unknown as string, undefined, {});
      (ws as unknown as { _isServer: boolean })._isServer = false;
      (ws as unknown as { setSocket: (s: net.Socket, h: Buffer, o: Record<string, unknown>) => void }).setSocket(socket as net.Socket, head, { maxPayload: 0, allowSynchronousEvents: true });
      resolve(ws);
    });
    req.on('error', (err: NodeJS.ErrnoException) => reject(connectionError(url, err)));
    req.end();
  });
}
