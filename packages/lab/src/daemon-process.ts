/**
 * Starting lab daemons inside a member's namespaces, and pid files.
 *
 * A daemon is launched as `sh` (joins the member's cgroup) -> `nsenter --net`
 * (the member's network namespace) -> `unshare --mount --uts` (a private mount
 * namespace for bind mounts such as a node's /var/lib/docker, and its own
 * hostname) -> the program. Every step execs, so the PID we spawn is the
 * daemon's PID. `ip netns exec` is not used: it remounts /sys, which hides the
 * cgroup mounts dockerd needs.
 *
 * Pid files hold two lines, the PID and the command line as started (the
 * format of scripts/lib.sh): a PID is only believed, and only signalled, while
 * /proc/<pid>/cmdline still equals that line.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { labPath } from './run-command';

export interface BindMount { source: string; target: string }

export interface DaemonSpec {
  /** For messages: `etcd-1`, `worker-2 dockerd`. */
  label: string;
  pidFile: string;
  logFile: string;
  /** The program and its arguments; argv[0] is resolved on PATH. */
  argv: string[];
  netns: string;
  /** cgroup.procs file to join first ('' for none). */
  cgroupProcs: string;
  privateMounts?: BindMount[];
  hostname?: string;
  cwd?: string;
}

export class DaemonError extends Error {
  override readonly name = 'DaemonError';
}

const OUTER = [
  '[ -z "$SKIFF_LAB_CGROUP" ] || echo $$ > "$SKIFF_LAB_CGROUP" || exit 97',
  'exec nsenter --net="/run/netns/$SKIFF_LAB_NETNS" -- unshare --mount --uts --propagation private -- sh -c "$SKIFF_LAB_INNER" skiff-lab-launch "$@"',
].join('\n');

const INNER = [
  'set -e',
  'for m in $SKIFF_LAB_MOUNTS; do src="${m%%=*}"; dst="${m#*=}"; mkdir -p "$src" "$dst"; mount --bind "$src" "$dst"; done',
  '[ -z "$SKIFF_LAB_HOSTNAME" ] || hostname "$SKIFF_LAB_HOSTNAME"',
  'unset SKIFF_LAB_CGROUP SKIFF_LAB_NETNS SKIFF_LAB_MOUNTS SKIFF_LAB_HOSTNAME SKIFF_LAB_INNER',
  'exec "$@"',
].join('\n');

/** Command line of a running (not zombie) process, NULs as spaces; undefined if gone. */
export function procCmdline(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    if (state === 'Z' || state === 'X') return undefined;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s, i, a) => !(i === a.length - 1 && s === '')).join(' ');
    return cmd || undefined;
  } catch {
    return undefined;
  }
}

export function readPidFile(file: string): { pid: number; cmdline: string } | undefined {
  try {
    const [pidLine, cmdline] = readFileSync(file, 'utf8').split('\n');
    const pid = Number(pidLine);
    if (!Number.isInteger(pid) || pid <= 1 || !cmdline) return undefined;
    return { pid, cmdline };
  } catch {
    return undefined;
  }
}

/** The PID of the pid file's process, if it still runs the command it was started with. */
export function alivePid(file: string): number | undefined {
  const rec = readPidFile(file);
  if (!rec) return undefined;
  return procCmdline(rec.pid) === rec.cmdline ? rec.pid : undefined;
}

function which(cmd: string): string {
  if (isAbsolute(cmd)) return cmd;
  for (const dir of labPath().split(':')) {
    const p = join(dir, cmd);
    if (existsSync(p)) return p;
  }
  throw new DaemonError(`command not found: ${cmd}`);
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts the daemon detached (own session, output appended to its log) and writes its pid file once the exec chain has landed. */
export async function startDaemon(spec: DaemonSpec): Promise<number> {
  const argv = [which(spec.argv[0]!), ...spec.argv.slice(1)];
  for (const m of spec.privateMounts ?? []) {
    if (/\s|=/.test(m.source) || /\s|=/.test(m.target)) throw new DaemonError(`${spec.label}: mount paths may not contain spaces or '=': ${m.source} -> ${m.target}`);
  }
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  writeFileSync(fd, `\n==== ${new Date().toISOString()} skiff-lab: starting ${spec.label}: ${argv.join(' ')}\n`);
  const want = argv.join(' ');
  let pid: number | undefined;
  let exited: number | null | undefined;
  try {
    const child = spawn('sh', ['-c', OUTER, 'skiff-lab-launch', ...argv], {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: spec.cwd ?? '/',
      env: {
        ...process.env,
        PATH: labPath(),
        SKIFF_LAB_CGROUP: spec.cgroupProcs,
        SKIFF_LAB_NETNS: spec.netns,
        SKIFF_LAB_MOUNTS: (spec.privateMounts ?? []).map((m) => `${m.source}=${m.target}`).join(' '),
        SKIFF_LAB_HOSTNAME: spec.hostname ?? '',
        SKIFF_LAB_INNER: INNER,
      },
    });
    child.on('exit', (code) => { exited = code; });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  if (!pid) throw new DaemonError(`${spec.label}: could not start ${argv[0]}`);
  for (let i = 0; i < 100; i++) {
    if (procCmdline(pid) === want) {
      writeFileSync(spec.pidFile, `${pid}\n${want}\n`);
      return pid;
    }
    if (exited !== undefined || !existsSync(`/proc/${pid}`)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new DaemonError(`${spec.label} exited right after start (exit ${exited ?? '?'}); last lines of ${spec.logFile}:\n${tail(spec.logFile)}`);
}

/** SIGTERM (or the given signal) by PID, wait, then SIGKILL; removes the pid file. Only a PID the pid file vouches for is signalled. */
export async function stopDaemon(file: string, timeoutMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<boolean> {
  const pid = alivePid(file);
  if (pid === undefined) {
    rmSync(file, { force: true });
    return false;
  }
  try { process.kill(pid, signal); } catch { /* gone */ }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alivePid(file) === pid) await new Promise((r) => setTimeout(r, 100));
  if (alivePid(file) === pid) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    for (let i = 0; i < 50 && alivePid(file) === pid; i++) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(file, { force: true });
  return true;
}
