import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Ending a `docker exec` whose client went away. Docker has no API to kill an
 * exec, but `docker exec inspect` gives its process ID in the engine's PID
 * namespace. When the agent shares that namespace (it runs next to dockerd,
 * as the kubelet does) it stops the process, collects its descendants from
 * /proc and SIGKILLs them all. Every PID is checked first: its cgroup path
 * must name the container, so a PID from another namespace (a remote engine,
 * an agent in its own PID namespace) is never touched; then nothing is killed.
 */

/** The parent PID from the text of /proc/<pid>/stat (the comm field may hold spaces and parentheses). */
export function parentPidFromStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** root and every process below it, root first (parents before children). */
export function processTree(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid); else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

async function readParents(procRoot: string): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for (const name of await fs.readdir(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fs.readFile(path.join(procRoot, name, 'stat'), 'utf8').catch(() => undefined);
    const ppid = stat === undefined ? undefined : parentPidFromStat(stat);
    if (ppid !== undefined) parents.set(Number(name), ppid);
  }
  return parents;
}

async function inContainer(procRoot: string, pid: number, containerId: string): Promise<boolean> {
  const cg = await fs.readFile(path.join(procRoot, String(pid), 'cgroup'), 'utf8').catch(() => '');
  return containerId.length >= 12 && cg.includes(containerId);
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILLs the exec process `hostPid` of container `containerId` (full ID) and
 * its descendants; returns how many were killed (0 when the PID is not visible
 * here or not in that container).
 */
export async function killExecProcessTree(hostPid: number, containerId: string, procRoot = '/proc'): Promise<number> {
  if (!(hostPid > 1) || !(await inContainer(procRoot, hostPid, containerId))) return 0;
  // Stopped, it can fork no more while its descendants are collected.
  signal(hostPid, 'SIGSTOP');
  const tree = processTree(hostPid, await readParents(procRoot));
  let killed = 0;
  for (const pid of tree) {
    if (pid !== hostPid && !(await inContainer(procRoot, pid, containerId))) continue;
    if (signal(pid, 'SIGKILL')) killed++;
  }
  return killed;
}
