import type { KObject } from '@skiff/api';
import type { PodStreams } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import type { Request, Response } from 'express';
import type { WebSocketServer } from 'ws';
import type { AgentTunnels } from './agent-tunnels';
import { servePodExec } from './pod-exec';
import { servePodLogs } from './pod-logs';
import { servePodPortForward } from './pod-port-forward';
import { createWebSocketServer } from './websocket-accept';

/**
 * The apiserver's PodStreams, served by the pods' agents through their
 * stream tunnels: pods/log (chunked text), pods/exec and pods/attach
 * (WebSocket channel protocol), pods/portforward (SPDY/3.1, in a WebSocket or
 * after a direct upgrade).
 */
export class PodStreamsService implements PodStreams {
  private readonly wss: WebSocketServer;
  private readonly open = new Set<() => void>();
  private readonly log: Logger;

  constructor(private readonly tunnels: AgentTunnels, log: Logger) {
    this.log = log.child({ component: 'pod-streams' });
    this.wss = createWebSocketServer();
  }

  async handle(kind: 'log' | 'exec' | 'attach' | 'portforward', req: Request, res: Response, pod: KObject): Promise<void> {
    const track = (close: () => void): (() => void) => {
      this.open.add(close);
      return () => this.open.delete(close);
    };
    switch (kind) {
      case 'log': {
        const untrack = track(() => res.destroy());
        res.on('close', untrack);
        await servePodLogs(this.tunnels, req, res, pod);
        return;
      }
      case 'exec':
      case 'attach':
        await servePodExec(kind, this.tunnels, this.wss, req, res, pod, track);
        this.log.info(`${kind} session`, { pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
        return;
      case 'portforward':
        await servePodPortForward(this.tunnels, this.wss, req, res, pod, this.log, track);
        this.log.info('port-forward session', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, transport: req.headers.upgrade });
        return;
    }
  }

  /** Ends every open stream (the master is stopping). */
  close(): void {
    for (const c of [...this.open]) c();
    this.open.clear();
    this.wss.close();
  }
}
