import { StatusError, type KObject } from '@skiff/api';
import type { Request, Response } from 'express';
import type { LogsRequest } from '@skiff/rpc';
import type { AgentTunnels } from './agent-tunnels';
import { checkLogsAvailable, containerOf, nodeOf, targetOf } from './pod-target';
import { q, qBool, qInt } from './query';

/** GET pods/<name>/log parameters, checked as kube-apiserver checks them. */
export function logsRequestOf(req: Request, pod: KObject): LogsRequest {
  const container = containerOf(pod, q(req, 'container'));
  const sinceTime = q(req, 'sinceTime') ?? '';
  if (sinceTime && Number.isNaN(Date.parse(sinceTime))) throw StatusError.badRequest(`sinceTime: Invalid value: "${sinceTime}": must be an RFC 3339 time`);
  const sinceSeconds = qInt(req, 'sinceSeconds', 1);
  if (sinceSeconds !== undefined && sinceTime) throw StatusError.badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
  return {
    target: targetOf(pod, container),
    follow: qBool(req, 'follow'),
    tail_lines: qInt(req, 'tailLines', 0) ?? -1,
    since_seconds: sinceSeconds ?? 0,
    since_time: sinceTime,
    timestamps: qBool(req, 'timestamps'),
    previous: qBool(req, 'previous'),
    limit_bytes: qInt(req, 'limitBytes', 1) ?? 0,
  };
}

/**
 * `kubectl logs`: 200 text/plain, the container's bytes streamed unchanged
 * (chunked) until the agent's stream ends, or until the client goes away.
 */
export async function servePodLogs(tunnels: AgentTunnels, req: Request, res: Response, pod: KObject): Promise<void> {
  const params = logsRequestOf(req, pod);
  checkLogsAvailable(pod, params.target!.container, params.previous);
  const session = await tunnels.open(nodeOf(pod), 'logs', params);
  res.on('close', () => session.end());
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  session.onFrame((f) => {
    if (f.frame !== 'stdout' || !f.stdout?.length || res.destroyed) return;
    if (!res.write(f.stdout)) {
      session.pause();
      res.once('drain', () => session.resume());
    }
  });
  session.onEnd(() => res.end());
}
