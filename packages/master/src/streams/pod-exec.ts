import { StatusError, type KObject } from '@skiff/api';
import { takeUpgrade } from '@skiff/apiserver';
import type { Request, Response } from 'express';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ExecRequest } from '@skiff/rpc';
import type { AgentSession, AgentTunnels } from './agent-tunnels';
import {
  CHANNEL_PROTOCOLS, ERROR, STDERR, STDIN, STDOUT, channelMessage, exitStatus, failureStatus, offeredProtocols, parseClientMessage,
  pickProtocol, type ChannelProtocol,
} from './channel-protocol';
import { pickSpdyExecProtocol, serveSpdyExec, SPDY_EXEC_PROTOCOLS } from './pod-exec-spdy';
import { checkNotCompleted, containerOf, nodeOf, targetOf } from './pod-target';
import { acceptWebSocket } from './websocket-accept';
import { q, qAll, qBool } from './query';

/** Output waiting in the WebSocket above this pauses the agent. */
const WS_HIGH_WATER = 1 << 20;

/** exec/attach parameters as kubectl sends them (`command` repeated, stdin/stdout/stderr/tty flags). */
export function execRequestOf(kind: 'exec' | 'attach', req: Request, pod: KObject): ExecRequest {
  const container = containerOf(pod, q(req, 'container'));
  checkNotCompleted(pod, kind);
  const command = qAll(req, 'command');
  if (kind === 'exec' && command.length === 0) throw StatusError.badRequest('you must specify at least 1 command');
  const r: ExecRequest = {
    target: targetOf(pod, container), command: kind === 'exec' ? command : [], attach: kind === 'attach',
    stdin: qBool(req, 'stdin'), stdout: qBool(req, 'stdout'), stderr: qBool(req, 'stderr'), tty: qBool(req, 'tty'),
  };
  if (!r.stdin && !r.stdout && !r.stderr) throw StatusError.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  // With a terminal everything comes on stdout.
  if (r.tty) r.stderr = false;
  return r;
}

export function isWebSocketUpgrade(req: Request): boolean {
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/**
 * `kubectl exec` / `kubectl attach` over a WebSocket (v5.channel.k8s.io, or
 * v4), or over SPDY/3.1 (kubectl's fallback): the agent's session is opened
 * first, so that a refusal (no such container, not running) is an HTTP
 * Status; then the upgrade, then bytes both ways until the process ends and
 * its exit status goes out (channel 3, or the SPDY error stream).
 */
export async function servePodExec(
  kind: 'exec' | 'attach', tunnels: AgentTunnels, wss: WebSocketServer, req: Request, res: Response, pod: KObject,
  track: (close: () => void) => () => void,
): Promise<void> {
  const params = execRequestOf(kind, req, pod);
  if (String(req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1') {
    const spdyProtocol = pickSpdyExecProtocol(req.headers['x-stream-protocol-version']);
    if (!spdyProtocol) {
      throw StatusError.badRequest(`unable to upgrade: unable to negotiate protocol: client supports [${String(req.headers['x-stream-protocol-version'] ?? '')}], server supports [${SPDY_EXEC_PROTOCOLS.join(' ')}]`);
    }
    const session = await tunnels.open(nodeOf(pod), 'exec', params);
    const up = takeUpgrade(req, res);
    if (!up) {
      session.end();
      throw StatusError.badRequest('Upgrade request required: this connection cannot be upgraded');
    }
    serveSpdyExec(up.socket, up.head, spdyProtocol, session, { stdin: params.stdin, stdout: params.stdout, stderr: params.stderr, tty: params.tty }, track);
    return;
  }
  if (!isWebSocketUpgrade(req)) throw StatusError.badRequest('Upgrade request required');
  const protocol = pickProtocol(offeredProtocols(req.headers['sec-websocket-protocol']), CHANNEL_PROTOCOLS);
  // A refused WebSocket makes kubectl retry over SPDY.
  if (!protocol) throw StatusError.badRequest(`unable to upgrade connection: none of the offered subprotocols is supported (want one of ${CHANNEL_PROTOCOLS.join(', ')})`);
  const session = await tunnels.open(nodeOf(pod), 'exec', params);
  const up = takeUpgrade(req, res);
  if (!up) {
    session.end();
    throw StatusError.badRequest('Upgrade request required: this connection cannot be upgraded');
  }
  acceptWebSocket(wss, req, up, protocol, (ws) => {
    const untrack = track(() => ws.terminate());
    ws.on('close', untrack);
    bridge(ws, session, protocol, params.tty);
  });
}

/** Relays one WebSocket and one agent session until both are done. */
function bridge(ws: WebSocket, session: AgentSession, protocol: ChannelProtocol, tty: boolean): void {
  let statusSent = false;
  const send = (msg: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(msg, { binary: true }, () => {
      if (ws.bufferedAmount < WS_HIGH_WATER / 2) session.resume();
    });
    if (ws.bufferedAmount > WS_HIGH_WATER) session.pause();
  };
  const finish = (status: Record<string, unknown>): void => {
    if (statusSent) return;
    statusSent = true;
    send(channelMessage(ERROR, JSON.stringify(status)));
    // kubectl answers channel 3 with a close frame; close from our side too in case it does not.
    if (ws.readyState === ws.OPEN) ws.close(1000);
    session.end();
  };

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const buf = isBinary ? data : Buffer.from(data);
    const m = parseClientMessage(buf, protocol);
    if (m.kind === 'stdin') {
      if (!session.write({ stdin: m.data })) {
        ws.pause();
        void session.drained().then(() => ws.resume());
      }
    } else if (m.kind === 'resize') {
      session.write({ resize: { width: m.width, height: m.height } });
    } else if (m.kind === 'close' && m.channel === STDIN) {
      session.write({ close_stdin: {} });
    }
  });
  ws.on('close', () => session.end());
  ws.on('error', () => session.end());

  session.onFrame((f) => {
    if (f.frame === 'stdout' && f.stdout?.length) send(channelMessage(STDOUT, f.stdout));
    else if (f.frame === 'stderr' && f.stderr?.length) send(channelMessage(tty ? STDOUT : STDERR, f.stderr));
    else if (f.frame === 'exit') finish(exitStatus(f.exit?.exit_code ?? 0));
    else if (f.frame === 'failure') finish(failureStatus(f.failure?.message ?? 'the agent failed', f.failure?.reason || 'InternalError', f.failure?.code || 500));
  });
  session.onEnd((err) => finish(failureStatus(`the node ended the session without an exit status${err ? `: ${err.message}` : ''}`)));
}
