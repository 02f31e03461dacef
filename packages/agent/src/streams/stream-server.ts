import * as grpc from '@grpc/grpc-js';
import type Docker from 'dockerode';
import { agentStreamsClientClass, type AgentFrame, type MasterFrame, type StreamRequest } from '@skiff/rpc';
import type { NodeCredentials } from '../gateway-client/gateway-client';
import type { Logger } from '../logger';
import type { PodWorkers } from '../pods/pod-worker';
import type { Runtime } from '../runtime/runtime';
import { ServeCall, StreamCallError } from './serve-call';
import { serveExec } from './serve-exec';
import { serveLogs } from './serve-logs';
import { servePortForward } from './serve-port-forward';
import { StatsCollector } from './stats-collector';

const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 15_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': 10_000,
};

export interface StreamServerOptions {
  /** host:port of the master's agent gateway (AgentStreams is served there too). */
  gateway: string;
  creds: NodeCredentials;
  workers: PodWorkers;
  runtime: Runtime;
  docker: Docker;
  log: Logger;
}

type RawClient = grpc.Client & {
  WatchStreamRequests(req: unknown): grpc.ClientReadableStream<StreamRequest>;
  ServeStream(): grpc.ClientDuplexStream<AgentFrame, MasterFrame>;
};

/**
 * The agent's side of AgentStreams: keeps WatchStreamRequests open to the
 * master (reopened with back-off) and serves each request it receives -
 * logs, exec, attach, port-forward, stats - on a ServeStream call of its own.
 */
export class StreamServer {
  private readonly client: RawClient;
  private readonly stats: StatsCollector;
  private readonly active = new Set<ServeCall>();
  private watch?: grpc.ClientReadableStream<StreamRequest>;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(private readonly opts: StreamServerOptions) {
    const Client = agentStreamsClientClass();
    const creds = grpc.credentials.createSsl(Buffer.from(opts.creds.ca), Buffer.from(opts.creds.key), Buffer.from(opts.creds.cert));
    this.client = new Client(opts.gateway, creds, CHANNEL_OPTIONS) as unknown as RawClient;
    this.stats = new StatsCollector({ runtime: opts.runtime, pods: () => opts.workers.pods() });
  }

  start(): void {
    this.loop = this.connectLoop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.cancel();
    this.wake?.();
    for (const c of this.active) c.call.cancel();
    await this.loop;
    this.client.close();
  }

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const connected = await this.watchOnce();
      if (this.stopped) break;
      attempt = connected ? 0 : attempt + 1;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** attempt) * (0.8 + Math.random() * 0.4);
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wake = () => { clearTimeout(t); r(); };
      });
    }
  }

  /** One WatchStreamRequests call until it ends; true if the master accepted it. */
  private watchOnce(): Promise<boolean> {
    return new Promise((resolve) => {
      let connected = false;
      const w = this.client.WatchStreamRequests({});
      this.watch = w;
      w.on('metadata', () => {
        if (!connected) this.opts.log.info('serving master -> agent streams (logs, exec, attach, port-forward, stats)');
        connected = true;
      });
      w.on('data', (req: StreamRequest) => { connected = true; void this.serve(req); });
      let done = false;
      const end = (err?: grpc.ServiceError): void => {
        if (done) return;
        done = true;
        if (err && !this.stopped && err.code !== grpc.status.CANCELLED) this.opts.log.warn('stream request watch ended', { error: err.details || err.message });
        resolve(connected);
      };
      w.on('error', end);
      w.on('end', () => end());
    });
  }

  private async serve(req: StreamRequest): Promise<void> {
    const raw = this.client.ServeStream();
    const call = new ServeCall(raw);
    raw.on('error', () => undefined);
    this.active.add(call);
    const log = this.opts.log.child({ session: req.session_id, call: req.call });
    try {
      await call.send({ open: { session_id: req.session_id } });
      switch (req.call) {
        case 'logs':
          await serveLogs(this.opts.workers, call, req.logs!);
          break;
        case 'exec':
          await serveExec(this.opts, call, req.exec!);
          break;
        case 'port_forward':
          await servePortForward(this.opts, call, req.port_forward!);
          break;
        case 'stats':
          await call.send({ ready: {} });
          await call.send({ stats: await this.stats.collect() });
          break;
        default:
          throw new StreamCallError('BadRequest', `unknown stream request ${String(req.call)}`);
      }
    } catch (e) {
      const err = e instanceof StreamCallError ? e : new StreamCallError('InternalError', (e as Error).message);
      if (err.reason === 'InternalError') log.warn('stream request failed', { error: err.message });
      call.fail(err);
    } finally {
      call.end();
      // The master finishes the call when it sees our end; do not wait for it forever.
      const t = setTimeout(() => raw.cancel(), 30_000);
      void call.closed.then(() => { clearTimeout(t); this.active.delete(call); });
    }
  }
}
