import type { Readable, Writable } from 'node:stream';
import type { CgroupLimits } from '../resources/cgroup-limits';

/**
 * The container runtime as the pod machinery sees it: sandboxes (one per pod,
 * holding its namespaces) and containers that join them. DockerRuntime is the
 * real one, FakeRuntime the one for unit tests.
 */
export interface Runtime {
  createSandbox(config: SandboxConfig): Promise<string>;
  startSandbox(id: string): Promise<void>;
  stopSandbox(id: string, timeoutSeconds: number): Promise<void>;
  removeSandbox(id: string): Promise<void>;
  /** Rewrites the pod's hosts file once the pod IP is known (bound into every container). */
  writePodHosts(id: string, hosts: PodHosts): Promise<void>;

  createContainer(config: ContainerConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after timeoutSeconds. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  killContainer(id: string, signal: string): Promise<void>;
  removeContainer(id: string): Promise<void>;

  /** Sandboxes and containers whose labels include all of `labels`. */
  list(filter?: { labels?: Record<string, string> }): Promise<RuntimeObject[]>;
  inspect(id: string): Promise<RuntimeObject | undefined>;

  logs(id: string, options?: LogOptions): Promise<Readable>;
  exec(id: string, options: ExecOptions): Promise<ExecSession>;

  pullImage(image: string, options?: PullOptions): Promise<PullResult>;
  inspectImage(image: string): Promise<ImageInfo | undefined>;

  stats(id: string): Promise<ContainerStats>;
}

/** Optional capability: a stream of lifecycle events so that workers react at once. */
export interface RuntimeEventSource {
  onEvent(listener: (event: RuntimeEvent) => void): () => void;
}

export function hasEvents(r: Runtime): r is Runtime & RuntimeEventSource {
  return typeof (r as Partial<RuntimeEventSource>).onEvent === 'function';
}

export interface RuntimeEvent {
  id: string;
  action: 'create' | 'start' | 'die' | 'oom' | 'destroy' | 'stop' | 'kill';
  podUid?: string;
  containerName?: string;
}

export interface PodRef {
  uid: string;
  name: string;
  namespace: string;
}

export interface HostAliasEntry { ip: string; hostnames: string[] }

export interface PodHosts {
  podIPs: string[];
  hostname: string;
  /** `<hostname>.<subdomain>.<ns>.svc.<cluster domain>` when the pod has a subdomain. */
  fqdn?: string;
  hostAliases?: HostAliasEntry[];
}

export interface SandboxConfig {
  pod: PodRef;
  hostname: string;
  /** A Docker network name, 'bridge', 'host' (hostNetwork) or 'none'. */
  network: string;
  /** The pod's resolv.conf; written per pod and bound into every container. */
  resolvConf: string;
  hostIPC?: boolean;
  hostPID?: boolean;
  labels?: Record<string, string>;
  /** Memory-backed emptyDirs: the sandbox keeps them mounted for the pod's lifetime. */
  tmpfsVolumes?: { name: string; sizeBytes?: number }[];
  attempt?: number;
  /** The pod's cgroup (resources/cgroup-parent.ts); unset: the engine's default parent. */
  cgroupParent?: string;
}

export type ContainerMount =
  | { kind: 'bind'; hostPath: string; containerPath: string; readOnly?: boolean; propagation?: 'private' | 'rprivate' | 'rslave' | 'rshared' }
  | { kind: 'tmpfs'; volumeName: string; containerPath: string; readOnly?: boolean; subPath?: string };

export interface ContainerConfig {
  pod: PodRef;
  sandboxId: string;
  name: string;
  kind: 'init' | 'app';
  image: string;
  /** Entrypoint override (Kubernetes `command`), already expanded. */
  command?: string[];
  /** Cmd override (Kubernetes `args`), already expanded. */
  args?: string[];
  env: { name: string; value: string }[];
  workingDir?: string;
  tty?: boolean;
  stdin?: boolean;
  stdinOnce?: boolean;
  mounts: ContainerMount[];
  limits: CgroupLimits;
  /** Share the sandbox's PID namespace (shareProcessNamespace). */
  sharePid?: boolean;
  user?: string;
  privileged?: boolean;
  readOnlyRootFilesystem?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  restartCount: number;
  /** Extra labels (e.g. spec hash, termination message file). */
  labels?: Record<string, string>;
  stopSignal?: string;
  /** The pod's cgroup, the same as its sandbox's; unset: the engine's default parent. */
  cgroupParent?: string;
}

export type RuntimeState = 'created' | 'running' | 'exited' | 'unknown';

/** What the runtime knows about one sandbox or container. */
export interface RuntimeObject {
  id: string;
  type: 'sandbox' | 'container';
  labels: Record<string, string>;
  /** io.skiff.container.name, or 'POD' for a sandbox. */
  name: string;
  podUid?: string;
  state: RuntimeState;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
  /** The runtime's own error text (e.g. a start failure). */
  error?: string;
  /** The image reference the container was created from. */
  image: string;
  /** sha256:... of the image. */
  imageId: string;
  /** repo@sha256:... when the image came from a registry. */
  imageDigest?: string;
  restartCount: number;
  /** Sandbox only: its addresses on the pod network. */
  ips?: string[];
  pid?: number;
}

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  /** Seconds since the epoch. */
  since?: number;
  timestamps?: boolean;
  stdout?: boolean;
  stderr?: boolean;
}

export interface ExecOptions {
  cmd: string[];
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
  env?: string[];
  user?: string;
  workingDir?: string;
}

export interface ExecSession {
  stdin?: Writable;
  stdout: Readable;
  /** With a tty everything arrives on stdout and this stream stays empty. */
  stderr: Readable;
  resize(size: { width: number; height: number }): Promise<void>;
  /** Resolves with the exit code once the process is gone and its output is drained. */
  wait(): Promise<number>;
  /**
   * Ends the process and everything it started (SIGKILL) when the client went
   * away first; resolves with how many processes were killed. Optional: a
   * runtime that cannot do it leaves the process running.
   */
  kill?(): Promise<number>;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  auth?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export interface PullOptions {
  auth?: RegistryAuth;
  onProgress?: (event: { status?: string; id?: string; progress?: string }) => void;
}

export interface PullResult {
  imageId: string;
  sizeBytes: number;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
  labels: Record<string, string>;
  stopSignal?: string;
}

export interface ContainerStats {
  timestamp: string;
  cpuUsageCoreNanoSeconds: number;
  memoryUsageBytes: number;
  memoryWorkingSetBytes: number;
  memoryRssBytes?: number;
  memoryLimitBytes?: number;
  pids?: number;
}

/** The runtime failed to pull an image; `message` is the runtime's own text. */
export class ImagePullError extends Error {
  constructor(readonly image: string, message: string) {
    super(message);
    this.name = 'ImagePullError';
  }
}

/** No such sandbox or container. */
export class RuntimeNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no such container: ${id}`);
    this.name = 'RuntimeNotFoundError';
  }
}
