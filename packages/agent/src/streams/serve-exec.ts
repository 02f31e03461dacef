import { PassThrough, Readable, type Writable } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecRequest, MasterFrame } from '@skiff/rpc';
import type { PodWorkers } from '../pods/pod-worker';
import { demux } from '../runtime/docker-stream';
import type { ExecSession, Runtime } from '../runtime/runtime';
import { podOf, runningContainer } from './pod-lookup';
import { StreamCallError, type ServeCall } from './serve-call';

/** What exec and attach share: a process with optional stdin, two outputs, a terminal size and an end. */
type Process = Pick<ExecSession, 'stdin' | 'stdout' | 'stderr' | 'resize' | 'wait' | 'kill'>;

/**
 * Runs a command in a container (or attaches to its main process) and relays
 * stdin, resize, stdout and stderr until the process ends; then sends `exit`.
 */
export async function serveExec(deps: { workers: PodWorkers; runtime: Runtime; docker: Docker }, call: ServeCall, req: ExecRequest): Promise<void> {
  const pod = podOf(deps.workers, req.target);
  const target = req.target!;
  const container = await runningContainer(deps.runtime, target);
  let proc: Process;
  try {
    proc = req.attach
      ? await attach(deps.docker, container.id, req)
      : await deps.workers.exec(pod.metadata!.uid!, target.container, { cmd: req.command, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr && !req.tty, tty: req.tty });
  } catch (e) {
    throw new StreamCallError('InternalError', `failed to ${req.attach ? 'attach to' : 'exec in'} container ${target.container}: ${(e as Error).message}`);
  }
  relayInput(call, proc);
  let exited = false;
  void call.closed.then(() => {
    proc.stdin?.end();
    proc.stdout.destroy();
    proc.stderr.destroy();
    // The client went away first (kubectl killed, connection lost): the command
    // must not outlive its session, as with the kubelet's CRI exec.
    if (!exited) proc.kill?.().catch(() => undefined);
  });
  await call.send({ ready: {} });
  await Promise.all([call.pump(proc.stdout, 'stdout'), call.pump(proc.stderr, 'stderr')]);
  if (call.isOver) return;
  const code = await proc.wait();
  exited = true;
  await call.send({ exit: { exit_code: code } });
}

function relayInput(call: ServeCall, proc: Process): void {
  const stdin = proc.stdin;
  call.onFrame((f: MasterFrame) => {
    if (f.frame === 'stdin' && f.stdin && stdin && !stdin.writableEnded) {
      if (!stdin.write(f.stdin)) {
        call.call.pause();
        stdin.once('drain', () => call.call.resume());
      }
    } else if (f.frame === 'close_stdin') {
      stdin?.end();
    } else if (f.frame === 'resize' && f.resize && f.resize.width > 0 && f.resize.height > 0) {
      proc.resize({ width: f.resize.width, height: f.resize.height }).catch(() => undefined);
    }
  });
}

/** Docker attach to the container's main process, shaped like an exec session. */
async function attach(docker: Docker, id: string, req: ExecRequest): Promise<Process> {
  const c = docker.getContainer(id);
  const info = await c.inspect();
  const tty = info.Config.Tty;
  const withStdin = req.stdin && info.Config.OpenStdin;
  const stream = (await c.attach({ stream: true, stdin: withStdin, stdout: req.stdout, stderr: req.stderr, hijack: true })) as NodeJS.ReadWriteStream & { end(): void; destroy?(): void };
  let stdout: Readable;
  let stderr: Readable;
  if (tty) {
    const out = new PassThrough();
    stream.on('data', (d: Buffer) => out.write(d));
    stream.on('end', () => out.end());
    stream.on('close', () => out.end());
    stream.on('error', () => out.end());
    stdout = out;
    stderr = Readable.from([]);
  } else {
    ({ stdout, stderr } = demux(stream));
  }
  let stdin: Writable | undefined;
  if (withStdin) {
    const input = new PassThrough();
    input.pipe(stream as unknown as NodeJS.WritableStream, { end: false });
    input.on('finish', () => stream.end());
    stdin = input;
  }
  return {
    stdin, stdout, stderr,
    resize: async ({ width, height }) => { await c.resize({ w: width, h: height }); },
    // The kubelet reports success when an attach ends, whatever the process did.
    wait: async () => 0,
  };
}
