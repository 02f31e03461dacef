import type { QOSClass } from './qos';

/** The engine's cgroup setup, from `docker info` (CgroupDriver, CgroupVersion). */
export interface CgroupSetup {
  driver: 'cgroupfs' | 'systemd';
  version: 1 | 2;
}

/** The name of the pods' cgroup tree (the kubelet's `kubepods`). */
export const POD_CGROUP_NAME = 'skiff';

/**
 * The engine's CgroupDriver/CgroupVersion as reported by `docker info`; an
 * unknown or missing driver is taken as cgroupfs (the engine's default), an
 * unknown version as 1. The agent adopts whatever the engine uses.
 */
export function cgroupSetupFromInfo(info: { CgroupDriver?: string; CgroupVersion?: string | number }): CgroupSetup {
  const driver = info.CgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs';
  const version = String(info.CgroupVersion ?? '') === '2' ? 2 : 1;
  return { driver, version };
}

function qosSegment(qos: QOSClass): string | undefined {
  return qos === 'Guaranteed' ? undefined : qos.toLowerCase();
}

/** The pod UID as a systemd unit name part (dashes are hierarchy separators there). */
function systemdEscape(s: string): string {
  return s.replace(/-/g, '_');
}

/**
 * The cgroup parent of every container of a pod (its sandbox included), as
 * the kubelet lays out pod cgroups: Guaranteed pods directly under the root
 * tree, Burstable and BestEffort under their QoS cgroup.
 *
 *   cgroupfs: /skiff/pod<uid>, /skiff/burstable/pod<uid>, /skiff/besteffort/pod<uid>
 *             (under `root`, the kubelet's --cgroup-root, when not `/`)
 *   systemd:  skiff-pod<uid_>.slice, skiff-burstable-pod<uid_>.slice, skiff-besteffort-pod<uid_>.slice
 *             (a slice name: systemd and Docker expand skiff.slice/skiff-burstable.slice/... from the dashes;
 *              with a root slice `r.slice`, names start `r-skiff-...`)
 *
 * The layout is the same on cgroup v1 and v2; only where it is mounted differs (containerCgroupPath).
 */
export function podCgroupParent(setup: CgroupSetup, qos: QOSClass, podUid: string, root = '/'): string {
  const seg = qosSegment(qos);
  if (setup.driver === 'systemd') {
    const prefix = systemdSlicePrefix(root);
    const parts = [...prefix, POD_CGROUP_NAME, ...(seg ? [seg] : []), `pod${systemdEscape(podUid)}`];
    return `${parts.join('-')}.slice`;
  }
  const base = root === '/' || root === '' ? '' : `/${root.replace(/^\/+|\/+$/g, '')}`;
  return `${base}/${POD_CGROUP_NAME}${seg ? `/${seg}` : ''}/pod${podUid}`;
}

/** `/` or `` -> []; `foo.slice` -> ['foo']; `a-b.slice` -> ['a', 'b']. */
function systemdSlicePrefix(root: string): string[] {
  const r = root.replace(/^\/+|\/+$/g, '');
  if (!r) return [];
  const last = r.split('/').pop()!;
  return last.replace(/\.slice$/, '').split('-').filter(Boolean);
}

/**
 * Where a container of the pod sits in the cgroup tree, as /proc/<pid>/cgroup
 * shows it from the root cgroup namespace (for memory on v1: the `memory`
 * controller line; on v2: the single `0::` line):
 *
 *   cgroupfs: <parent>/<containerId>
 *   systemd:  /skiff.slice/skiff-burstable.slice/skiff-burstable-pod<uid_>.slice/docker-<containerId>.scope
 */
export function containerCgroupPath(setup: CgroupSetup, parent: string, containerId: string): string {
  if (setup.driver === 'cgroupfs') return `${parent.replace(/\/+$/, '')}/${containerId}`;
  return `${expandSlice(parent)}/docker-${containerId}.scope`;
}

/** systemd's slice expansion: `a-b-c.slice` -> `/a.slice/a-b.slice/a-b-c.slice`. */
export function expandSlice(slice: string): string {
  const parts = slice.replace(/\.slice$/, '').split('-');
  const out: string[] = [];
  for (let i = 1; i <= parts.length; i++) out.push(`${parts.slice(0, i).join('-')}.slice`);
  return `/${out.join('/')}`;
}

/**
 * The directories to remove once a pod is gone (cgroupfs leaves the pod's
 * cgroup behind when its last container goes; systemd removes its slices).
 * Paths are relative to a controller's mount point (v1: each of
 * /sys/fs/cgroup/<controller>; v2: /sys/fs/cgroup).
 */
export function podCgroupLeftovers(setup: CgroupSetup, podUid: string, root = '/'): string[] {
  if (setup.driver !== 'cgroupfs') return [];
  return (['Guaranteed', 'Burstable', 'BestEffort'] as const).map((q) => podCgroupParent(setup, q, podUid, root));
}

/**
 * Removes a gone pod's empty cgroup directories (cgroupfs only), in every
 * hierarchy under `mount` (v1: one per controller; v2: the unified one).
 * Best effort: a directory still in use, or not visible here, is left alone.
 * Returns how many are left (busy).
 */
export async function removePodCgroups(setup: CgroupSetup, podUid: string, root = '/', mount = '/sys/fs/cgroup'): Promise<number> {
  const leftovers = podCgroupLeftovers(setup, podUid, root);
  if (!leftovers.length) return 0;
  const { promises: fs } = await import('node:fs');
  const path = await import('node:path');
  let hierarchies: string[] = [mount];
  if (setup.version === 1) {
    const seen = new Set<string>();
    hierarchies = [];
    for (const d of await fs.readdir(mount).catch(() => [] as string[])) {
      const real = await fs.realpath(path.join(mount, d)).catch(() => '');
      if (real && !seen.has(real)) { seen.add(real); hierarchies.push(real); }
    }
  }
  let left = 0;
  for (const h of hierarchies) {
    for (const rel of leftovers) {
      try {
        await fs.rmdir(path.join(h, rel));
      } catch (e) {
        // Absent or not ours to see: nothing to do; busy: still in use.
        if ((e as NodeJS.ErrnoException).code === 'EBUSY') left++;
      }
    }
  }
  return left;
}
