import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Container, DownwardAPIVolumeFile, KeyToPath, Pod, Volume, VolumeProjection } from 'kubernetes-types/core/v1';
import type { ContainerMount } from '../runtime/runtime';
import { quantityValue } from '../resources/quantity';
import { writeAtomic, type FileProjection } from './atomic-writer';
import { fieldRefValue, resourceFieldRefValue, type DownwardContext } from './downward-api';
import { expand } from './expansion';
import { configMapBytes, secretBytes, type ObjectResolver } from './object-resolver';

/** Local PVs skiff-master provisions (WaitForFirstConsumer): the agent creates their directory. */
export const PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const LOCAL_PROVISIONER = 'skiff.io/local-volume';

/** A volume ready to be mounted: a host directory, or a pod-scoped tmpfs held by the sandbox. */
export type PreparedVolume =
  | { name: string; kind: 'bind'; hostPath: string; readOnly: boolean }
  | { name: string; kind: 'tmpfs'; sizeBytes?: number };

/** A volume could not be set up; the kubelet's FailedMount event carries `message`. */
export class VolumeSetupError extends Error {
  constructor(readonly volume: string, readonly reason: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${reason}`);
    this.name = 'VolumeSetupError';
  }
}

export interface VolumeManagerOptions {
  /** `<rootDir>/pods/<uid>/volumes/kubernetes.io~<plugin>/<name>`, as the kubelet lays it out. */
  rootDir: string;
  resolver: ObjectResolver;
}

const DEFAULT_MODE = 0o644;

const PROPAGATION: Record<string, 'rprivate' | 'rslave' | 'rshared'> = {
  None: 'rprivate', HostToContainer: 'rslave', Bidirectional: 'rshared',
};

/**
 * Prepares the sources of a pod's volumes on the host and turns a container's
 * volumeMounts into runtime mounts. setUp is idempotent and is called on every
 * sync, so ConfigMap, Secret and downward API contents follow their sources.
 */
export class VolumeManager {
  constructor(private readonly opts: VolumeManagerOptions) {}

  podDir(uid: string): string {
    return path.join(this.opts.rootDir, 'pods', uid);
  }

  private volumeDir(uid: string, plugin: string, name: string): string {
    return path.join(this.podDir(uid), 'volumes', `kubernetes.io~${plugin}`, name);
  }

  async setUp(pod: Pod, ctx: DownwardContext): Promise<Map<string, PreparedVolume>> {
    const out = new Map<string, PreparedVolume>();
    for (const v of pod.spec?.volumes ?? []) {
      try {
        out.set(v.name, await this.setUpOne(pod, v, ctx));
      } catch (err) {
        if (err instanceof VolumeSetupError) throw err;
        throw new VolumeSetupError(v.name, err instanceof Error ? err.message : String(err));
      }
    }
    return out;
  }

  private async setUpOne(pod: Pod, v: Volume, ctx: DownwardContext): Promise<PreparedVolume> {
    const uid = pod.metadata?.uid ?? '';
    const ns = pod.metadata?.namespace ?? 'default';
    if (v.emptyDir) {
      if (v.emptyDir.medium === 'Memory') {
        const out: PreparedVolume = { name: v.name, kind: 'tmpfs' };
        if (v.emptyDir.sizeLimit !== undefined) out.sizeBytes = quantityValue(String(v.emptyDir.sizeLimit));
        return out;
      }
      const dir = this.volumeDir(uid, 'empty-dir', v.name);
      await fs.mkdir(dir, { recursive: true });
      await fs.chmod(dir, 0o777);
      return { name: v.name, kind: 'bind', hostPath: dir, readOnly: false };
    }
    if (v.hostPath) {
      await checkHostPath(v.hostPath.path, v.hostPath.type ?? '');
      return { name: v.name, kind: 'bind', hostPath: v.hostPath.path, readOnly: false };
    }
    if (v.configMap) {
      const payload = await this.configMapPayload(ns, v.configMap.name ?? '', v.configMap.items, v.configMap.optional ?? false, v.configMap.defaultMode ?? DEFAULT_MODE);
      const dir = this.volumeDir(uid, 'configmap', v.name);
      await writeAtomic(dir, payload);
      return { name: v.name, kind: 'bind', hostPath: dir, readOnly: true };
    }
    if (v.secret) {
      const payload = await this.secretPayload(ns, v.secret.secretName ?? '', v.secret.items, v.secret.optional ?? false, v.secret.defaultMode ?? DEFAULT_MODE);
      const dir = this.volumeDir(uid, 'secret', v.name);
      await writeAtomic(dir, payload);
      return { name: v.name, kind: 'bind', hostPath: dir, readOnly: true };
    }
    if (v.downwardAPI) {
      const payload = downwardPayload(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, ctx);
      const dir = this.volumeDir(uid, 'downward-api', v.name);
      await writeAtomic(dir, payload);
      return { name: v.name, kind: 'bind', hostPath: dir, readOnly: true };
    }
    if (v.projected) {
      const payload = await this.projectedPayload(pod, v.projected.sources ?? [], v.projected.defaultMode ?? DEFAULT_MODE, ctx);
      const dir = this.volumeDir(uid, 'projected', v.name);
      await writeAtomic(dir, payload);
      return { name: v.name, kind: 'bind', hostPath: dir, readOnly: true };
    }
    if (v.persistentVolumeClaim) {
      return { name: v.name, kind: 'bind', hostPath: await this.claimPath(ns, v.persistentVolumeClaim.claimName), readOnly: v.persistentVolumeClaim.readOnly ?? false };
    }
    throw new VolumeSetupError(v.name, 'unsupported volume type');
  }

  private async configMapPayload(ns: string, name: string, items: KeyToPath[] | undefined, optional: boolean, mode: number): Promise<Map<string, FileProjection>> {
    const cm = await this.opts.resolver.getConfigMap(ns, name);
    if (!cm) {
      if (optional) return new Map();
      throw new Error(`configmap "${name}" not found`);
    }
    return keyPayload(configMapBytes(cm), items, optional, mode, 'configmap');
  }

  private async secretPayload(ns: string, name: string, items: KeyToPath[] | undefined, optional: boolean, mode: number): Promise<Map<string, FileProjection>> {
    const s = await this.opts.resolver.getSecret(ns, name);
    if (!s) {
      if (optional) return new Map();
      throw new Error(`secret "${name}" not found`);
    }
    return keyPayload(secretBytes(s), items, optional, mode, 'secret');
  }

  private async projectedPayload(pod: Pod, sources: VolumeProjection[], mode: number, ctx: DownwardContext): Promise<Map<string, FileProjection>> {
    const ns = pod.metadata?.namespace ?? 'default';
    const out = new Map<string, FileProjection>();
    for (const s of sources) {
      let part: Map<string, FileProjection>;
      if (s.configMap) part = await this.configMapPayload(ns, s.configMap.name ?? '', s.configMap.items, s.configMap.optional ?? false, mode);
      else if (s.secret) part = await this.secretPayload(ns, s.secret.name ?? '', s.secret.items, s.secret.optional ?? false, mode);
      else if (s.downwardAPI) part = downwardPayload(pod, s.downwardAPI.items ?? [], mode, ctx);
      else if (s.serviceAccountToken) throw new Error('serviceAccountToken projections are not supported yet');
      else continue;
      for (const [k, v] of part) out.set(k, v);
    }
    return out;
  }

  private async claimPath(ns: string, claimName: string): Promise<string> {
    const r = this.opts.resolver;
    if (!r.getPersistentVolumeClaim || !r.getPersistentVolume) throw new Error('persistentVolumeClaim volumes need a resolver for claims and volumes');
    const claim = await r.getPersistentVolumeClaim(ns, claimName);
    if (!claim) throw new Error(`persistentvolumeclaim "${claimName}" not found`);
    const pvName = claim.spec?.volumeName;
    if (!pvName || claim.status?.phase !== 'Bound') throw new Error(`persistentvolumeclaim "${claimName}" is not bound`);
    const pv = await r.getPersistentVolume(pvName);
    if (!pv) throw new Error(`persistentvolume "${pvName}" not found`);
    const p = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!p) throw new Error(`persistentvolume "${pvName}" is neither hostPath nor local`);
    if (pv.spec?.hostPath) await checkHostPath(p, pv.spec.hostPath.type ?? '');
    else if (pv.metadata?.annotations?.[PROVISIONED_BY] === LOCAL_PROVISIONER) {
      // A local volume the master provisioned for this node: the directory is made on first use
      // and kept when pods go, so a pod that comes back finds its data.
      await fs.mkdir(p, { recursive: true, mode: 0o777 });
    } else {
      const st = await fs.stat(p).catch(() => undefined);
      if (!st?.isDirectory()) throw new Error(`local volume "${pvName}": path ${p} does not exist on this node`);
    }
    return p;
  }

  /** Memory-backed emptyDirs, for the sandbox to hold. */
  static tmpfsVolumes(prepared: ReadonlyMap<string, PreparedVolume>): { name: string; sizeBytes?: number }[] {
    const out: { name: string; sizeBytes?: number }[] = [];
    for (const v of prepared.values()) if (v.kind === 'tmpfs') out.push(v.sizeBytes !== undefined ? { name: v.name, sizeBytes: v.sizeBytes } : { name: v.name });
    return out;
  }

  /** A container's volumeMounts as runtime mounts; subPath directories are created inside their volume. */
  async mountsFor(container: Container, prepared: ReadonlyMap<string, PreparedVolume>, env: { name: string; value: string }[]): Promise<ContainerMount[]> {
    const envMap = new Map(env.map((e) => [e.name, e.value]));
    const out: ContainerMount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const v = prepared.get(vm.name);
      if (!v) throw new VolumeSetupError(vm.name, `volume "${vm.name}" not found in pod spec`);
      const subPath = vm.subPathExpr ? expand(vm.subPathExpr, envMap) : vm.subPath ?? '';
      if (subPath && (path.isAbsolute(subPath) || subPath.split('/').includes('..'))) {
        throw new VolumeSetupError(vm.name, `invalid subPath ${JSON.stringify(subPath)}: must be a relative path without '..'`);
      }
      if (v.kind === 'tmpfs') {
        out.push({ kind: 'tmpfs', volumeName: v.name, containerPath: vm.mountPath, readOnly: vm.readOnly ?? false, ...(subPath ? { subPath } : {}) });
        continue;
      }
      let hostPath = v.hostPath;
      if (subPath) {
        hostPath = path.join(v.hostPath, subPath);
        const base = await fs.realpath(v.hostPath);
        try {
          await fs.lstat(hostPath);
        } catch {
          await fs.mkdir(hostPath, { recursive: true, mode: 0o755 });
        }
        const real = await fs.realpath(hostPath);
        if (real !== base && !real.startsWith(base + path.sep)) {
          throw new VolumeSetupError(vm.name, `subPath ${JSON.stringify(subPath)} escapes its volume`);
        }
      }
      const m: ContainerMount = { kind: 'bind', hostPath, containerPath: vm.mountPath, readOnly: (vm.readOnly ?? false) || v.readOnly };
      const prop = vm.mountPropagation ? PROPAGATION[vm.mountPropagation] : undefined;
      if (prop) m.propagation = prop;
      out.push(m);
    }
    return out;
  }

  /** Removes the pod's directory (volume contents, hosts and resolv files, termination logs). */
  async tearDown(uid: string): Promise<void> {
    await fs.rm(this.podDir(uid), { recursive: true, force: true });
  }
}

function keyPayload(data: Map<string, Buffer>, items: KeyToPath[] | undefined, optional: boolean, mode: number, kind: string): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  if (!items || items.length === 0) {
    for (const [k, v] of data) out.set(k, { data: v, mode });
    return out;
  }
  for (const it of items) {
    const v = data.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      throw new Error(`${kind} references non-existent ${kind === 'secret' ? 'secret' : 'config'} key: ${it.key}`);
    }
    out.set(it.path, { data: v, mode: it.mode ?? mode });
  }
  return out;
}

function downwardPayload(pod: Pod, items: DownwardAPIVolumeFile[], mode: number, ctx: DownwardContext): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  for (const it of items) {
    let value: string;
    if (it.fieldRef) value = fieldRefValue(it.fieldRef, pod, ctx, true);
    else if (it.resourceFieldRef) {
      const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
      const c = all.find((x) => x.name === it.resourceFieldRef!.containerName);
      if (!c) throw new Error(`container ${JSON.stringify(it.resourceFieldRef.containerName ?? '')} not found for resourceFieldRef`);
      value = resourceFieldRefValue(it.resourceFieldRef, c, ctx);
    } else continue;
    out.set(it.path, { data: Buffer.from(value), mode: it.mode ?? mode });
  }
  return out;
}

async function checkHostPath(p: string, type: string): Promise<void> {
  const st = await fs.stat(p).catch(() => undefined);
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) { await fs.mkdir(p, { recursive: true, mode: 0o755 }); return; }
      if (!st.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      return;
    case 'Directory':
      if (!st?.isDirectory()) throw new Error(`hostPath type check failed: ${p} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!st) { await fs.writeFile(p, '', { mode: 0o644 }); return; }
      if (!st.isFile()) throw new Error(`hostPath type check failed: ${p} is not a file`);
      return;
    case 'File':
      if (!st?.isFile()) throw new Error(`hostPath type check failed: ${p} is not a file`);
      return;
    case 'Socket':
      if (!st?.isSocket()) throw new Error(`hostPath type check failed: ${p} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${p} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new Error(`hostPath type check failed: ${p} is not a block device`);
      return;
    default:
      throw new Error(`hostPath type ${JSON.stringify(type)} is not supported`);
  }
}
