/** The lab CLI's flags as one typed command. */

export type LabCommand =
  | { kind: 'up'; workers: number; masters: number; mergeKubeconfig: boolean; json: boolean; masterFlags?: string[] }
  | { kind: 'down'; keepData: boolean }
  | { kind: 'status'; json: boolean }
  | { kind: 'node'; op: 'stop' | 'start' | 'kill'; name: string }
  | { kind: 'help' };

export interface LabCli { home?: string; command: LabCommand }

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: skiff-lab [--home DIR] <command>
  up [--nodes N] [--masters 1|2] [--no-merge-kubeconfig] [--json]
     [--node-monitor-grace-period 40s] [--pod-eviction-timeout 20s] [--node-cert-validity 2m]
                      (skiff-master flags; grace/eviction shorten node loss, cert validity tests rotation)
                      start (or complete) the lab: 3 etcd members, the master(s), N worker nodes;
                      a running lab with a larger --nodes gets the extra nodes (worker-<N>)
  down [--keep-data]  stop everything the lab started; remove its namespaces, interfaces, rules (and data)
  status [--json]     members, processes, nodes, memory
  node stop|start|kill <name>
                      stop (graceful), start, or kill (SIGKILL the whole process tree) one member:
                      worker-<i>, master-<i> or etcd-<i>
State: --home, else $SKIFF_LAB_HOME, else $SKIFF_HOME/lab (~/.skiff/lab).
`;

export function parseLabArgs(argv: string[]): LabCli {
  const args = [...argv];
  let home: string | undefined;
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  const valued = new Set(['--home', '--nodes', '--masters', '--node-monitor-grace-period', '--pod-eviction-timeout', '--node-cert-validity']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') return { command: { kind: 'help' } };
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(0, eq) : a;
      if (valued.has(name)) {
        const v = eq >= 0 ? a.slice(eq + 1) : args[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value`);
        flags.set(name, v);
      } else {
        if (eq >= 0) throw new UsageError(`${name} takes no value`);
        flags.set(name, true);
      }
    } else {
      positional.push(a);
    }
  }
  const h = flags.get('--home');
  if (typeof h === 'string') home = h;
  flags.delete('--home');
  const allow = (...names: string[]): void => {
    for (const f of flags.keys()) if (!names.includes(f)) throw new UsageError(`unknown flag for ${positional[0]}: ${f}`);
  };
  const withHome = (command: LabCommand): LabCli => (home !== undefined ? { home, command } : { command });
  const [verb, ...rest] = positional;
  switch (verb) {
    case undefined:
    case 'help':
      return { command: { kind: 'help' } };
    case 'up': {
      allow('--nodes', '--masters', '--no-merge-kubeconfig', '--json', '--node-monitor-grace-period', '--pod-eviction-timeout', '--node-cert-validity');
      const masterFlags: string[] = [];
      for (const f of ['--node-monitor-grace-period', '--pod-eviction-timeout', '--node-cert-validity']) {
        const v = flags.get(f);
        if (typeof v !== 'string') continue;
        if (!/^\d+(ms|s|m|h)$/.test(v)) throw new UsageError(`${f}: want a duration like 40s, got "${v}"`);
        masterFlags.push(f, v);
      }
      if (rest.length) throw new UsageError(`up: unexpected argument ${rest[0]}`);
      const workers = Number(flags.get('--nodes') ?? 3);
      const masters = Number(flags.get('--masters') ?? 1);
      if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--nodes: want a positive number, got "${String(flags.get('--nodes'))}"`);
      if (masters !== 1 && masters !== 2) throw new UsageError(`--masters: want 1 or 2, got "${String(flags.get('--masters'))}"`);
      return withHome({ kind: 'up', workers, masters, mergeKubeconfig: !flags.has('--no-merge-kubeconfig'), json: flags.has('--json'), ...(masterFlags.length ? { masterFlags } : {}) });
    }
    case 'down':
      allow('--keep-data');
      if (rest.length) throw new UsageError(`down: unexpected argument ${rest[0]}`);
      return withHome({ kind: 'down', keepData: flags.has('--keep-data') });
    case 'status':
      allow('--json');
      return withHome({ kind: 'status', json: flags.has('--json') });
    case 'node': {
      allow();
      const [op, name, extra] = rest;
      if (op !== 'stop' && op !== 'start' && op !== 'kill') throw new UsageError(`node: want stop|start|kill, got "${op ?? ''}"`);
      if (!name || extra !== undefined) throw new UsageError(`node ${op}: want exactly one member name`);
      return withHome({ kind: 'node', op, name });
    }
    default:
      throw new UsageError(`unknown command: ${verb}`);
  }
}
