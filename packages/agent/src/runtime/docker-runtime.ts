import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import Docker from 'dockerode';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import { demux, demuxBuffer, demuxMerged } from './docker-stream';
import { renderHostsFile } from './hosts-file';
import { killExecProcessTree } from './exec-kill';
import {
  LABEL_AGENT_ROOT, LABEL_CONTAINER_KIND, LABEL_CONTAINER_NAME, LABEL_MANAGED, LABEL_POD_UID, LABEL_RESTART_COUNT,
  LABEL_SANDBOX_ATTEMPT, LABEL_SANDBOX_ID, LABEL_TYPE, SANDBOX_NAME, podLabels,
} from './labels';
import {
  ImagePullError, RuntimeNotFoundError,
  type ContainerConfig, type ContainerStats, type ExecOptions, type ExecSession, type ImageInfo,
  type LogOptions, type PodHosts, type PullOptions, type PullResult, type Runtime, type RuntimeEvent,
  type RuntimeEventSource, type RuntimeObject, type RuntimeState, type SandboxConfig,
} from './runtime';

export interface DockerRuntimeOptions {
  /** An existing client; otherwise one is made from `socketPath` or DOCKER_HOST. */
  docker?: Docker;
  socketPath?: string;
  /** Where per-pod files live: `<rootDir>/pods/<uid>/{etc-hosts,resolv.conf}`. */
  rootDir: string;
  pauseImage?: string;
  logger?: Logger;
  /** Registries pulls may use (e.g. `127.0.0.1:5000`); empty or unset allows any. */
  allowedRegistries?: readonly string[];
  /** The owner label value (io.skiff.agent.root) put on and required of every object; default the absolute rootDir. */
  owner?: string;
}

const TMPFS_VOLUME_PREFIX = 'skiff-tmpfs';

interface DockerError extends Error {
  statusCode?: number;
  json?: { message?: string };
}

function statusOf(err: unknown): number | undefined {
  return (err as DockerError | undefined)?.statusCode;
}

/** The daemon's own text for an error, without dockerode's "(HTTP code 404) ..." prefix. */
export function dockerMessage(err: unknown): string {
  const e = err as DockerError;
  return e?.json?.message ?? (e instanceof Error ? e.message : String(err));
}

function dockerTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-01-01')) return undefined;
  return new Date(t).toISOString();
}

function dockerName(parts: string[]): string {
  return parts.join('_').replace(/[^a-zA-Z0-9_.-]/g, '-');
}

export function tmpfsVolumeName(podUid: string, volumeName: string): string {
  return `${TMPFS_VOLUME_PREFIX}-${podUid}-${volumeName}`;
}

/**
 * The Runtime on a Docker Engine: a sandbox is a pause container that owns the
 * pod's network (on the caller's network), hostname and IPC; containers join
 * it with `container:<sandbox>` modes. Every object carries io.skiff.* labels.
 */
export class DockerRuntime implements Runtime, RuntimeEventSource {
  readonly docker: Docker;
  private readonly rootDir: string;
  private readonly pauseImage: string;
  private readonly log: Logger;
  private readonly imageDigests = new Map<string, string | undefined>();
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();
  private eventStream?: NodeJS.ReadableStream;
  private eventsClosed = false;

  constructor(opts: DockerRuntimeOptions) {
    this.docker = opts.docker ?? (opts.socketPath ? new Docker({ socketPath: opts.socketPath }) : new Docker());
    this.rootDir = opts.rootDir;
    this.owner = opts.owner ?? path.resolve(opts.rootDir);
    this.pauseImage = opts.pauseImage ?? 'skiff/pause:3.9';
    this.log = (opts.logger ?? nullLogger).child({ component: 'docker-runtime' });
    this.allowedRegistries = opts.allowedRegistries?.length ? opts.allowedRegistries : undefined;
  }

  private readonly owner: string;

  /** When set, pulls from any other registry are refused before the engine is asked. */
  private readonly allowedRegistries?: readonly string[];

  podDir(uid: string): string {
    return path.join(this.rootDir, 'pods', uid);
  }

  private hostsPath(uid: string): string { return path.join(this.podDir(uid), 'etc-hosts'); }
  private resolvPath(uid: string): string { return path.join(this.podDir(uid), 'resolv.conf'); }

  // ---- sandboxes ----

  async createSandbox(cfg: SandboxConfig): Promise<string> {
    const dir = this.podDir(cfg.pod.uid);
    await fs.mkdir(dir, { recursive: true });
    // Written in place (never renamed): running containers bind the file by inode.
    await fs.writeFile(this.resolvPath(cfg.pod.uid), cfg.resolvConf);
    if (!(await exists(this.hostsPath(cfg.pod.uid)))) {
      await fs.writeFile(this.hostsPath(cfg.pod.uid), renderHostsFile({ podIPs: [], hostname: cfg.hostname }));
    }
    const hostNetwork = cfg.network === 'host';
    const labels = { ...cfg.labels, ...podLabels(cfg.pod), [LABEL_AGENT_ROOT]: this.owner, [LABEL_TYPE]: 'sandbox', [LABEL_CONTAINER_NAME]: SANDBOX_NAME, [LABEL_SANDBOX_ATTEMPT]: String(cfg.attempt ?? 0) };
    const mounts: Docker.MountSettings[] = [];
    for (const v of cfg.tmpfsVolumes ?? []) {
      const name = await this.ensureTmpfsVolume(cfg.pod.uid, v.name, v.sizeBytes, cfg.pod);
      mounts.push({ Type: 'volume', Source: name, Target: `/.skiff/volumes/${v.name}`, VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'] });
    }
    const name = dockerName(['skiff', SANDBOX_NAME, cfg.pod.name, cfg.pod.namespace, cfg.pod.uid, String(cfg.attempt ?? 0)]);
    const create = (): Promise<Docker.Container> => this.docker.createContainer({
      name,
      Image: this.pauseImage,
      Hostname: hostNetwork ? undefined : cfg.hostname,
      Labels: labels,
      HostConfig: {
        NetworkMode: cfg.network,
        IpcMode: cfg.hostIPC ? 'host' : 'shareable',
        PidMode: cfg.hostPID ? 'host' : '',
        Mounts: mounts,
        ...(cfg.cgroupParent ? { CgroupParent: cfg.cgroupParent } : {}),
        RestartPolicy: { Name: 'no' },
        LogConfig: { Type: 'json-file', Config: {} },
      },
    });
    const c = await this.retryOnNameConflict(name, cfg.pod.uid, create);
    this.log.debug('created sandbox', { id: c.id, pod: `${cfg.pod.namespace}/${cfg.pod.name}` });
    return c.id;
  }

  startSandbox(id: string): Promise<void> { return this.startContainer(id); }
  stopSandbox(id: string, timeoutSeconds: number): Promise<void> { return this.stopContainer(id, timeoutSeconds); }

  async removeSandbox(id: string): Promise<void> {
    const info = await this.inspectRaw(id);
    await this.removeContainer(id);
    const uid = info?.Config.Labels?.[LABEL_POD_UID];
    if (!uid) return;
    // The pod's memory-backed volumes go with its last sandbox.
    const remaining = await this.list({ labels: { [LABEL_POD_UID]: uid, [LABEL_TYPE]: 'sandbox' } });
    if (remaining.length > 0) return;
    const vols = await this.docker.listVolumes({ filters: { label: [`${LABEL_POD_UID}=${uid}`] } });
    for (const v of vols.Volumes ?? []) {
      try { await this.docker.getVolume(v.Name).remove(); } catch (err) {
        if (statusOf(err) !== 404) this.log.warn('removing tmpfs volume failed', { volume: v.Name, err: dockerMessage(err) });
      }
    }
  }

  async writePodHosts(id: string, hosts: PodHosts): Promise<void> {
    const info = await this.inspectRaw(id);
    const uid = info?.Config.Labels?.[LABEL_POD_UID];
    if (!uid) throw new RuntimeNotFoundError(id);
    // Rewritten in place: containers bind the file by inode.
    await fs.writeFile(this.hostsPath(uid), renderHostsFile(hosts));
  }

  private async ensureTmpfsVolume(uid: string, volume: string, sizeBytes: number | undefined, pod: SandboxConfig['pod']): Promise<string> {
    const name = tmpfsVolumeName(uid, volume);
    try {
      await this.docker.getVolume(name).inspect();
      return name;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    await this.docker.createVolume({
      Name: name,
      Driver: 'local',
      DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: sizeBytes ? `size=${sizeBytes}` : '' },
      Labels: { ...podLabels(pod), [LABEL_AGENT_ROOT]: this.owner, [LABEL_TYPE]: 'volume' },
    });
    return name;
  }

  // ---- containers ----

  async createContainer(cfg: ContainerConfig): Promise<string> {
    const sandbox = await this.inspectRaw(cfg.sandboxId);
    if (!sandbox) throw new RuntimeNotFoundError(cfg.sandboxId);
    const hostNetwork = sandbox.HostConfig.NetworkMode === 'host';
    const hostIPC = sandbox.HostConfig.IpcMode === 'host';
    const hostPID = sandbox.HostConfig.PidMode === 'host';
    const mounts: Docker.MountSettings[] = [];
    for (const m of cfg.mounts) {
      if (m.kind === 'bind') {
        mounts.push({
          Type: 'bind', Source: m.hostPath, Target: m.containerPath, ReadOnly: m.readOnly ?? false,
          ...(m.propagation ? { BindOptions: { Propagation: m.propagation } } : {}),
        });
      } else {
        if (m.subPath) throw new Error(`subPath ${JSON.stringify(m.subPath)} is not supported on a memory-backed emptyDir`);
        mounts.push({ Type: 'volume', Source: tmpfsVolumeName(cfg.pod.uid, m.volumeName), Target: m.containerPath, ReadOnly: m.readOnly ?? false, VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'] });
      }
    }
    const targets = new Set(cfg.mounts.map((m) => m.containerPath));
    if (!hostNetwork && !targets.has('/etc/hosts')) mounts.push({ Type: 'bind', Source: this.hostsPath(cfg.pod.uid), Target: '/etc/hosts', ReadOnly: false });
    if (!targets.has('/etc/resolv.conf') && (await exists(this.resolvPath(cfg.pod.uid)))) {
      mounts.push({ Type: 'bind', Source: this.resolvPath(cfg.pod.uid), Target: '/etc/resolv.conf', ReadOnly: false });
    }
    const l = cfg.limits;
    const labels: Record<string, string> = {
      ...cfg.labels, ...podLabels(cfg.pod), [LABEL_AGENT_ROOT]: this.owner,
      [LABEL_TYPE]: 'container', [LABEL_CONTAINER_NAME]: cfg.name, [LABEL_CONTAINER_KIND]: cfg.kind,
      [LABEL_RESTART_COUNT]: String(cfg.restartCount), [LABEL_SANDBOX_ID]: cfg.sandboxId,
    };
    const name = dockerName(['skiff', cfg.name, cfg.pod.name, cfg.pod.namespace, cfg.pod.uid, String(cfg.restartCount)]);
    const hostConfig: Docker.HostConfig = {
      NetworkMode: `container:${cfg.sandboxId}`,
      IpcMode: hostIPC ? 'host' : `container:${cfg.sandboxId}`,
      PidMode: hostPID ? 'host' : cfg.sharePid ? `container:${cfg.sandboxId}` : '',
      Mounts: mounts,
      CpuShares: l.cpuShares,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: {} },
      Privileged: cfg.privileged ?? false,
      ReadonlyRootfs: cfg.readOnlyRootFilesystem ?? false,
    };
    if (l.memoryLimitBytes !== undefined) { hostConfig.Memory = l.memoryLimitBytes; hostConfig.MemorySwap = l.memoryLimitBytes; }
    if (l.cpuQuota !== undefined) { hostConfig.CpuQuota = l.cpuQuota; hostConfig.CpuPeriod = l.cpuPeriod; }
    if (l.pidsLimit !== undefined) hostConfig.PidsLimit = l.pidsLimit;
    if (cfg.cgroupParent) hostConfig.CgroupParent = cfg.cgroupParent;
    if (cfg.capAdd?.length) hostConfig.CapAdd = cfg.capAdd;
    if (cfg.capDrop?.length) hostConfig.CapDrop = cfg.capDrop;
    const options: Docker.ContainerCreateOptions = {
      name,
      Image: cfg.image,
      Env: cfg.env.map((e) => `${e.name}=${e.value}`),
      Labels: labels,
      Tty: cfg.tty ?? false,
      OpenStdin: cfg.stdin ?? false,
      StdinOnce: cfg.stdinOnce ?? false,
      AttachStdin: false,
      HostConfig: hostConfig,
    };
    if (cfg.command && cfg.command.length > 0) options.Entrypoint = cfg.command;
    if (cfg.args && cfg.args.length > 0) options.Cmd = cfg.args;
    else if (cfg.command && cfg.command.length > 0) options.Cmd = [];
    if (cfg.workingDir) options.WorkingDir = cfg.workingDir;
    if (cfg.user) options.User = cfg.user;
    if (cfg.stopSignal) options.StopSignal = cfg.stopSignal;
    const c = await this.retryOnNameConflict(name, cfg.pod.uid, () => this.docker.createContainer(options));
    return c.id;
  }

  /** A leftover container with our name (a crash between create and record) is removed once. */
  private async retryOnNameConflict(name: string, uid: string, create: () => Promise<Docker.Container>): Promise<Docker.Container> {
    try {
      return await create();
    } catch (err) {
      if (statusOf(err) !== 409) throw err;
      const old = await this.inspectRaw(name);
      if (!old || old.Config.Labels?.[LABEL_POD_UID] !== uid) throw err;
      this.log.info('removing leftover container with the same name', { name });
      await this.docker.getContainer(old.Id).remove({ force: true });
      return create();
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) === 304) return;
      if (statusOf(err) === 404) throw new RuntimeNotFoundError(id);
      throw new Error(dockerMessage(err));
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(timeoutSeconds)) });
    } catch (err) {
      const s = statusOf(err);
      if (s === 304 || s === 404) return;
      throw new Error(dockerMessage(err));
    }
  }

  async killContainer(id: string, signal: string): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (err) {
      const s = statusOf(err);
      if (s === 404 || s === 409) return;
      throw new Error(dockerMessage(err));
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (err) {
      if (statusOf(err) === 404) return;
      if (statusOf(err) === 409 && /already in progress/.test(dockerMessage(err))) return;
      throw new Error(dockerMessage(err));
    }
  }

  // ---- queries ----

  async list(filter: { labels?: Record<string, string> } = {}): Promise<RuntimeObject[]> {
    const label = [`${LABEL_MANAGED}=true`, ...Object.entries(filter.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
    const summaries = await this.docker.listContainers({ all: true, filters: { label } });
    const mine = await Promise.all(summaries.map((s) => this.owns(s.Labels ?? {})));
    const out = await Promise.all(summaries.filter((_, i) => mine[i]).map((s) => this.inspect(s.Id)));
    return out.filter((o): o is RuntimeObject => o !== undefined && o.labels[LABEL_TYPE] !== undefined);
  }

  /**
   * Whether an object is this agent's: its owner label says so or, for objects
   * made before that label existed, this agent holds the pod's directory.
   */
  private async owns(labels: Record<string, string>): Promise<boolean> {
    const owner = labels[LABEL_AGENT_ROOT];
    if (owner !== undefined) return owner === this.owner;
    const uid = labels[LABEL_POD_UID];
    return uid !== undefined && uid !== '' && exists(this.podDir(uid));
  }

  private async inspectRaw(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async inspect(id: string): Promise<RuntimeObject | undefined> {
    const info = await this.inspectRaw(id);
    if (!info) return undefined;
    const labels = info.Config.Labels ?? {};
    const st = info.State;
    let state: RuntimeState;
    switch (st.Status) {
      case 'created': state = 'created'; break;
      case 'running': case 'paused': case 'restarting': state = 'running'; break;
      case 'exited': case 'dead': case 'removing': state = 'exited'; break;
      default: state = 'unknown';
    }
    const isSandbox = labels[LABEL_TYPE] === 'sandbox';
    const obj: RuntimeObject = {
      id: info.Id,
      type: isSandbox ? 'sandbox' : 'container',
      labels,
      name: labels[LABEL_CONTAINER_NAME] ?? info.Name.replace(/^\//, ''),
      state,
      createdAt: dockerTime(info.Created) ?? new Date(0).toISOString(),
      image: info.Config.Image,
      imageId: info.Image,
      restartCount: Number(labels[LABEL_RESTART_COUNT] ?? 0) || 0,
    };
    const uid = labels[LABEL_POD_UID];
    if (uid) obj.podUid = uid;
    const started = dockerTime(st.StartedAt);
    if (started) obj.startedAt = started;
    if (state === 'exited') {
      const finished = dockerTime(st.FinishedAt);
      if (finished) obj.finishedAt = finished;
      obj.exitCode = st.ExitCode;
      if (st.OOMKilled) obj.oomKilled = true;
    }
    if (st.Error) obj.error = st.Error;
    if (st.Pid) obj.pid = st.Pid;
    const digest = await this.imageDigest(info.Image);
    if (digest) obj.imageDigest = digest;
    if (isSandbox) {
      const ips: string[] = [];
      for (const n of Object.values(info.NetworkSettings?.Networks ?? {})) {
        if (n?.IPAddress) ips.push(n.IPAddress);
        if (n?.GlobalIPv6Address) ips.push(n.GlobalIPv6Address);
      }
      obj.ips = ips;
    }
    return obj;
  }

  private async imageDigest(imageId: string): Promise<string | undefined> {
    if (this.imageDigests.has(imageId)) return this.imageDigests.get(imageId);
    const img = await this.inspectImage(imageId);
    const digest = img?.repoDigests[0];
    if (img) this.imageDigests.set(imageId, digest);
    return digest;
  }

  // ---- logs and exec ----

  async logs(id: string, o: LogOptions = {}): Promise<Readable> {
    const c = this.docker.getContainer(id);
    const info = await this.inspectRaw(id);
    if (!info) throw new RuntimeNotFoundError(id);
    const tty = info.Config.Tty;
    const base = {
      stdout: o.stdout ?? true, stderr: o.stderr ?? true, timestamps: o.timestamps ?? false,
      ...(o.tail !== undefined ? { tail: o.tail } : {}), ...(o.since !== undefined ? { since: o.since } : {}),
    };
    if (o.follow) {
      const stream = await c.logs({ ...base, follow: true });
      if (tty) { const out = new PassThrough(); stream.pipe(out); return out; }
      return demuxMerged(stream);
    }
    const buf = await c.logs({ ...base, follow: false });
    return Readable.from([tty ? buf : demuxBuffer(buf)]);
  }

  async exec(id: string, o: ExecOptions): Promise<ExecSession> {
    const c = this.docker.getContainer(id);
    const tty = o.tty ?? false;
    const e = await c.exec({
      Cmd: o.cmd, AttachStdin: o.stdin ?? false, AttachStdout: o.stdout ?? true, AttachStderr: o.stderr ?? true,
      Tty: tty, ...(o.env ? { Env: o.env } : {}), ...(o.user ? { User: o.user } : {}), ...(o.workingDir ? { WorkingDir: o.workingDir } : {}),
    });
    const stream = await e.start({ hijack: true, stdin: o.stdin ?? false, Tty: tty });
    let stdout: Readable;
    let stderr: Readable;
    if (tty) {
      const out = new PassThrough();
      stream.on('data', (d: Buffer) => out.write(d));
      stream.on('end', () => out.end());
      stream.on('close', () => out.end());
      stdout = out;
      stderr = Readable.from([]);
    } else {
      ({ stdout, stderr } = demux(stream));
    }
    const ended = new Promise<void>((resolve) => {
      let done = false;
      const fin = () => { if (!done) { done = true; resolve(); } };
      stream.on('end', fin);
      stream.on('close', fin);
      stream.on('error', fin);
    });
    const session: ExecSession = {
      stdout, stderr,
      // The first size can arrive before the engine has the process running, when it refuses
      // a resize: retried a few times, as the docker CLI's initTtySize does.
      resize: async ({ width, height }) => {
        for (let attempt = 0; ; attempt++) {
          try {
            await e.resize({ w: width, h: height });
            return;
          } catch (err) {
            if (attempt >= 10) throw err;
            await sleep(20 * (attempt + 1));
          }
        }
      },
      wait: async () => {
        await ended;
        // The exit code can lag the end of the stream: by more than a second on
        // a loaded engine, so keep asking (callers bound the wait with their
        // own timeout, as exec probes do) rather than report -1 for a command
        // that succeeded.
        const deadline = Date.now() + 60_000;
        for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
          const r = await e.inspect();
          if (!r.Running && r.ExitCode !== null) return r.ExitCode;
          await sleep(delay);
        }
        return -1;
      },
      kill: async () => {
        const r = await e.inspect().catch(() => undefined);
        if (!r?.Running || !r.Pid) return 0;
        const killed = await killExecProcessTree(r.Pid, r.ContainerID);
        if (killed === 0) this.log.warn('could not end an exec whose client went away (its PID is not visible to the agent)', { container: r.ContainerID, pid: r.Pid });
        else this.log.info('ended an exec whose client went away', { container: r.ContainerID, pid: r.Pid, processes: killed });
        return killed;
      },
    };
    if (o.stdin) {
      const input = new PassThrough();
      input.pipe(stream as unknown as NodeJS.WritableStream);
      input.on('finish', () => (stream as unknown as { end?: () => void }).end?.());
      session.stdin = input;
    }
    return session;
  }

  // ---- images ----

  async pullImage(image: string, o: PullOptions = {}): Promise<PullResult> {
    const ref = normaliseRef(image);
    const registry = registryOf(ref);
    if (this.allowedRegistries && !this.allowedRegistries.includes(registry)) {
      throw new ImagePullError(image, `registry ${registry} is not in this node's allowed registries (${this.allowedRegistries.join(', ')}); pull refused`);
    }
    try {
      const stream = await this.docker.pull(ref, o.auth ? { authconfig: o.auth } : {});
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
          if (err) return reject(err);
          const failed = output.find((x) => x.error || x.errorDetail);
          if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
          resolve();
        }, (ev: { status?: string; id?: string; progress?: string }) => o.onProgress?.(ev));
      });
    } catch (err) {
      throw new ImagePullError(image, dockerMessage(err));
    }
    const info = await this.inspectImage(ref);
    if (!info) throw new ImagePullError(image, `image ${image} not present after pull`);
    return { imageId: info.id, sizeBytes: info.sizeBytes };
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    try {
      const i = await this.docker.getImage(image).inspect();
      const info: ImageInfo = {
        id: i.Id, repoTags: i.RepoTags ?? [], repoDigests: i.RepoDigests ?? [], sizeBytes: i.Size,
        labels: i.Config?.Labels ?? {},
      };
      const stopSignal = (i.Config as { StopSignal?: string } | undefined)?.StopSignal;
      if (stopSignal) info.stopSignal = stopSignal;
      return info;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  // ---- stats ----

  async stats(id: string): Promise<ContainerStats> {
    let s: Docker.ContainerStats;
    try {
      s = await this.docker.getContainer(id).stats({ stream: false, 'one-shot': true });
    } catch (err) {
      if (statusOf(err) === 404) throw new RuntimeNotFoundError(id);
      throw err;
    }
    const mem = s.memory_stats ?? ({} as Docker.ContainerStats['memory_stats']);
    const mstats = (mem.stats ?? {}) as unknown as Record<string, number | undefined>;
    const usage = mem.usage ?? 0;
    const inactive = mstats.total_inactive_file ?? mstats.inactive_file ?? 0;
    const out: ContainerStats = {
      timestamp: new Date(s.read).toISOString(),
      cpuUsageCoreNanoSeconds: s.cpu_stats?.cpu_usage?.total_usage ?? 0,
      memoryUsageBytes: usage,
      memoryWorkingSetBytes: Math.max(0, usage - inactive),
    };
    const rss = mstats.total_rss ?? mstats.rss ?? mstats.anon;
    if (rss !== undefined) out.memoryRssBytes = rss;
    // cgroup v1 reports "no limit" as a page-rounded huge number.
    if (mem.limit && mem.limit < 2 ** 62) out.memoryLimitBytes = mem.limit;
    const pids = (s as unknown as { pids_stats?: { current?: number } }).pids_stats?.current;
    if (pids !== undefined) out.pids = pids;
    return out;
  }

  // ---- events ----

  onEvent(listener: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.eventStream) void this.watchEvents();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopEvents();
    };
  }

  private stopEvents(): void {
    const s = this.eventStream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.eventStream = undefined;
    s?.destroy?.();
  }

  /** Stops the event stream so that the process can exit. */
  close(): void {
    this.eventsClosed = true;
    this.listeners.clear();
    this.stopEvents();
  }

  private async watchEvents(): Promise<void> {
    if (this.eventsClosed || this.listeners.size === 0) return;
    try {
      const stream = await this.docker.getEvents({ filters: { type: ['container'], label: [`${LABEL_MANAGED}=true`] } });
      this.eventStream = stream;
      let buf = '';
      stream.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) this.dispatch(line);
        }
      });
      const restart = () => {
        if (this.eventStream !== stream) return;
        this.eventStream = undefined;
        setTimeout(() => void this.watchEvents(), 1000).unref();
      };
      stream.on('end', restart);
      stream.on('error', restart);
      stream.on('close', restart);
      (stream as unknown as { socket?: { unref?: () => void } }).socket?.unref?.();
    } catch (err) {
      this.log.warn('docker events failed; retrying', { err: dockerMessage(err) });
      setTimeout(() => void this.watchEvents(), 2000).unref();
    }
  }

  private dispatch(line: string): void {
    let ev: { id?: string; Action?: string; status?: string; Actor?: { Attributes?: Record<string, string> } };
    try { ev = JSON.parse(line) as typeof ev; } catch { return; }
    const action = (ev.Action ?? ev.status ?? '').split(':')[0] as RuntimeEvent['action'];
    if (!ev.id || !['create', 'start', 'die', 'oom', 'destroy', 'stop', 'kill'].includes(action)) return;
    const attrs = ev.Actor?.Attributes ?? {};
    const out: RuntimeEvent = { id: ev.id, action };
    if (attrs[LABEL_POD_UID]) out.podUid = attrs[LABEL_POD_UID];
    if (attrs[LABEL_CONTAINER_NAME]) out.containerName = attrs[LABEL_CONTAINER_NAME];
    for (const l of this.listeners) l(out);
  }
}

/** The registry host of an image reference, as Docker resolves it (`docker.io` when none is named). */
export function registryOf(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** `busybox` means `busybox:latest` to a pull (the engine would otherwise pull every tag). */
export function normaliseRef(image: string): string {
  if (image.includes('@')) return image;
  const lastSlash = image.lastIndexOf('/');
  const lastColon = image.lastIndexOf(':');
  return lastColon > lastSlash ? image : `${image}:latest`;
}

async function exists(p: string): Promise<boolean> {
  try { await fs.access(p); return true; } catch { return false; }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
