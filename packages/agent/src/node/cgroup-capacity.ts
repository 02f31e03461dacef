import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Limits that bind the agent's own cgroup (or any of its ancestors); undefined where none does. */
export interface CgroupCapacity {
  /** quota / period, in cores. */
  cpus?: number;
  memoryBytes?: number;
}

/** Values at or above this are "no limit" on cgroup v1 (it reports a page-rounded 2^63). */
const V1_UNLIMITED = 2 ** 60;

async function read(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** `/a/b/c` -> [`/a/b/c`, `/a/b`, `/a`] (the root's limits are the host's and are not read). */
export function ancestors(p: string): string[] {
  const parts = p.split('/').filter(Boolean);
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

function min(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/**
 * The cpu and memory limits of the cgroup a process lives in, from its
 * /proc/<pid>/cgroup text: the tightest over the cgroup and its ancestors
 * (v2: memory.max, cpu.max; v1: memory.limit_in_bytes, cpu.cfs_quota_us /
 * cpu.cfs_period_us). Lab nodes share one host, each in a limited cgroup: the
 * node's capacity must not claim the whole machine.
 */
export async function cgroupCapacity(procCgroup: string, mount = '/sys/fs/cgroup'): Promise<CgroupCapacity> {
  const lines = procCgroup.split('\n').filter(Boolean).map((l) => /^(\d+):([^:]*):(.*)$/.exec(l)).filter((m): m is RegExpExecArray => !!m);
  const out: CgroupCapacity = {};
  const v1 = (ctrl: string) => lines.find((m) => m[2]!.split(',').includes(ctrl));
  const mem1 = v1('memory');
  const cpu1 = v1('cpu');
  if (mem1 || cpu1) {
    if (mem1) {
      for (const dir of ancestors(mem1[3]!)) {
        const v = Number(await read(path.join(mount, 'memory', dir, 'memory.limit_in_bytes')));
        if (Number.isFinite(v) && v > 0 && v < V1_UNLIMITED) out.memoryBytes = min(out.memoryBytes, v);
      }
    }
    if (cpu1) {
      for (const dir of ancestors(cpu1[3]!)) {
        for (const m of [cpu1[2]!, 'cpu', 'cpu,cpuacct']) {
          const quota = Number(await read(path.join(mount, m, dir, 'cpu.cfs_quota_us')));
          const period = Number(await read(path.join(mount, m, dir, 'cpu.cfs_period_us')));
          if (Number.isFinite(quota) && quota > 0 && period > 0) { out.cpus = min(out.cpus, quota / period); break; }
          if (Number.isFinite(quota)) break;
        }
      }
    }
    return out;
  }
  const v2 = lines.find((m) => m[1] === '0' && m[2] === '');
  if (!v2) return out;
  for (const dir of ancestors(v2[3]!)) {
    const mem = await read(path.join(mount, dir, 'memory.max'));
    if (mem && mem !== 'max' && Number(mem) > 0) out.memoryBytes = min(out.memoryBytes, Number(mem));
    const cpu = (await read(path.join(mount, dir, 'cpu.max')))?.split(/\s+/);
    if (cpu && cpu[0] !== 'max' && Number(cpu[0]) > 0 && Number(cpu[1]) > 0) out.cpus = min(out.cpus, Number(cpu[0]) / Number(cpu[1]));
  }
  return out;
}

/** The agent's own cgroup limits (see cgroupCapacity); {} when they cannot be read. */
export async function ownCgroupCapacity(): Promise<CgroupCapacity> {
  const text = await read('/proc/self/cgroup');
  return text ? cgroupCapacity(text) : {};
}
