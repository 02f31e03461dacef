import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { StatusError } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import { agentStreamsService, type AgentFrame, type MasterFrame, type StreamRequest } from '@skiff/rpc';
import { nodeNameOf } from '../gateway/node-identity';

/** How long an agent has to pick up a request and accept (or refuse) it. */
export const OPEN_TIMEOUT_MS = 20_000;

type Call = StreamRequest['call'] & string;
type Tunnel = grpc.ServerWritableStream<unknown, StreamRequest>;
type Duplex = grpc.ServerDuplexStream<AgentFrame, MasterFrame>;

interface Pending {
  node: string;
  resolve: (s: AgentSession) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One master -> agent call once the agent accepted it: output frames in,
 * input frames out, and one end. Flow control: `pause()` stops reading from the
 * agent (HTTP/2 then holds it up), `write()` returns false when the agent is
 * slow, like a stream.
 */
export class AgentSession {
  private frameHandler?: (f: AgentFrame) => void;
  private endHandlers: ((err?: Error) => void)[] = [];
  private buffered: AgentFrame[] = [];
  private finished = false;
  private endError?: Error;
  private ended = false;
  private keepOpen = false;

  constructor(readonly node: string, readonly id: string, private readonly call: Duplex) {
    call.on('data', (f: AgentFrame) => {
      if (this.frameHandler) this.frameHandler(f); else this.buffered.push(f);
    });
    call.on('end', () => this.finish());
    call.on('error', (e: Error) => this.finish(e));
    call.on('cancelled', () => this.finish(new Error('the agent cancelled the call')));
    call.on('close', () => this.finish());
  }

  /** Output from the agent (stdout, stderr, exit, failure, stats), in order. */
  onFrame(fn: (f: AgentFrame) => void): void {
    this.frameHandler = fn;
    const queued = this.buffered.splice(0);
    for (const f of queued) fn(f);
  }

  /**
   * The master's half stays open after the agent ends its own (port-forward:
   * the pod stopped sending, the client may still be sending); the caller ends it.
   */
  holdOpenAfterAgentEnd(): void {
    this.keepOpen = true;
  }

  /** Until the next onFrame, frames are kept (used while handing the session over). */
  holdFrames(): void {
    this.frameHandler = undefined;
  }

  /** Called once when the agent's side is over (after its last frame). */
  onEnd(fn: (err?: Error) => void): void {
    if (this.finished) {
      const err = this.endError;
      queueMicrotask(() => fn(err));
    } else {
      this.endHandlers.push(fn);
    }
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Input to the agent; still allowed after the agent ended its half when holdOpenAfterAgentEnd was asked for. */
  write(frame: MasterFrame): boolean {
    if (this.ended || this.endError || (this.finished && !this.keepOpen)) return true;
    try {
      return this.call.write(frame);
    } catch {
      return true;
    }
  }

  /** Resolves when the agent can take more input (or the session is over). */
  drained(): Promise<void> {
    return new Promise((r) => {
      const done = (): void => {
        this.call.off('drain', done);
        this.call.off('close', done);
        r();
      };
      this.call.once('drain', done);
      this.call.once('close', done);
    });
  }

  pause(): void { this.call.pause(); }
  resume(): void { this.call.resume(); }

  /** Ends the session from the master's side (the client went away, or the session is done). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.call.end();
    } catch {
      // The call is already gone.
    }
  }

  private finish(err?: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.endError = err;
    for (const h of this.endHandlers.splice(0)) h(err);
    // Our half must end too, or the call stays open; after a failure it is gone anyway.
    if (!this.keepOpen || err) queueMicrotask(() => this.end());
  }
}

/**
 * The master's side of AgentStreams: every joined agent keeps one
 * WatchStreamRequests call open (its tunnel); `open()` sends a request down the
 * node's tunnel and resolves with the ServeStream call the agent opens for it,
 * once the agent accepted. Nodes are named by their verified certificates, and
 * a session is only handed to the node it was sent to.
 */
export class AgentTunnels {
  private readonly tunnels = new Map<string, Tunnel>();
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;
  private closed = false;

  constructor(log: Logger) {
    this.log = log.child({ component: 'agent-tunnels' });
  }

  /** The service to add to the agent gateway's gRPC server. */
  service(): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
    return {
      definition: agentStreamsService(),
      implementation: {
        WatchStreamRequests: (call: Tunnel) => this.watch(call),
        ServeStream: (call: Duplex) => this.serve(call),
      },
    };
  }

  /** Nodes with an open tunnel. */
  nodes(): string[] {
    return [...this.tunnels.keys()];
  }

  isConnected(node: string): boolean {
    return this.tunnels.has(node);
  }

  /**
   * Asks `node` to serve a call; resolves once it is accepted. Rejects with the
   * agent's Status (BadRequest, NotFound...) or ServiceUnavailable when the node
   * has no tunnel or does not answer.
   */
  open(node: string, call: Call, body: NonNullable<StreamRequest[Call]>, timeoutMs = OPEN_TIMEOUT_MS): Promise<AgentSession> {
    const tunnel = this.tunnels.get(node);
    if (!tunnel || this.closed) {
      return Promise.reject(new StatusError(503, 'ServiceUnavailable', `node "${node}" has no stream connection to skiff-master (is its skiff-agent running and joined?)`));
    }
    const id = randomBytes(12).toString('hex');
    return new Promise<AgentSession>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StatusError(503, 'ServiceUnavailable', `node "${node}" did not answer the ${call} request within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      this.pending.set(id, { node, resolve, reject, timer });
      tunnel.write({ session_id: id, [call]: body } as StreamRequest);
    });
  }

  close(): void {
    this.closed = true;
    for (const t of this.tunnels.values()) t.end();
    this.tunnels.clear();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new StatusError(503, 'ServiceUnavailable', 'skiff-master is shutting down'));
      this.pending.delete(id);
    }
  }

  private watch(call: Tunnel): void {
    let node: string;
    try {
      node = nodeNameOf(call);
    } catch (e) {
      call.destroy(Object.assign(new Error((e as Error).message), { code: grpc.status.UNAUTHENTICATED, details: (e as Error).message }));
      return;
    }
    if (this.closed) {
      call.destroy(Object.assign(new Error('shutting down'), { code: grpc.status.UNAVAILABLE, details: 'skiff-master is shutting down' }));
      return;
    }
    const previous = this.tunnels.get(node);
    this.tunnels.set(node, call);
    if (previous) previous.end();
    call.sendMetadata(new grpc.Metadata());
    this.log.info('agent stream tunnel opened', { node });
    let gone = false;
    const drop = (): void => {
      if (gone) return;
      gone = true;
      if (this.tunnels.get(node) === call) {
        this.tunnels.delete(node);
        this.log.info('agent stream tunnel closed', { node });
      }
    };
    call.on('cancelled', drop);
    call.on('close', drop);
    call.on('error', drop);
    call.on('finish', drop);
  }

  private serve(call: Duplex): void {
    let node: string;
    try {
      node = nodeNameOf(call);
    } catch (e) {
      call.destroy(Object.assign(new Error((e as Error).message), { code: grpc.status.UNAUTHENTICATED, details: (e as Error).message }));
      return;
    }
    call.on('error', () => undefined);
    const reject = (code: grpc.status, details: string): void => {
      call.destroy(Object.assign(new Error(details), { code, details }));
    };
    call.once('data', (first: AgentFrame) => {
      const id = first.open?.session_id ?? '';
      const p = this.pending.get(id);
      if (!p) { reject(grpc.status.NOT_FOUND, `no pending stream session "${id}" (it timed out or was never requested)`); return; }
      if (p.node !== node) { reject(grpc.status.PERMISSION_DENIED, `stream session "${id}" belongs to another node`); return; }
      this.pending.delete(id);
      const session = new AgentSession(node, id, call);
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(p.timer);
        fn();
      };
      // The first frame after `open` decides: `ready` hands the session over, `failure` refuses.
      session.onFrame((f) => {
        if (settled) return;
        if (f.frame === 'ready') {
          session.holdFrames();
          settle(() => p.resolve(session));
        } else if (f.frame === 'failure') {
          const fl = f.failure!;
          settle(() => p.reject(new StatusError(fl.code || 500, (fl.reason || 'InternalError') as StatusError['reason'], fl.message)));
          session.end();
        }
      });
      session.onEnd((err) => settle(() => p.reject(new StatusError(503, 'ServiceUnavailable', `node "${node}" ended the session before accepting it${err ? `: ${err.message}` : ''}`))));
    });
  }
}
