/**
 * The lab's shape as plain data: which members exist, their network
 * namespaces, veth names, lab addresses and pod ranges. Pure; everything that
 * touches the machine takes a LabTopology.
 */

export type MemberRole = 'etcd' | 'master' | 'worker';

export interface LabMember {
  /** `etcd-1`, `master-1`, `worker-1`: also the node name and hostname. */
  name: string;
  role: MemberRole;
  /** 1-based within its role. */
  index: number;
  /** Network namespace (`ip netns` name). */
  netns: string;
  /** Host end of the veth pair (at most 15 characters); the namespace end is `eth0`. */
  hostVeth: string;
  /** Address on the lab bridge. */
  address: string;
  /** Workers: the node's pod range (`10.244.<i>.0/24`) and the docker0 address in it. */
  podCIDR?: string;
  dockerBridgeIP?: string;
}

export interface LabNetwork {
  bridge: string;
  /** The lab LAN, a /24: `<prefix>.0/24`, host at `.1`. */
  labCIDR: string;
  hostAddress: string;
  podCIDR: string;
  serviceCIDR: string;
}

export interface LabTopology {
  network: LabNetwork;
  etcd: LabMember[];
  masters: LabMember[];
  workers: LabMember[];
}

export const DEFAULT_NETWORK: LabNetwork = {
  bridge: 'skiff-lab0',
  labCIDR: '10.250.0.0/24',
  hostAddress: '10.250.0.1',
  podCIDR: '10.244.0.0/16',
  serviceCIDR: '10.96.0.0/12',
};

/** Every namespace, veth and cgroup the lab creates starts with this; cleanup matches on it. */
export const NETNS_PREFIX = 'skiff-lab-';
export const VETH_PREFIX = 'sl-';
export const MAX_WORKERS = 50;
export const ETCD_MEMBERS = 3;

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
}

function prefix24(cidr: string, what: string, maskBits: number): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m || Number(m[5]) !== maskBits || m.slice(1, 5).some((o) => Number(o) > 255)) {
    throw new TopologyError(`${what}: want a /${maskBits} like 10.250.0.0/${maskBits}, got "${cidr}"`);
  }
  return maskBits === 24 ? `${m[1]}.${m[2]}.${m[3]}` : `${m[1]}.${m[2]}`;
}

function member(role: MemberRole, index: number, address: string): LabMember {
  const name = `${role}-${index}`;
  return { name, role, index, netns: `${NETNS_PREFIX}${name}`, hostVeth: `${VETH_PREFIX}${name}`, address };
}

/**
 * Addresses: host .1, etcd .11-.13, masters .21-.22, workers .101-.150.
 * Worker i gets pod range `<pod /16 prefix>.<i>.0/24` with docker0 at `.1`.
 */
export function labTopology(opts: { workers: number; masters: number }, network: LabNetwork = DEFAULT_NETWORK): LabTopology {
  if (!Number.isInteger(opts.workers) || opts.workers < 1 || opts.workers > MAX_WORKERS) {
    throw new TopologyError(`--nodes: want 1..${MAX_WORKERS}, got ${opts.workers}`);
  }
  if (opts.masters !== 1 && opts.masters !== 2) throw new TopologyError(`--masters: want 1 or 2, got ${opts.masters}`);
  const lan = prefix24(network.labCIDR, 'lab network', 24);
  const pods = prefix24(network.podCIDR, 'pod network', 16);
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
  return {
    network,
    etcd: range(ETCD_MEMBERS).map((i) => member('etcd', i, `${lan}.${10 + i}`)),
    masters: range(opts.masters).map((i) => member('master', i, `${lan}.${20 + i}`)),
    workers: range(opts.workers).map((i) => ({
      ...member('worker', i, `${lan}.${100 + i}`),
      podCIDR: `${pods}.${i}.0/24`,
      dockerBridgeIP: `${pods}.${i}.1/24`,
    })),
  };
}

export function allMembers(t: LabTopology): LabMember[] {
  return [...t.etcd, ...t.masters, ...t.workers];
}

export function findMember(t: LabTopology, name: string): LabMember | undefined {
  return allMembers(t).find((m) => m.name === name);
}

export function etcdClientURLs(t: LabTopology): string[] {
  return t.etcd.map((m) => `http://${m.address}:2379`);
}

export function etcdInitialCluster(t: LabTopology): string {
  return t.etcd.map((m) => `${m.name}=http://${m.address}:2380`).join(',');
}

export const API_PORT = 6443;
export const GATEWAY_PORT = 9443;
