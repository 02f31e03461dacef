import type { LogsRequest } from '@skiff/rpc';
import type { PodWorkers } from '../pods/pod-worker';
import type { LogOptions } from '../runtime/runtime';
import { podOf } from './pod-lookup';
import { StreamCallError, type ServeCall } from './serve-call';

/** The runtime's log options for a request (since_seconds wins over since_time, as in the kubelet). */
export function logOptionsOf(req: LogsRequest, nowMs = Date.now()): LogOptions & { previous: boolean } {
  const o: LogOptions & { previous: boolean } = { follow: req.follow, timestamps: req.timestamps, previous: req.previous };
  const tail = Number(req.tail_lines);
  if (Number.isFinite(tail) && tail >= 0) o.tail = tail;
  const sinceSeconds = Number(req.since_seconds);
  if (Number.isFinite(sinceSeconds) && sinceSeconds > 0) o.since = nowMs / 1000 - sinceSeconds;
  else if (req.since_time) {
    const t = Date.parse(req.since_time);
    if (!Number.isNaN(t)) o.since = t / 1000;
  }
  return o;
}

/** Streams one container's log: `ready`, then the bytes as `stdout` frames, then the end of the call. */
export async function serveLogs(workers: PodWorkers, call: ServeCall, req: LogsRequest): Promise<void> {
  const target = req.target;
  const pod = podOf(workers, target);
  const opts = logOptionsOf(req);
  let stream;
  try {
    stream = await workers.logs(pod.metadata!.uid!, target!.container, opts);
  } catch (e) {
    throw new StreamCallError('BadRequest', (e as Error).message.replace(' in pod ', ` in pod "${target!.pod_name}" `));
  }
  if (call.isOver) {
    stream.destroy();
    return;
  }
  await call.send({ ready: {} });
  await call.pump(stream, 'stdout', Number(req.limit_bytes) || 0);
}
