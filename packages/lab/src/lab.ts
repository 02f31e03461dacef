/**
 * The lab's commands: up, down, status and node stop/start/kill. Wiring of
 * the host network, the member namespaces and the members' daemons.
 */
import { existsSync, readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@skiff/logging';
import { LabCgroups } from './lab-cgroup';
import { LabPaths, readLabState, writeLabState } from './lab-paths';
import { allMembers, findMember, labTopology, type LabMember, type LabTopology, DEFAULT_NETWORK } from './topology';
import {
  applyHostFirewall, ensureBridge, ensureHostPodRoutes, ensureMemberNetns, hostFirewallPresent, labHostLinks, labNetnsNames,
  netnsExists, removeHostFirewall, removeHostNetwork,
} from './host-network';
import { applyPodNetwork } from './pod-network-routes';
import { alivePid, readPidFile, stopDaemon } from './daemon-process';
import {
  apiServerURL, dockerPing, dockerVersion, ensureAgent, ensureDockerd, ensureEtcd, ensureMaster, joinCommand, killMember,
  loadImages, memberPidFiles, prepareImages, shareClusterCA, stopMember, type LabContext,
} from './lab-members';
import { apiReady, etcdHealthy, listNodes, nodeReady, readAdminCredentials } from './kube-api';
import { mergeIntoUserKubeconfig, removeFromUserKubeconfig, writeLabKubeconfig, LAB_CONTEXT, userKubeconfig } from './kubeconfig';
import { FatalWaitError, Progress, waitFor } from './progress';
import { run } from './run-command';

export class LabError extends Error {
  override readonly name = 'LabError';
}

export interface UpOptions { workers: number; masters: number; mergeKubeconfig: boolean; masterFlags?: string[] }

export interface UpResult { elapsedMs: number; kubeconfig: string; memory: { processes: number; rssKiB: number }; workers: string[] }

export interface MemberStatus {
  name: string; role: string; address: string; netns: boolean;
  processes: { name: string; pid?: number }[];
  running: boolean;
  podCIDR?: string;
}

export interface LabStatus {
  stateDir: string;
  up: boolean;
  workers: number;
  masters: number;
  members: MemberStatus[];
  nodes: { name: string; ready: boolean; internalIP?: string; runtime?: string }[];
  memory: { processes: number; rssKiB: number };
  kubeconfig?: string;
  leftovers: string[];
}

const REQUIRED_COMMANDS = ['ip', 'iptables', 'iptables-restore', 'nsenter', 'unshare', 'etcd', 'dockerd', 'docker', 'mount', 'hostname'];

export class Lab {
  readonly cgroups = LabCgroups.detect();

  constructor(readonly paths: LabPaths, readonly repo: string, readonly log: Logger, readonly progress: Progress) {}

  private context(topology: LabTopology): LabContext {
    const masterFlags = readLabState(this.paths)?.masterFlags;
    return { paths: this.paths, topology, cgroups: this.cgroups, repo: this.repo, log: this.log, ...(masterFlags ? { masterFlags } : {}) };
  }

  /** The first master whose daemon runs (master-1 may be the one stopped or killed). */
  private liveMaster(topology: LabTopology): LabMember {
    return topology.masters.find((m) => alivePid(this.paths.pidFile(m)) !== undefined) ?? topology.masters[0]!;
  }

  private topologyFromState(): LabTopology | undefined {
    const s = readLabState(this.paths);
    return s ? labTopology({ workers: s.workers, masters: s.masters }) : undefined;
  }

  private async preflight(): Promise<void> {
    if (process.getuid?.() !== 0) throw new LabError('the lab needs root (network namespaces, bridges, iptables, dockerd)');
    if (/\s|=/.test(this.paths.state)) throw new LabError(`the lab state directory may not contain spaces or '=': ${this.paths.state}`);
    const missing: string[] = [];
    for (const c of REQUIRED_COMMANDS) if ((await run('sh', ['-c', `command -v ${c}`])).code !== 0) missing.push(c);
    if (missing.length) throw new LabError(`missing commands: ${missing.join(' ')} (apt-get install iproute2 iptables util-linux etcd-server docker.io)`);
    for (const f of ['packages/master/dist/main.js', 'packages/master/dist/skiff.js', 'packages/agent/dist/main.js']) {
      if (!existsSync(join(this.repo, f))) throw new LabError(`${f} not found: build first (npm run build)`);
    }
  }

  /** Pid files of the lab's daemons that still name a running process. */
  private aliveDaemons(): { file: string; pid: number }[] {
    let files: string[] = [];
    try { files = readdirSync(this.paths.run).filter((f) => f.endsWith('.pid')).map((f) => join(this.paths.run, f)); } catch { /* none */ }
    return files.map((file) => ({ file, pid: alivePid(file) })).filter((x): x is { file: string; pid: number } => x.pid !== undefined);
  }

  /** Mount points in this (the host's) mount namespace under the state directory. */
  private mountsUnderState(): string[] {
    try {
      return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
        .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
        .filter((p): p is string => !!p && p.startsWith(`${this.paths.state}/`));
    } catch {
      return [];
    }
  }

  /** What a killed earlier run may have left: namespaces, interfaces, rules, processes, pid files, mounts. */
  async leftovers(): Promise<string[]> {
    const out: string[] = [];
    out.push(...labNetnsNames().map((n) => `netns ${n}`));
    out.push(...(await labHostLinks(DEFAULT_NETWORK)).map((l) => `link ${l}`));
    if (await hostFirewallPresent()) out.push('iptables chain SKIFF-LAB-FWD');
    const pids = this.cgroups.pids();
    if (pids.length) out.push(`${pids.length} process(es) in cgroup skiff-lab`);
    for (const d of this.aliveDaemons()) out.push(`daemon pid ${d.pid} (${d.file})`);
    out.push(...this.mountsUnderState().map((m) => `mount ${m}`));
    if (existsSync(this.paths.run) && readdirSync(this.paths.run).some((f) => f.endsWith('.pid'))) out.push('pid files');
    return out;
  }

  // --- up -----------------------------------------------------------------------------

  async up(opts: UpOptions): Promise<UpResult> {
    const p = this.progress;
    await this.preflight();
    mkdirSync(this.paths.state, { recursive: true });
    const prev = readLabState(this.paths);
    const running = this.aliveDaemons().length > 0;
    let workers = opts.workers;
    let masters = opts.masters;
    if (running && prev) {
      if (prev.workers > workers || prev.masters > masters) {
        p.warn(`the running lab has ${prev.workers} node(s) and ${prev.masters} master(s); keeping them (down first to shrink)`);
      }
      workers = Math.max(workers, prev.workers);
      masters = Math.max(masters, prev.masters);
      p.line(`lab already running in ${this.paths.state}: making sure every member is up`);
    } else {
      const strays = this.cgroups.pids();
      if (strays.length) {
        throw new LabError(`${strays.length} process(es) of a lab this state directory (${this.paths.state}) has no record of run in cgroup skiff-lab (another --home?); ` +
          'stop that lab with its own --home, or run `skiff-lab down` here to remove every lab process, namespace and rule');
      }
      const left = await this.leftovers();
      if (left.length || existsSync(this.paths.stateFile)) {
        p.line(`cleaning up an earlier lab${left.length ? `: ${left.slice(0, 6).join(', ')}${left.length > 6 ? ', ...' : ''}` : ''}`);
        await this.teardown(false);
      }
    }
    const topology = labTopology({ workers, masters });
    const masterFlags = opts.masterFlags ?? (running ? prev?.masterFlags : undefined);
    writeLabState(this.paths, { version: 1, workers, masters, createdAt: prev && running ? prev.createdAt : new Date().toISOString(), ...(masterFlags ? { masterFlags } : {}) });
    const ctx = this.context(topology);

    // Network: the safety chain before any namespace can send a packet.
    await applyHostFirewall(topology.network);
    await ensureBridge(topology.network);
    await Promise.all(allMembers(topology).map((m) => ensureMemberNetns(m, topology.network)));
    await ensureHostPodRoutes(topology);
    p.line(`network: bridge ${topology.network.bridge} ${topology.network.hostAddress}/24, ${allMembers(topology).length} namespaces, host FORWARD chain SKIFF-LAB-FWD (lab traffic stays on the bridge)`);

    const images = prepareImages(ctx);
    images.catch(() => { /* awaited below */ });

    const controlPlane = (async () => {
      await Promise.all(topology.etcd.map((m) => ensureEtcd(ctx, m)));
      await waitFor('etcd: all members healthy', async () => {
        for (const m of topology.etcd) this.assertAlive(ctx.paths.pidFile(m), m.name, ctx.paths.logFile(m));
        const ok = await Promise.all(topology.etcd.map((m) => etcdHealthy(`http://${m.address}:2379`)));
        return ok.every(Boolean) ? true : undefined;
      }, 60_000, 300);
      p.line(`etcd: ${topology.etcd.length}/${topology.etcd.length} members healthy (${topology.etcd.map((m) => m.address).join(', ')})`);
      for (const [i, m] of topology.masters.entries()) {
        if (i > 0) shareClusterCA(ctx, topology.masters[0]!, m);
        await ensureMaster(ctx, m);
        await waitFor(`${m.name}: ${apiServerURL(m)}/readyz`, async () => {
          this.assertAlive(ctx.paths.pidFile(m), m.name, ctx.paths.logFile(m, 'out'));
          return (await apiReady(apiServerURL(m))) ? true : undefined;
        }, 60_000, 300);
        p.line(`${m.name}: serving ${apiServerURL(m)} (agent gateway ${m.address}:9443)`);
      }
    })();

    const nodes = Promise.all(topology.workers.map(async (w) => {
      const version = await this.startWorkerEngine(ctx, w);
      const ids = await images;
      const loaded = await loadImages(ctx, w, ids);
      p.line(`${w.name}: dockerd ${version} on ${w.address}, pods ${w.podCIDR}${loaded ? ', images loaded' : ''}`);
    }));

    const results = await Promise.allSettled([controlPlane, nodes]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;

    let join: Promise<{ join: string; token: string; caHash: string }> | undefined;
    const joinOnce = (): Promise<{ join: string; token: string; caHash: string }> => (join ??= joinCommand(ctx));
    const started = await Promise.all(topology.workers.map((w) => ensureAgent(ctx, w, joinOnce)));
    if (started.includes('started')) p.line(`agents: ${topology.workers.filter((_, i) => started[i] === 'started').map((w) => w.name).join(', ')} started${join ? ' (joined with a bootstrap token)' : ''}`);

    await this.waitNodesReady(ctx, topology.workers);

    const master = topology.masters[0]!;
    const creds = readAdminCredentials(this.paths.masterHome(master));
    writeLabKubeconfig(this.paths.kubeconfig, apiServerURL(master), creds);
    if (opts.mergeKubeconfig) {
      try {
        await mergeIntoUserKubeconfig(this.paths.kubeconfig);
        p.line(`kubeconfig: context ${LAB_CONTEXT} merged into ${userKubeconfig()} (current context unchanged)`);
      } catch (e) {
        p.warn(`could not merge into ${userKubeconfig()}: ${(e as Error).message}; use KUBECONFIG=${this.paths.kubeconfig}`);
      }
    }
    return { elapsedMs: p.elapsedMs(), kubeconfig: this.paths.kubeconfig, memory: this.cgroups.memory(), workers: topology.workers.map((w) => w.name) };
  }

  private assertAlive(pidFile: string, label: string, logFile: string): void {
    if (alivePid(pidFile) !== undefined) return;
    let tail = '';
    try { tail = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n'); } catch { /* no log */ }
    throw new FatalWaitError(`${label} is not running (log ${logFile}):\n${tail}`);
  }

  /** dockerd up and answering, then the node's pod routes and FORWARD accepts. Returns the engine version. */
  private async startWorkerEngine(ctx: LabContext, w: LabMember): Promise<string> {
    await ensureDockerd(ctx, w);
    const sock = ctx.paths.dockerSocket(w);
    await waitFor(`${w.name}: dockerd on ${sock}`, async () => {
      this.assertAlive(ctx.paths.pidFile(w, 'dockerd'), `${w.name} dockerd`, ctx.paths.logFile(w, 'dockerd'));
      return (await dockerPing(sock)) ? true : undefined;
    }, 60_000, 200);
    await applyPodNetwork(w, ctx.topology);
    return dockerVersion(sock);
  }

  /** All workers' Nodes Ready; with `since`, only a Ready heartbeat from after that moment counts (a killed node's old status does not). */
  private async waitNodesReady(ctx: LabContext, workers: LabMember[], timeoutMs = 90_000, since?: Date): Promise<void> {
    const master = this.liveMaster(ctx.topology);
    const creds = readAdminCredentials(this.paths.masterHome(master));
    let lastCount = -1;
    await waitFor(`nodes Ready: ${workers.map((w) => w.name).join(', ')}`, async () => {
      for (const w of workers) this.assertAlive(ctx.paths.pidFile(w, 'agent'), `${w.name} agent`, ctx.paths.logFile(w, 'agent-out'));
      const nodes = await listNodes(apiServerURL(master), creds);
      const fresh = (n: (typeof nodes)[number]): boolean => {
        if (!since) return true;
        const hb = n.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
        return !!hb && Date.parse(hb) >= Math.floor(since.getTime() / 1000) * 1000;
      };
      const ready = workers.filter((w) => nodes.some((n) => n.metadata?.name === w.name && nodeReady(n) && fresh(n)));
      if (ready.length !== lastCount) {
        lastCount = ready.length;
        this.progress.line(`nodes Ready: ${ready.length}/${workers.length}`);
      }
      return ready.length === workers.length ? true : undefined;
    }, timeoutMs, 500);
  }

  // --- down ---------------------------------------------------------------------------

  async down(opts: { keepData: boolean }): Promise<string[]> {
    if (process.getuid?.() !== 0) throw new LabError('the lab needs root');
    const removed = await this.teardown(opts.keepData);
    try { await removeFromUserKubeconfig(); } catch { /* kubectl missing: nothing was merged */ }
    return removed;
  }

  /**
   * Stops every lab daemon (by pid file, then everything left in the lab's
   * cgroup), unmounts anything under the state directory, deletes the
   * namespaces, interfaces and the host chain, and (unless keepData) the
   * state (logs are kept).
   */
  private async teardown(keepData: boolean): Promise<string[]> {
    const removed: string[] = [];
    const alive = this.aliveDaemons();
    const order = ['-agent.pid', 'master-', '-dockerd.pid', 'etcd-'];
    for (const key of order) {
      const group = alive.filter((d) => d.file.includes(key));
      await Promise.all(group.map((d) => stopDaemon(d.file, 5_000)));
      removed.push(...group.map((d) => `${d.file.split('/').pop()!.replace(/\.pid$/, '')} (pid ${d.pid})`));
    }
    const killed = await this.cgroups.killAll();
    if (killed) removed.push(`${killed} leftover process(es) in cgroup skiff-lab`);
    this.cgroups.remove();
    try {
      for (const f of readdirSync(this.paths.run)) if (f.endsWith('.pid')) {
        const rec = readPidFile(join(this.paths.run, f));
        if (!rec || alivePid(join(this.paths.run, f)) === undefined) rmSync(join(this.paths.run, f), { force: true });
      }
    } catch { /* no run dir */ }
    for (const m of this.mountsUnderState().reverse()) {
      await run('umount', ['-l', m]);
      removed.push(`mount ${m}`);
    }
    removed.push(...(await removeHostNetwork(DEFAULT_NETWORK)));
    if (await removeHostFirewall()) removed.push('iptables chain SKIFF-LAB-FWD');
    if (!keepData && existsSync(this.paths.state)) {
      for (const entry of readdirSync(this.paths.state)) {
        if (entry !== 'logs') rmSync(join(this.paths.state, entry), { recursive: true, force: true });
      }
    }
    return removed;
  }

  // --- status ---------------------------------------------------------------------------

  async status(): Promise<LabStatus> {
    const state = readLabState(this.paths);
    const topology = this.topologyFromState();
    const members: MemberStatus[] = [];
    const ctx = topology ? this.context(topology) : undefined;
    for (const m of topology ? allMembers(topology) : []) {
      const files = memberPidFiles(ctx!, m);
      const processes = files.map((f) => {
        const name = m.role === 'worker' ? (f.endsWith('-agent.pid') ? 'agent' : 'dockerd') : m.role;
        const pid = alivePid(f);
        return pid !== undefined ? { name, pid } : { name };
      });
      members.push({
        name: m.name, role: m.role, address: m.address, netns: netnsExists(m.netns), processes,
        running: processes.every((x) => x.pid !== undefined), ...(m.podCIDR ? { podCIDR: m.podCIDR } : {}),
      });
    }
    let nodes: LabStatus['nodes'] = [];
    const master = topology ? this.liveMaster(topology) : undefined;
    if (master && alivePid(this.paths.pidFile(master)) !== undefined) {
      try {
        const list = await listNodes(apiServerURL(master), readAdminCredentials(this.paths.masterHome(master)));
        nodes = list.map((n) => {
          const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
          const rt = n.status?.nodeInfo?.containerRuntimeVersion;
          return { name: n.metadata?.name ?? '', ready: nodeReady(n), ...(ip ? { internalIP: ip } : {}), ...(rt ? { runtime: rt } : {}) };
        });
      } catch { /* API not answering */ }
    }
    const up = members.length > 0 && members.every((m) => m.running);
    return {
      stateDir: this.paths.state, up, workers: state?.workers ?? 0, masters: state?.masters ?? 0, members, nodes,
      memory: this.cgroups.memory(),
      ...(existsSync(this.paths.kubeconfig) ? { kubeconfig: this.paths.kubeconfig } : {}),
      leftovers: state ? [] : await this.leftovers(),
    };
  }

  // --- node stop|start|kill ------------------------------------------------------------

  async node(op: 'stop' | 'start' | 'kill', name: string): Promise<string> {
    if (process.getuid?.() !== 0) throw new LabError('the lab needs root');
    const topology = this.topologyFromState();
    if (!topology) throw new LabError(`no lab in ${this.paths.state} (skiff-lab up first)`);
    const m = findMember(topology, name);
    if (!m) throw new LabError(`no lab member "${name}"; members: ${allMembers(topology).map((x) => x.name).join(', ')}`);
    const ctx = this.context(topology);
    if (op === 'stop') {
      await stopMember(ctx, m);
      return `${m.name}: stopped`;
    }
    if (op === 'kill') {
      const n = await killMember(ctx, m);
      return `${m.name}: killed (${n} process(es) SIGKILLed)`;
    }
    await ensureMemberNetns(m, topology.network);
    if (m.role === 'etcd') {
      await ensureEtcd(ctx, m);
      await waitFor(`${m.name} healthy`, async () => {
        this.assertAlive(ctx.paths.pidFile(m), m.name, ctx.paths.logFile(m));
        return (await etcdHealthy(`http://${m.address}:2379`)) ? true : undefined;
      }, 60_000, 300);
    } else if (m.role === 'master') {
      await ensureMaster(ctx, m);
      await waitFor(`${m.name} ready`, async () => {
        this.assertAlive(ctx.paths.pidFile(m), m.name, ctx.paths.logFile(m, 'out'));
        return (await apiReady(apiServerURL(m))) ? true : undefined;
      }, 60_000, 300);
    } else {
      const since = new Date();
      await this.startWorkerEngine(ctx, m);
      const ids = await prepareImages(ctx);
      await loadImages(ctx, m, ids);
      await ensureAgent(ctx, m, () => joinCommand(ctx));
      await this.waitNodesReady(ctx, [m], 90_000, since);
    }
    return `${m.name}: running`;
  }
}
