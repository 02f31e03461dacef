/**
 * Every process the lab starts goes into a cgroup under `skiff-lab/<member>/`:
 * daemons into `daemons/`, a worker's containers (dockerd --cgroup-parent)
 * into `pods/`. That is how `node kill` finds a node's whole process tree
 * (agent, dockerd, containerd, shims, containers), how `down` stops only what
 * the lab started, and how the lab's memory is measured.
 *
 * cgroup v1 tracks membership in the `pids` hierarchy; v2 in the unified tree.
 */
import { existsSync, readFileSync, readdirSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LAB_CGROUP = 'skiff-lab';
export type CgroupLeaf = 'daemons' | 'pods';

const ROOT = '/sys/fs/cgroup';

function readPids(procsFile: string): number[] {
  try {
    return readFileSync(procsFile, 'utf8').split('\n').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 1);
  } catch {
    return [];
  }
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

/** Kilobytes of resident memory of a process (0 if gone). */
export function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export class LabCgroups {
  private constructor(readonly mode: 'v1' | 'v2' | 'none', private readonly hierarchy: string) {}

  static detect(): LabCgroups {
    if (existsSync(join(ROOT, 'pids', 'cgroup.procs'))) return new LabCgroups('v1', join(ROOT, 'pids'));
    if (existsSync(join(ROOT, 'cgroup.controllers'))) return new LabCgroups('v2', ROOT);
    return new LabCgroups('none', '');
  }

  /** `--cgroup-parent` for a worker's dockerd. */
  dockerParent(member: string): string {
    return `/${LAB_CGROUP}/${member}/pods`;
  }

  /** Creates the member's leaf and returns its cgroup.procs file ('' without cgroups). */
  ensureLeaf(member: string, leaf: CgroupLeaf): string {
    if (this.mode === 'none') return '';
    const dir = join(this.hierarchy, LAB_CGROUP, member, leaf);
    mkdirSync(dir, { recursive: true });
    return join(dir, 'cgroup.procs');
  }

  /** Every PID in the lab's tree, or in one member's. */
  pids(member?: string): number[] {
    if (this.mode === 'none') return [];
    const top = member ? join(this.hierarchy, LAB_CGROUP, member) : join(this.hierarchy, LAB_CGROUP);
    const out: number[] = [];
    const walk = (dir: string): void => {
      out.push(...readPids(join(dir, 'cgroup.procs')));
      for (const d of subdirs(dir)) walk(d);
    };
    if (existsSync(top)) walk(top);
    return [...new Set(out)];
  }

  /** SIGKILLs everything in the member's (or the whole lab's) tree until it is empty. Returns how many it signalled. */
  async killAll(member?: string, timeoutMs = 10_000): Promise<number> {
    const signalled = new Set<number>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = this.pids(member);
      if (pids.length === 0) return signalled.size;
      if (Date.now() > deadline) throw new Error(`processes still in cgroup ${LAB_CGROUP}/${member ?? ''} after SIGKILL: ${pids.join(' ')}`);
      for (const pid of pids) {
        try { process.kill(pid, 'SIGKILL'); signalled.add(pid); } catch { /* already gone */ }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Removes the empty cgroup directories of a member (or the whole lab) in every hierarchy docker may have used. */
  remove(member?: string): void {
    const roots = this.mode === 'v2' ? [ROOT] : subdirs(ROOT);
    for (const root of roots) {
      const top = member ? join(root, LAB_CGROUP, member) : join(root, LAB_CGROUP);
      if (!existsSync(top)) continue;
      const walk = (dir: string): void => {
        for (const d of subdirs(dir)) walk(d);
        try { rmdirSync(dir); } catch { /* still has processes, or not a cgroup dir */ }
      };
      walk(top);
    }
  }

  /** Sum of VmRSS over the lab's processes (or one member's). */
  memory(member?: string): { processes: number; rssKiB: number } {
    const pids = this.pids(member);
    return { processes: pids.length, rssKiB: pids.reduce((s, p) => s + rssKiB(p), 0) };
  }
}

/** Writes a PID into a cgroup.procs file (used for processes started before the wrapper could). */
export function joinCgroup(procsFile: string, pid: number): void {
  if (procsFile) writeFileSync(procsFile, String(pid));
}
