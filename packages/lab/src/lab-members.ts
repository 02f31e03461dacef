/**
 * Starting and stopping each kind of lab member: etcd members, skiff-masters,
 * and worker nodes (their own dockerd, images, pod network, skiff-agent).
 * Each `ensure*` is idempotent: what runs is left alone.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Logger } from '@skiff/logging';
import type { LabCgroups } from './lab-cgroup';
import type { LabPaths } from './lab-paths';
import type { LabMember, LabTopology } from './topology';
import { API_PORT, GATEWAY_PORT, etcdClientURLs, etcdInitialCluster } from './topology';
import { alivePid, startDaemon, stopDaemon } from './daemon-process';
import { applyPodNetwork } from './pod-network-routes';
import { run, runOk } from './run-command';

export interface LabContext {
  paths: LabPaths;
  topology: LabTopology;
  cgroups: LabCgroups;
  /** Repository root: packages/master/dist, packages/agent/dist, test/images. */
  repo: string;
  log: Logger;
  /** Extra skiff-master flags (`up --node-monitor-grace-period/--pod-eviction-timeout`). */
  masterFlags?: string[];
}

export type EnsureResult = 'running' | 'started';

// --- etcd -----------------------------------------------------------------------

export async function ensureEtcd(ctx: LabContext, m: LabMember): Promise<EnsureResult> {
  const pidFile = ctx.paths.pidFile(m);
  if (alivePid(pidFile) !== undefined) return 'running';
  const data = ctx.paths.etcdData(m);
  mkdirSync(data, { recursive: true, mode: 0o700 });
  chmodSync(data, 0o700);
  const client = `http://${m.address}:2379`;
  const peer = `http://${m.address}:2380`;
  await startDaemon({
    label: m.name, pidFile, logFile: ctx.paths.logFile(m), netns: m.netns, hostname: m.name,
    cgroupProcs: ctx.cgroups.ensureLeaf(m.name, 'daemons'),
    argv: [
      'etcd', '--name', m.name, '--data-dir', data,
      '--listen-client-urls', `${client},http://127.0.0.1:2379`, '--advertise-client-urls', client,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', etcdInitialCluster(ctx.topology), '--initial-cluster-state', 'new', '--initial-cluster-token', 'skiff-lab',
      '--auto-compaction-mode', 'periodic', '--auto-compaction-retention', '1h', '--quota-backend-bytes', '2147483648',
      '--logger', 'zap', '--log-outputs', 'stderr',
    ],
  });
  return 'started';
}

// --- masters --------------------------------------------------------------------

export function apiServerURL(m: LabMember): string {
  return `https://${m.address}:${API_PORT}`;
}

/** A second master shares the first one's CA (kubeadm's "upload certs"), so both accept the same clients and nodes. */
export function shareClusterCA(ctx: LabContext, from: LabMember, to: LabMember): void {
  const src = join(ctx.paths.masterHome(from), 'pki');
  const dst = join(ctx.paths.masterHome(to), 'pki');
  mkdirSync(dst, { recursive: true, mode: 0o700 });
  for (const f of ['ca.crt', 'ca.key']) if (!existsSync(join(dst, f))) copyFileSync(join(src, f), join(dst, f));
}

export async function ensureMaster(ctx: LabContext, m: LabMember): Promise<EnsureResult> {
  const pidFile = ctx.paths.pidFile(m);
  if (alivePid(pidFile) !== undefined) return 'running';
  const home = ctx.paths.masterHome(m);
  mkdirSync(home, { recursive: true });
  await startDaemon({
    label: m.name, pidFile, logFile: ctx.paths.logFile(m, 'out'), netns: m.netns, hostname: m.name,
    cgroupProcs: ctx.cgroups.ensureLeaf(m.name, 'daemons'), cwd: ctx.repo,
    argv: [
      process.execPath, join(ctx.repo, 'packages/master/dist/main.js'),
      '--home', home, '--etcd-servers', etcdClientURLs(ctx.topology).join(','),
      '--bind-address', '0.0.0.0', '--advertise-address', m.address,
      '--secure-port', String(API_PORT), '--agent-gateway-port', String(GATEWAY_PORT),
      '--log-file', ctx.paths.logFile(m),
      ...(ctx.masterFlags ?? []),
    ],
  });
  return 'started';
}

/** Every master's agent gateway: agents know them all and fail over between them (they share the CA). */
export function gatewayList(ctx: LabContext): string {
  return ctx.topology.masters.map((m) => `${m.address}:${GATEWAY_PORT}`).join(',');
}

/** `skiff token create --print-join-command`, run on the first master's home, as an operator would. */
export async function joinCommand(ctx: LabContext): Promise<{ join: string; token: string; caHash: string }> {
  const master = ctx.topology.masters[0]!;
  const out = await runOk(process.execPath, [
    join(ctx.repo, 'packages/master/dist/skiff.js'), 'token', 'create', '--print-join-command', '--ttl', '7200',
    '--home', ctx.paths.masterHome(master), '--etcd-servers', etcdClientURLs(ctx.topology).join(','),
    '--join-address', master.address, '--agent-gateway-port', String(GATEWAY_PORT),
  ], { timeoutMs: 30_000 });
  const words = out.trim().split(/\s+/);
  const arg = (f: string): string | undefined => { const i = words.indexOf(f); return i >= 0 ? words[i + 1] : undefined; };
  const joinAddr = arg('--join'); const token = arg('--token'); const caHash = arg('--ca-hash');
  if (!joinAddr || !token || !caHash) throw new Error(`unexpected output of skiff token create: ${out.trim()}`);
  return { join: joinAddr, token, caHash };
}

// --- workers: dockerd -------------------------------------------------------------

/** A node's dockerd sees its own /var/lib/docker, /run/docker and /run/containerd (bind mounts in its private mount namespace). */
export function dockerPrivateMounts(ctx: LabContext, m: LabMember): { source: string; target: string }[] {
  const dir = ctx.paths.nodeDir(m);
  return [
    { source: join(dir, 'var-lib-docker'), target: '/var/lib/docker' },
    { source: join(dir, 'run-docker'), target: '/run/docker' },
    { source: join(dir, 'run-containerd'), target: '/run/containerd' },
  ];
}

export async function ensureDockerd(ctx: LabContext, m: LabMember): Promise<EnsureResult> {
  const pidFile = ctx.paths.pidFile(m, 'dockerd');
  if (alivePid(pidFile) !== undefined) return 'running';
  const dir = ctx.paths.nodeDir(m);
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'daemon.json');
  writeFileSync(config, '{}\n');
  // A killed dockerd leaves its pid file, socket and exec-root state (containerd's pid file and
  // sockets) behind; ours says it is gone, so all of that is stale. Images in var-lib-docker stay.
  rmSync(join(dir, 'dockerd.pid'), { force: true });
  rmSync(ctx.paths.dockerSocket(m), { force: true });
  for (const runDir of ['run-docker', 'run-containerd']) {
    try {
      rmSync(join(dir, runDir), { recursive: true, force: true });
    } catch {
      // Something still mounted there: leave it; dockerd reports what it cannot use.
    }
    mkdirSync(join(dir, runDir), { recursive: true });
  }
  await startDaemon({
    label: `${m.name} dockerd`, pidFile, logFile: ctx.paths.logFile(m, 'dockerd'), netns: m.netns, hostname: m.name,
    cgroupProcs: ctx.cgroups.ensureLeaf(m.name, 'daemons'),
    privateMounts: dockerPrivateMounts(ctx, m),
    argv: [
      'dockerd', '--config-file', config,
      '--host', `unix://${ctx.paths.dockerSocket(m)}`, '--pidfile', join(dir, 'dockerd.pid'),
      '--data-root', '/var/lib/docker', '--exec-root', '/run/docker',
      '--bip', m.dockerBridgeIP!, '--ip-masq=false', '--iptables=true', '--userland-proxy=false',
      ...(ctx.cgroups.mode === 'none' ? [] : ['--cgroup-parent', ctx.cgroups.dockerParent(m.name)]),
      '--shutdown-timeout', '5', '--log-level', 'warn',
    ],
  });
  return 'started';
}

export function dockerPing(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function dockerVersion(socket: string): Promise<string> {
  return (await runOk('docker', ['-H', `unix://${socket}`, 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000 })).trim();
}

// --- images -----------------------------------------------------------------------

export const LAB_IMAGES = ['skiff/pause:3.9', 'skiff/busybox:latest', 'skiff/web:latest', 'nginx:1.7.9'];

async function imageIds(dockerArgs: string[], images: readonly string[]): Promise<string[] | undefined> {
  const r = await run('docker', [...dockerArgs, 'image', 'inspect', '--format', '{{.Id}}', ...images], { timeoutMs: 30_000 });
  return r.code === 0 ? r.stdout.trim().split('\n') : undefined;
}

/** Builds the test images on the host engine if missing and saves them once into `<state>/images.tar`. Returns the image IDs. */
export async function prepareImages(ctx: LabContext, images: readonly string[] = LAB_IMAGES): Promise<string[]> {
  let ids = await imageIds([], images);
  if (!ids) {
    await runOk('bash', [join(ctx.repo, 'test/images/build.sh')], { timeoutMs: 600_000 });
    ids = await imageIds([], images);
    if (!ids) throw new Error(`images missing on the host engine after test/images/build.sh: ${images.join(' ')}`);
  }
  const stamp = `${ctx.paths.imagesTar}.ids`;
  const want = ids.join('\n');
  const have = existsSync(stamp) && existsSync(ctx.paths.imagesTar) ? readFileSync(stamp, 'utf8') : '';
  if (have !== want) {
    await runOk('docker', ['save', '-o', ctx.paths.imagesTar, ...images], { timeoutMs: 300_000 });
    writeFileSync(stamp, want);
  }
  return ids;
}

/** `docker save | docker -H <node> load`, skipped when the node already has the same image IDs. */
export async function loadImages(ctx: LabContext, m: LabMember, wantIds: readonly string[], images: readonly string[] = LAB_IMAGES): Promise<boolean> {
  const dockerArgs = ['-H', `unix://${ctx.paths.dockerSocket(m)}`];
  const have = await imageIds(dockerArgs, images);
  if (have && have.join('\n') === wantIds.join('\n')) return false;
  await runOk('docker', [...dockerArgs, 'load', '-q', '-i', ctx.paths.imagesTar], { timeoutMs: 300_000 });
  return true;
}

// --- workers: agent ----------------------------------------------------------------

/** The cluster DNS service address every lab pod's resolv.conf names (the master's service range default). */
export const LAB_CLUSTER_DNS = '10.96.0.10';

export function agentJoined(ctx: LabContext, m: LabMember): boolean {
  return existsSync(join(ctx.paths.agentHome(m), 'agent', 'node.crt'));
}

export async function ensureAgent(ctx: LabContext, m: LabMember, join_: () => Promise<{ join: string; token: string; caHash: string }>): Promise<EnsureResult> {
  const pidFile = ctx.paths.pidFile(m, 'agent');
  if (alivePid(pidFile) !== undefined) return 'running';
  const home = ctx.paths.agentHome(m);
  mkdirSync(home, { recursive: true });
  let joinArgs = ['--join', gatewayList(ctx)];
  if (!agentJoined(ctx, m)) {
    const j = await join_();
    joinArgs = ['--join', gatewayList(ctx), '--token', j.token, '--ca-hash', j.caHash];
  }
  await startDaemon({
    label: `${m.name} agent`, pidFile, logFile: ctx.paths.logFile(m, 'agent-out'), netns: m.netns, hostname: m.name,
    cgroupProcs: ctx.cgroups.ensureLeaf(m.name, 'daemons'), cwd: ctx.repo,
    argv: [
      process.execPath, join(ctx.repo, 'packages/agent/dist/main.js'),
      '--home', home, '--node-name', m.name, '--node-ip', m.address,
      '--docker-host', `unix://${ctx.paths.dockerSocket(m)}`,
      '--allowed-registries', '127.0.0.1:5000,localhost:5000',
      '--log-file', ctx.paths.logFile(m, 'agent'),
      // Services and cluster DNS: the agent's DNS server listens on the node's pod bridge address and the
      // proxy DNATs the cluster DNS address (in every pod's resolv.conf) to it, NodeLocal-DNSCache style.
      '--proxy-mode', 'iptables', '--service-cidr', ctx.topology.network.serviceCIDR, '--cluster-cidr', ctx.topology.network.podCIDR,
      ...(m.podCIDR ? ['--pod-cidr', m.podCIDR] : []),
      ...(m.dockerBridgeIP ? ['--cluster-dns', LAB_CLUSTER_DNS, '--dns-listen', `${m.dockerBridgeIP.split('/')[0]!}:53`] : []),
      ...joinArgs,
    ],
  });
  return 'started';
}

// --- stopping ------------------------------------------------------------------------

/** The member's daemons in stop order (agent before dockerd). */
export function memberPidFiles(ctx: LabContext, m: LabMember): string[] {
  return m.role === 'worker' ? [ctx.paths.pidFile(m, 'agent'), ctx.paths.pidFile(m, 'dockerd')] : [ctx.paths.pidFile(m)];
}

/** Graceful: SIGTERM each daemon (dockerd stops its containers), then SIGKILL whatever is left in the member's cgroup. */
export async function stopMember(ctx: LabContext, m: LabMember): Promise<void> {
  for (const f of memberPidFiles(ctx, m)) await stopDaemon(f, f.endsWith('-dockerd.pid') ? 30_000 : 15_000);
  await ctx.cgroups.killAll(m.name);
  ctx.cgroups.remove(m.name);
}

/** Power loss: SIGKILL the member's whole process tree at once. */
export async function killMember(ctx: LabContext, m: LabMember): Promise<number> {
  const n = await ctx.cgroups.killAll(m.name);
  // Daemons in a lab without cgroups (or started before they joined one).
  for (const f of memberPidFiles(ctx, m)) await stopDaemon(f, 0, 'SIGKILL');
  ctx.cgroups.remove(m.name);
  return n;
}

export function memberRunning(ctx: LabContext, m: LabMember): boolean {
  return memberPidFiles(ctx, m).every((f) => alivePid(f) !== undefined);
}

export { applyPodNetwork };
