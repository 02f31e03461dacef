import { promises as fs } from 'node:fs';
import type Docker from 'dockerode';
import type { CgroupSetup } from '../resources/cgroup-parent';

/** The parent the engine gives containers when none is asked for (no daemon --cgroup-parent). */
const ENGINE_DEFAULTS = new Set(['/docker', '/system.slice']);

/**
 * The cgroup of a container's process as seen from /proc: v1's `memory`
 * controller line or v2's `0::` line; undefined when the PID is not visible here.
 */
async function cgroupOf(pid: number): Promise<string | undefined> {
  const text = await fs.readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const lines = text.split('\n');
  const v1 = lines.map((l) => /^\d+:([^:]*):(.*)$/.exec(l)).find((m) => m?.[1]?.split(',').includes('memory'));
  if (v1) return v1[2];
  return lines.find((l) => l.startsWith('0::'))?.slice(3);
}

/** `/a/b/<id>` (cgroupfs) or `/a.slice/docker-<id>.scope` (systemd) -> the parent, if the path ends with the container. */
export function parentOfContainerCgroup(cgroupPath: string, containerId: string): string | undefined {
  const parts = cgroupPath.split('/');
  const last = parts.pop();
  if (last !== containerId && last !== `docker-${containerId}.scope`) return undefined;
  return parts.join('/') || '/';
}

/**
 * Where the engine puts a container that asks for no cgroup parent: read from
 * a running container that did not ask, else from a short-lived probe
 * container of `probeImage`. Undefined when it cannot be seen from here (an
 * engine in another PID namespace) or the probe fails.
 */
export async function engineDefaultCgroupParent(docker: Docker, probeImage: string): Promise<string | undefined> {
  const running = await docker.listContainers({ filters: { status: ['running'] } }).catch(() => [] as Docker.ContainerInfo[]);
  for (const c of running.slice(0, 10)) {
    const info = await docker.getContainer(c.Id).inspect().catch(() => undefined);
    if (!info || info.HostConfig.CgroupParent || !(info.State.Pid > 0)) continue;
    const cg = await cgroupOf(info.State.Pid);
    const parent = cg === undefined ? undefined : parentOfContainerCgroup(cg, info.Id);
    if (parent) return parent;
  }
  let probe: Docker.Container | undefined;
  try {
    probe = await docker.createContainer({
      name: `skiff-cgroup-probe-${process.pid}-${Date.now().toString(36)}`, Image: probeImage,
      Labels: { 'io.skiff.cgroup-probe': 'true' }, HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
    await probe.start();
    const info = await probe.inspect();
    const cg = info.State.Pid > 0 ? await cgroupOf(info.State.Pid) : undefined;
    return cg === undefined ? undefined : parentOfContainerCgroup(cg, info.Id);
  } catch {
    return undefined;
  } finally {
    await probe?.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * The pods' cgroup root for `--cgroup-root auto`: `/`, unless the engine was
 * started with its own --cgroup-parent (a lab node's dockerd under the lab's
 * cgroup): then the pods' tree goes under that parent, so that they stay where
 * the engine's containers are meant to be.
 */
export function autoCgroupRoot(setup: CgroupSetup, engineParent: string | undefined): string {
  if (!engineParent || ENGINE_DEFAULTS.has(engineParent) || engineParent === '/') return '/';
  if (setup.driver === 'systemd') {
    const last = engineParent.split('/').filter(Boolean).pop() ?? '';
    return last.endsWith('.slice') ? last : '/';
  }
  return engineParent;
}
