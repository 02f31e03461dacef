#!/usr/bin/env node
/** skiff-lab: parses flags, wires the Lab, prints results. */
import { join, resolve } from 'node:path';
import { createLogger } from '@skiff/logging';
import { parseLabArgs, USAGE, UsageError, type LabCommand } from './config';
import { Lab, type LabStatus } from './lab';
import { LabPaths } from './lab-paths';
import { Progress } from './progress';
import { LAB_CONTEXT } from './kubeconfig';

const REPO = resolve(__dirname, '..', '..', '..');

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB`;
}

function printStatus(s: LabStatus): void {
  const out: string[] = [];
  out.push(`lab: ${s.up ? 'up' : s.members.length ? 'degraded' : 'down'} (${s.stateDir})`);
  if (s.members.length) {
    out.push(`${'MEMBER'.padEnd(10)} ${'ADDRESS'.padEnd(13)} ${'NETNS'.padEnd(6)} ${'PODS'.padEnd(15)} PROCESSES`);
    for (const m of s.members) {
      const procs = m.processes.map((p) => `${p.name}=${p.pid ?? 'down'}`).join(' ');
      out.push(`${m.name.padEnd(10)} ${m.address.padEnd(13)} ${(m.netns ? 'yes' : 'no').padEnd(6)} ${(m.podCIDR ?? '-').padEnd(15)} ${procs}`);
    }
  }
  if (s.nodes.length) {
    out.push('', `${'NODE'.padEnd(10)} ${'READY'.padEnd(6)} ${'INTERNAL-IP'.padEnd(13)} RUNTIME`);
    for (const n of s.nodes) out.push(`${n.name.padEnd(10)} ${String(n.ready).padEnd(6)} ${(n.internalIP ?? '-').padEnd(13)} ${n.runtime ?? '-'}`);
  }
  out.push('', `memory: ${mib(s.memory.rssKiB)} RSS across ${s.memory.processes} lab process(es)`);
  if (s.kubeconfig) out.push(`kubeconfig: ${s.kubeconfig} (or kubectl --context ${LAB_CONTEXT})`);
  if (s.leftovers.length) out.push(`leftovers (skiff-lab down removes them): ${s.leftovers.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

async function execute(lab: Lab, cmd: LabCommand): Promise<number> {
  switch (cmd.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'up': {
      const r = await lab.up({ workers: cmd.workers, masters: cmd.masters, mergeKubeconfig: cmd.mergeKubeconfig, ...(cmd.masterFlags ? { masterFlags: cmd.masterFlags } : {}) });
      if (cmd.json) {
        process.stdout.write(`${JSON.stringify(r)}\n`);
      } else {
        process.stdout.write([
          '',
          `Skiff lab is up in ${(r.elapsedMs / 1000).toFixed(1)} s: nodes ${r.workers.join(', ')}.`,
          `  memory:     ${mib(r.memory.rssKiB)} RSS across ${r.memory.processes} lab processes`,
          `  kubeconfig: export KUBECONFIG=${r.kubeconfig}   (or kubectl --context ${LAB_CONTEXT})`,
          `  logs:       ${lab.paths.logs}`,
          '  next:       kubectl get nodes -o wide;  skiff-lab status;  skiff-lab down',
          '',
        ].join('\n'));
      }
      return 0;
    }
    case 'down': {
      const removed = await lab.down({ keepData: cmd.keepData });
      lab.progress.line(removed.length ? `down: removed ${removed.join(', ')}` : 'down: nothing was running');
      return 0;
    }
    case 'status': {
      const s = await lab.status();
      if (cmd.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      else printStatus(s);
      return s.up ? 0 : 3;
    }
    case 'node':
      lab.progress.line(await lab.node(cmd.op, cmd.name));
      return 0;
  }
}

async function main(): Promise<void> {
  // A closed pipe on our output must not kill `up` half-way (daemons would be left half-configured).
  process.stderr.on('error', () => { /* reader went away */ });
  process.stdout.on('error', () => { /* reader went away */ });
  let cli;
  try {
    cli = parseLabArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`skiff-lab: ${e.message}\n${USAGE}`);
      process.exit(2);
    }
    throw e;
  }
  const paths = LabPaths.fromEnv(cli.home);
  const log = createLogger({ file: join(paths.logs, 'lab.log'), console: false }).child({ component: 'lab', command: cli.command.kind });
  const lab = new Lab(paths, REPO, log, new Progress(log));
  try {
    process.exitCode = await execute(lab, cli.command);
  } catch (e) {
    log.error('failed', { error: (e as Error).stack ?? String(e) });
    process.stderr.write(`skiff-lab: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

void main();
