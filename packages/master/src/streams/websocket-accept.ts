import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

const PROTOCOL = Symbol('skiff.websocketProtocol');
type Carrier = IncomingMessage & { [PROTOCOL]?: string };

/** A WebSocketServer for upgrades the apiserver hands over (no HTTP server of its own). */
export function createWebSocketServer(): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 });
  wss.on('headers', (headers: string[], req: IncomingMessage) => {
    const p = (req as Carrier)[PROTOCOL];
    if (p) headers.push(`Sec-WebSocket-Protocol: ${p}`);
  });
  return wss;
}

/**
 * Completes the handshake naming `protocol` in the 101, which kubectl
 * requires. The chosen protocol is echoed by us rather than negotiated by ws,
 * which refuses `SPDY/3.1+portforward.k8s.io` ('/' is not an RFC 7230 token
 * character, but kubectl and kube-apiserver use it).
 */
export function acceptWebSocket(
  wss: WebSocketServer, req: IncomingMessage, up: { socket: Duplex; head: Buffer }, protocol: string, cb: (ws: WebSocket) => void,
): void {
  (req as Carrier)[PROTOCOL] = protocol;
  delete req.headers['sec-websocket-protocol'];
  wss.handleUpgrade(req, up.socket, up.head, cb);
}
