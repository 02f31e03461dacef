import { spawn } from 'node:child_process';

/** A command that exited non-zero (or could not start), with its stderr. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(readonly command: string, readonly code: number | null, readonly stderr: string) {
    super(`${command} failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-5).join(' | ') || '(no output)'}`);
  }
}

export interface RunResult { code: number; stdout: string; stderr: string }

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Daemons live in sbin on Debian; find them even from a trimmed PATH. */
export function labPath(path = process.env.PATH ?? ''): string {
  const parts = path.split(':').filter(Boolean);
  for (const p of ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin']) if (!parts.includes(p)) parts.push(p);
  return parts.join(':');
}

/** Runs a command to completion; never throws for a non-zero exit (see runOk). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...(opts.env ?? process.env), PATH: labPath(opts.env?.PATH ?? process.env.PATH) } });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => { stderr += `\n(timed out after ${opts.timeoutMs} ms)`; child.kill('SIGKILL'); }, opts.timeoutMs);
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => { if (timer) clearTimeout(timer); resolve({ code: 127, stdout, stderr: stderr + e.message }); });
    child.on('close', (code) => { if (timer) clearTimeout(timer); resolve({ code: code ?? 128, stdout, stderr }); });
    child.stdin.on('error', () => { /* the command may not read its input */ });
    child.stdin.end(opts.input ?? '');
  });
}

export async function runOk(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new CommandError(`${cmd} ${args.join(' ')}`, r.code, r.stderr || r.stdout);
  return r.stdout;
}

/** Runs a command inside a lab network namespace (nsenter --net; iptables and ip only, never dockerd). */
export function inNetns(netns: string, cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return runOk('nsenter', [`--net=/run/netns/${netns}`, '--', cmd, ...args], opts);
}
