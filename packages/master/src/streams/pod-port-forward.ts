import type { Duplex } from 'node:stream';
import { StatusError, type KObject } from '@skiff/api';
import { takeUpgrade } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import type { Request, Response } from 'express';
import { createWebSocketStream, type WebSocketServer } from 'ws';
import type { AgentSession, AgentTunnels } from './agent-tunnels';
import { offeredProtocols } from './channel-protocol';
import { isWebSocketUpgrade } from './pod-exec';
import { nodeOf, targetOf } from './pod-target';
import { SpdySession, type SpdyStream } from './spdy/spdy-session';
import { acceptWebSocket } from './websocket-accept';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** kubectl 1.31+: a WebSocket whose binary messages carry a raw SPDY/3.1 connection. */
export const WEBSOCKET_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

/** How long the error and data streams of one forwarded connection may take to both arrive. */
const PAIR_TIMEOUT_MS = 30_000;

/**
 * `kubectl port-forward`: a SPDY/3.1 connection (inside a WebSocket, or after
 * a direct `Upgrade: SPDY/3.1`), on which the client opens an `error` and a
 * `data` stream per local connection (headers streamType, port, requestID).
 * Each pair becomes one port_forward session with the pod's node.
 */
export async function servePodPortForward(
  tunnels: AgentTunnels, wss: WebSocketServer, req: Request, res: Response, pod: KObject, log: Logger,
  track: (close: () => void) => () => void,
): Promise<void> {
  const node = nodeOf(pod);
  const forward = (spdy: SpdySession): void => {
    const untrack = track(() => spdy.close());
    spdy.on('close', untrack);
    const pairs = new PairTable((pair) => void forwardPair(tunnels, node, pod, pair, log));
    spdy.on('stream', (s: SpdyStream) => pairs.add(s));
    spdy.on('close', () => pairs.close());
  };

  if (isWebSocketUpgrade(req)) {
    if (!offeredProtocols(req.headers['sec-websocket-protocol']).includes(WEBSOCKET_PORT_FORWARD_PROTOCOL)) {
      throw StatusError.badRequest(`unable to upgrade connection: port-forward over WebSocket needs the subprotocol ${WEBSOCKET_PORT_FORWARD_PROTOCOL}`);
    }
    const up = upgradeOf(req, res);
    acceptWebSocket(wss, req, up, WEBSOCKET_PORT_FORWARD_PROTOCOL, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      forward(new SpdySession(stream));
    });
    return;
  }
  if (String(req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1') {
    const versions = String(req.headers['x-stream-protocol-version'] ?? '').split(',').map((v) => v.trim());
    if (!versions.includes(PORT_FORWARD_PROTOCOL)) {
      throw StatusError.badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [${PORT_FORWARD_PROTOCOL}]`);
    }
    const up = upgradeOf(req, res);
    up.socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`);
    const spdy = new SpdySession(up.socket);
    forward(spdy);
    spdy.feed(up.head);
    return;
  }
  throw StatusError.badRequest('Upgrade request required');
}

function upgradeOf(req: Request, res: Response): { socket: Duplex; head: Buffer } {
  const up = takeUpgrade(req, res);
  if (!up) throw StatusError.badRequest('Upgrade request required: this connection cannot be upgraded');
  return up;
}

interface Pair { port: number; requestId: string; error: SpdyStream; data: SpdyStream }

/** Matches each connection's error and data streams by requestID (by port for clients without one). */
class PairTable {
  private readonly half = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();

  constructor(private readonly onPair: (p: Pair) => void) {}

  add(s: SpdyStream): void {
    const type = s.headers.streamtype;
    const port = Number(s.headers.port);
    // The client waits for the reply before it uses (or gives up on) a stream.
    s.reply();
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      s.end(type === 'error' ? `invalid port or stream type (streamType=${String(type)}, port=${String(s.headers.port)})` : undefined);
      return;
    }
    const key = `${s.headers.requestid ?? ''}/${port}`;
    let h = this.half.get(key);
    if (!h) {
      h = { timer: setTimeout(() => this.expire(key), PAIR_TIMEOUT_MS) };
      this.half.set(key, h);
    }
    h[type] = s;
    if (h.error && h.data) {
      clearTimeout(h.timer);
      this.half.delete(key);
      this.onPair({ port, requestId: s.headers.requestid ?? '', error: h.error, data: h.data });
    }
  }

  close(): void {
    for (const h of this.half.values()) clearTimeout(h.timer);
    this.half.clear();
  }

  private expire(key: string): void {
    const h = this.half.get(key);
    this.half.delete(key);
    if (!h) return;
    h.error?.end('timed out waiting for the data stream');
    h.data?.reset();
  }
}

/** Relays one forwarded connection; errors go to the error stream, as the kubelet reports them. */
async function forwardPair(tunnels: AgentTunnels, node: string, pod: KObject, pair: Pair, log: Logger): Promise<void> {
  const { error, data, port } = pair;
  error.on('error', () => undefined);
  data.on('error', () => undefined);
  error.resume();
  let session: AgentSession;
  try {
    session = await tunnels.open(node, 'port_forward', { target: targetOf(pod, ''), port });
  } catch (e) {
    error.end((e as Error).message);
    data.end();
    return;
  }
  // The pod may stop sending before the client does (a half-close): the data stream then gets
  // its FIN, but the error stream stays open until the client is done too, because kubectl
  // drops the whole connection as soon as the error stream ends.
  session.holdOpenAfterAgentEnd();
  let failure = '';
  let agentDone = false;
  let clientDone = false;
  let finished = false;
  const finish = (): void => {
    if (!agentDone || !clientDone || finished) return;
    finished = true;
    if (failure) log.info('port-forward connection failed', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, port, error: failure });
    if (failure) error.end(failure); else error.end();
    session.end();
  };
  data.on('data', (chunk: Buffer) => {
    if (!session.write({ stdin: chunk })) {
      data.pause();
      void session.drained().then(() => data.resume());
    }
  });
  data.on('end', () => {
    session.write({ close_stdin: {} });
    clientDone = true;
    finish();
  });
  data.on('close', () => {
    // Reset by the client, or the whole connection went away.
    clientDone = true;
    agentDone = true;
    finish();
  });
  session.onFrame((f) => {
    if (f.frame === 'stdout' && f.stdout?.length && data.writable) {
      if (!data.write(f.stdout)) {
        session.pause();
        data.once('drain', () => session.resume());
      }
    } else if (f.frame === 'failure') {
      failure = f.failure?.message ?? 'port-forward failed on the node';
    }
  });
  session.onEnd((err) => {
    agentDone = true;
    if (err && !failure) failure = `error forwarding port ${port}: ${err.message}`;
    if (data.writable) data.end();
    // A failure ends the connection at once; so does a session the agent lost.
    if (failure) clientDone = true;
    finish();
  });
}
