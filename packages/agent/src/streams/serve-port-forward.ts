import { connect, type Socket } from 'node:net';
import type { MasterFrame, PortForwardRequest } from '@skiff/rpc';
import type { PodWorkers } from '../pods/pod-worker';
import type { Runtime } from '../runtime/runtime';
import { podAddress, podOf } from './pod-lookup';
import { StreamCallError, type ServeCall } from './serve-call';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One forwarded connection: a TCP connection from this node to the pod's
 * address and port, relayed both ways with half-close: `close_stdin` ends our
 * writes to the pod, the pod closing its side ends our half of the call, and
 * the session is over when the socket is closed both ways (or the master ends it).
 */
export async function servePortForward(deps: { workers: PodWorkers; runtime: Runtime }, call: ServeCall, req: PortForwardRequest): Promise<void> {
  const pod = podOf(deps.workers, req.target);
  const port = req.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StreamCallError('BadRequest', `invalid port ${port}`);
  const host = await podAddress(deps.workers, deps.runtime, pod);
  const sock = await dial(host, port).catch((e: Error) => {
    throw new StreamCallError('InternalError', `error forwarding port ${port} to pod ${pod.metadata?.uid}, uid : ${e.message}`);
  });
  const failed = new Promise<Error | undefined>((resolve) => {
    sock.once('error', (e) => resolve(e));
    sock.once('close', () => resolve(undefined));
  });
  void call.closed.then(() => sock.destroy());
  call.onFrame((f: MasterFrame) => {
    if (f.frame === 'stdin' && f.stdin && sock.writable) {
      if (!sock.write(f.stdin)) {
        call.call.pause();
        sock.once('drain', () => call.call.resume());
      }
    } else if (f.frame === 'close_stdin') {
      sock.end();
    }
  });
  await call.send({ ready: {} });
  // Pod -> client until the pod closes its side; then our half of the call ends (the master
  // sends the client a FIN) while client -> pod goes on until close_stdin and the socket closes.
  await call.pump(sock, 'stdout');
  const err = await Promise.race([failed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
  if (err) {
    call.fail(new StreamCallError('InternalError', `error forwarding port ${port} to pod ${pod.metadata?.uid}: ${err.message}`));
    return;
  }
  call.end();
  await Promise.race([failed, call.closed]);
}

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port, allowHalfOpen: true });
    const t = setTimeout(() => { sock.destroy(); reject(new Error(`dial tcp ${host}:${port}: i/o timeout`)); }, CONNECT_TIMEOUT_MS);
    sock.once('connect', () => { clearTimeout(t); sock.removeAllListeners('error'); resolve(sock); });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      reject(new Error(`dial tcp ${host}:${port}: connect: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.message}`));
    });
  });
}
