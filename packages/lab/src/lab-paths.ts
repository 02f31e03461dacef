import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LabMember } from './topology';

/** Where everything of one lab lives. Only this directory, /run/netns/skiff-lab-*, the lab's interfaces, its iptables chains and its cgroups are the lab's. */
export class LabPaths {
  constructor(readonly state: string) {}

  static fromEnv(flag?: string, env: NodeJS.ProcessEnv = process.env): LabPaths {
    const dir = flag ?? env.SKIFF_LAB_HOME ?? join(env.SKIFF_HOME ?? join(homedir(), '.skiff'), 'lab');
    return new LabPaths(resolve(dir));
  }

  get run(): string { return join(this.state, 'run'); }
  get logs(): string { return join(this.state, 'logs'); }
  get stateFile(): string { return join(this.state, 'lab.json'); }
  get kubeconfig(): string { return join(this.state, 'kubeconfig'); }
  get imagesTar(): string { return join(this.state, 'images.tar'); }
  get labLog(): string { return join(this.logs, 'lab.log'); }

  pidFile(member: LabMember | string, proc?: string): string {
    const name = typeof member === 'string' ? member : member.name;
    return join(this.run, `${name}${proc ? `-${proc}` : ''}.pid`);
  }
  logFile(member: LabMember | string, proc?: string): string {
    const name = typeof member === 'string' ? member : member.name;
    return join(this.logs, `${name}${proc ? `-${proc}` : ''}.log`);
  }
  etcdData(m: LabMember): string { return join(this.state, 'etcd', m.name); }
  masterHome(m: LabMember): string { return join(this.state, 'masters', m.name); }
  nodeDir(m: LabMember): string { return join(this.state, 'nodes', m.name); }
  dockerSocket(m: LabMember): string { return join(this.nodeDir(m), 'docker.sock'); }
  agentHome(m: LabMember): string { return join(this.nodeDir(m), 'agent'); }
}

/** What `up` asked for, so later commands know the topology. */
export interface LabState {
  version: 1;
  workers: number;
  masters: number;
  createdAt: string;
  /** Extra skiff-master flags from `up` (node lifecycle timings), reused by `node start master-<i>`. */
  masterFlags?: string[];
}

export function readLabState(p: LabPaths): LabState | undefined {
  if (!existsSync(p.stateFile)) return undefined;
  try {
    const s = JSON.parse(readFileSync(p.stateFile, 'utf8')) as Partial<LabState>;
    if (s.version !== 1 || typeof s.workers !== 'number' || typeof s.masters !== 'number') return undefined;
    return s as LabState;
  } catch {
    return undefined;
  }
}

export function writeLabState(p: LabPaths, s: LabState): void {
  mkdirSync(p.state, { recursive: true });
  writeFileSync(p.stateFile, `${JSON.stringify(s, null, 2)}\n`);
}
