#!/usr/bin/env node
/**
 * `skiff`: operator commands run on a master. For now: `skiff token create [--print-join-command]`
 * (kubeadm's `token create`), talking to the cluster's etcd directly with the master's CA.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { EtcdStorage, NamespaceCache, Registry } from '@skiff/apiserver';
import { nullLogger } from '@skiff/logging';
import { createBootstrapToken, printJoinCommand } from './gateway';
import { restoreSnapshot, saveSnapshot } from './operations/snapshot';
import { checkCerts, formatCertTable } from './operations/certs';

const USAGE = `usage:
  skiff token create [--print-join-command] [--ttl SECONDS] [--join-address HOST] [--agent-gateway-port PORT]
  skiff etcd snapshot save <file> [--config FILE...]
  skiff etcd snapshot restore <file> --data-dir <empty dir> [--name NAME] [--initial-advertise-peer-urls URL]
  skiff certs check
  skiff lab up|down|status|node ...   (the one-machine lab)
common flags: --home DIR (default $SKIFF_HOME or ~/.skiff), --etcd-servers URLS (default http://127.0.0.1:2379)
`;

function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  const a = args[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
}

/** `skiff lab ...` is the one-machine lab's own CLI (@skiff/lab), run as a child. */
function runLab(args: string[]): number {
  let main: string;
  try {
    main = join(dirname(require.resolve('@skiff/lab/package.json')), 'dist', 'main.js');
  } catch {
    process.stderr.write('skiff: the lab is not installed (packages/lab)\n');
    return 1;
  }
  const r = spawnSync(process.execPath, [main, ...args], { stdio: 'inherit' });
  return r.status ?? 1;
}

async function main(argv: string[]): Promise<number> {
  const [group, verb, ...rest] = argv;
  if (group === 'lab') return runLab(argv.slice(1));
  const home = flag(argv, '--home') ?? process.env.SKIFF_HOME ?? join(homedir(), '.skiff');
  const servers = (flag(argv, '--etcd-servers') ?? 'http://127.0.0.1:2379').split(',');
  if (group === 'etcd' && verb === 'snapshot') {
    const [action, file] = rest;
    if (!file || file.startsWith('--')) { process.stderr.write(USAGE); return 2; }
    if (action === 'save') {
      const configs = rest.filter((_, i) => rest[i - 1] === '--config');
      const r = await saveSnapshot({ file, etcdEndpoint: servers[0]!, home, configFiles: configs });
      process.stdout.write(`Snapshot saved at ${file} (${r.bytes} bytes: etcd data, pki, config)\n`);
      return 0;
    }
    if (action === 'restore') {
      const dataDir = flag(rest, '--data-dir');
      if (!dataDir) { process.stderr.write('skiff: restore needs --data-dir <empty directory>\n'); return 2; }
      await restoreSnapshot({ file, dataDir, home, name: flag(rest, '--name'), peerURL: flag(rest, '--initial-advertise-peer-urls') });
      process.stdout.write(`Restored ${file} into ${dataDir}; start etcd on it, then skiff-master\n`);
      return 0;
    }
    process.stderr.write(USAGE);
    return 2;
  }
  if (group === 'certs' && verb === 'check') {
    process.stdout.write(formatCertTable(checkCerts(home)));
    return 0;
  }
  if (group !== 'token' || verb !== 'create') {
    process.stderr.write(USAGE);
    return 2;
  }
  const ttl = Number(flag(rest, '--ttl') ?? 86400);
  if (!Number.isInteger(ttl) || ttl <= 0) { process.stderr.write(`skiff: --ttl must be a positive number of seconds\n`); return 2; }
  let ca: string;
  try {
    ca = readFileSync(join(home, 'pki', 'ca.crt'), 'utf8');
  } catch {
    process.stderr.write(`skiff: no cluster CA at ${join(home, 'pki', 'ca.crt')}: is this a master (see --home)?\n`);
    return 1;
  }
  const etcd = new Etcd3({ hosts: servers, dialTimeout: 5000 });
  try {
    const ns = new NamespaceCache();
    const registry = new Registry(new EtcdStorage(etcd), ns);
    await ns.start(registry, nullLogger());
    if (rest.includes('--print-join-command')) {
      const cmd = await printJoinCommand({ registry, caCertPem: ca, host: flag(rest, '--join-address') ?? '127.0.0.1', port: Number(flag(rest, '--agent-gateway-port') ?? 9443), ttlSeconds: ttl });
      process.stdout.write(`${cmd}\n`);
    } else {
      process.stdout.write(`${await createBootstrapToken(registry, ttl)}\n`);
    }
    ns.close();
    return 0;
  } finally {
    etcd.close();
  }
}

main(process.argv.slice(2)).then((c) => process.exit(c), (e: Error) => { process.stderr.write(`skiff: ${e.message}\n`); process.exit(1); });
