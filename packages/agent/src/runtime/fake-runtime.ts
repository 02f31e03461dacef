import { Readable, PassThrough } from 'node:stream';
import {
  LABEL_CONTAINER_KIND, LABEL_CONTAINER_NAME, LABEL_POD_UID, LABEL_RESTART_COUNT, LABEL_SANDBOX_ATTEMPT,
  LABEL_SANDBOX_ID, LABEL_TYPE, SANDBOX_NAME, podLabels,
} from './labels';
import {
  ImagePullError, RuntimeNotFoundError,
  type ContainerConfig, type ContainerStats, type ExecOptions, type ExecSession, type ImageInfo, type LogOptions,
  type PodHosts, type PullOptions, type PullResult, type Runtime, type RuntimeEvent, type RuntimeEventSource,
  type RuntimeObject, type SandboxConfig,
} from './runtime';

export interface FakeObject extends RuntimeObject {
  sandboxConfig?: SandboxConfig;
  containerConfig?: ContainerConfig;
  hosts?: PodHosts;
  logs: string;
}

/** Scripted result of `exec` in a fake container. */
export type FakeExecHandler = (obj: FakeObject, cmd: string[]) => { exitCode: number; stdout?: string; stderr?: string } | Promise<{ exitCode: number; stdout?: string; stderr?: string }>;

/**
 * An in-memory Runtime for unit tests: records every call, lets tests make
 * containers exit (`exit`), fail to start (`failStart`), or images fail to pull.
 */
export class FakeRuntime implements Runtime, RuntimeEventSource {
  readonly objects = new Map<string, FakeObject>();
  readonly calls: string[] = [];
  readonly images = new Map<string, ImageInfo>();
  pullErrors = new Map<string, string>();
  startErrors = new Map<string, string>();
  execHandler: FakeExecHandler = () => ({ exitCode: 0 });
  podIP = '10.244.0.10';
  private seq = 0;
  private ipSeq = 10;
  private readonly listeners = new Set<(e: RuntimeEvent) => void>();
  now: () => Date = () => new Date();

  addImage(ref: string, sizeBytes = 1000): ImageInfo {
    const info: ImageInfo = { id: `sha256:${hex(ref)}`, repoTags: [ref], repoDigests: [], sizeBytes, labels: {} };
    this.images.set(ref, info);
    return info;
  }

  private nextId(): string {
    this.seq += 1;
    return `${this.seq.toString(16).padStart(4, '0')}${'f'.repeat(60)}`;
  }

  private get(id: string): FakeObject {
    const o = this.objects.get(id);
    if (!o) throw new RuntimeNotFoundError(id);
    return o;
  }

  private emit(e: RuntimeEvent): void {
    for (const l of this.listeners) l(e);
  }

  onEvent(listener: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createSandbox(cfg: SandboxConfig): Promise<string> {
    this.calls.push(`createSandbox ${cfg.pod.name}`);
    const id = this.nextId();
    this.objects.set(id, {
      id, type: 'sandbox', name: SANDBOX_NAME, podUid: cfg.pod.uid, state: 'created',
      labels: { ...cfg.labels, ...podLabels(cfg.pod), [LABEL_TYPE]: 'sandbox', [LABEL_CONTAINER_NAME]: SANDBOX_NAME, [LABEL_SANDBOX_ATTEMPT]: String(cfg.attempt ?? 0) },
      createdAt: this.now().toISOString(), image: 'skiff/pause:3.9', imageId: 'sha256:pause', restartCount: 0,
      sandboxConfig: cfg, logs: '', ips: [],
    });
    return id;
  }

  async startSandbox(id: string): Promise<void> {
    this.calls.push(`startSandbox ${id.slice(0, 4)}`);
    const o = this.get(id);
    o.state = 'running';
    o.startedAt = this.now().toISOString();
    o.ips = [this.podIP];
  }

  async stopSandbox(id: string, timeoutSeconds: number): Promise<void> {
    this.calls.push(`stopSandbox ${id.slice(0, 4)} ${timeoutSeconds}`);
    const o = this.objects.get(id);
    if (o && o.state === 'running') { o.state = 'exited'; o.exitCode = 0; o.finishedAt = this.now().toISOString(); o.ips = []; }
  }

  async removeSandbox(id: string): Promise<void> {
    this.calls.push(`removeSandbox ${id.slice(0, 4)}`);
    this.objects.delete(id);
  }

  async writePodHosts(id: string, hosts: PodHosts): Promise<void> {
    this.get(id).hosts = hosts;
  }

  async createContainer(cfg: ContainerConfig): Promise<string> {
    this.calls.push(`createContainer ${cfg.name} ${cfg.restartCount}`);
    this.get(cfg.sandboxId);
    const img = this.images.get(cfg.image);
    if (!img) throw new Error(`No such image: ${cfg.image}`);
    const id = this.nextId();
    this.objects.set(id, {
      id, type: 'container', name: cfg.name, podUid: cfg.pod.uid, state: 'created',
      labels: {
        ...cfg.labels, ...podLabels(cfg.pod), [LABEL_TYPE]: 'container', [LABEL_CONTAINER_NAME]: cfg.name,
        [LABEL_CONTAINER_KIND]: cfg.kind, [LABEL_RESTART_COUNT]: String(cfg.restartCount), [LABEL_SANDBOX_ID]: cfg.sandboxId,
      },
      createdAt: this.now().toISOString(), image: cfg.image, imageId: img.id, restartCount: cfg.restartCount,
      containerConfig: cfg, logs: '',
    });
    this.emit({ id, action: 'create', podUid: cfg.pod.uid, containerName: cfg.name });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const o = this.get(id);
    this.calls.push(`startContainer ${o.name}`);
    const err = this.startErrors.get(o.name);
    if (err) {
      o.state = 'exited'; o.exitCode = 128; o.error = err; o.finishedAt = this.now().toISOString();
      throw new Error(err);
    }
    o.state = 'running';
    o.startedAt = this.now().toISOString();
    this.emit({ id, action: 'start', ...(o.podUid ? { podUid: o.podUid } : {}), containerName: o.name });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const o = this.objects.get(id);
    this.calls.push(`stopContainer ${o?.name ?? id} ${timeoutSeconds}`);
    if (o && o.state === 'running') this.exit(id, 137);
  }

  async killContainer(id: string, signal: string): Promise<void> {
    const o = this.objects.get(id);
    this.calls.push(`killContainer ${o?.name ?? id} ${signal}`);
    if (o && o.state === 'running') this.exit(id, 137);
  }

  async removeContainer(id: string): Promise<void> {
    const o = this.objects.get(id);
    this.calls.push(`removeContainer ${o?.name ?? id}`);
    this.objects.delete(id);
  }

  /** Test control: the container's process exits. */
  exit(id: string, exitCode: number, opts: { oomKilled?: boolean; logs?: string } = {}): void {
    const o = this.get(id);
    o.state = 'exited';
    o.exitCode = exitCode;
    o.finishedAt = this.now().toISOString();
    if (opts.oomKilled) o.oomKilled = true;
    if (opts.logs) o.logs += opts.logs;
    this.emit({ id, action: 'die', ...(o.podUid ? { podUid: o.podUid } : {}), containerName: o.name });
  }

  /** Test control: the latest container called `name` of a pod. */
  latest(podUid: string, name: string): FakeObject | undefined {
    let best: FakeObject | undefined;
    for (const o of this.objects.values()) {
      if (o.podUid === podUid && o.name === name && o.type === 'container' && (!best || o.restartCount > best.restartCount)) best = o;
    }
    return best;
  }

  async list(filter: { labels?: Record<string, string> } = {}): Promise<RuntimeObject[]> {
    return [...this.objects.values()]
      .filter((o) => Object.entries(filter.labels ?? {}).every(([k, v]) => o.labels[k] === v))
      .map((o) => strip(o));
  }

  async inspect(id: string): Promise<RuntimeObject | undefined> {
    const o = this.objects.get(id);
    return o ? strip(o) : undefined;
  }

  async logs(id: string, o: LogOptions = {}): Promise<Readable> {
    let text = this.get(id).logs;
    if (o.tail !== undefined) text = text.split('\n').slice(-(o.tail + 1)).join('\n');
    return Readable.from([Buffer.from(text)]);
  }

  async exec(id: string, o: ExecOptions): Promise<ExecSession> {
    const obj = this.get(id);
    if (obj.state !== 'running') throw new Error(`container ${id} is not running`);
    const r = await this.execHandler(obj, o.cmd);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.end(r.stdout ?? '');
    stderr.end(r.stderr ?? '');
    return { stdout, stderr, resize: async () => undefined, wait: async () => r.exitCode };
  }

  async pullImage(image: string, _o?: PullOptions): Promise<PullResult> {
    this.calls.push(`pullImage ${image}`);
    const err = this.pullErrors.get(image);
    if (err) throw new ImagePullError(image, err);
    const info = this.images.get(image) ?? this.addImage(image);
    return { imageId: info.id, sizeBytes: info.sizeBytes };
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    return this.images.get(image);
  }

  async stats(id: string): Promise<ContainerStats> {
    this.get(id);
    return { timestamp: this.now().toISOString(), cpuUsageCoreNanoSeconds: 0, memoryUsageBytes: 0, memoryWorkingSetBytes: 0 };
  }
}

function strip(o: FakeObject): RuntimeObject {
  const { sandboxConfig: _s, containerConfig: _c, hosts: _h, logs: _l, ...rest } = o;
  return { ...rest, labels: { ...rest.labels }, ...(rest.ips ? { ips: [...rest.ips] } : {}) };
}

function hex(s: string): string {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(8, '0').repeat(8);
}
