import { promises as fs } from 'node:fs';
import { join } from 'node:path';

/**
 * The node's pod network, host-gw style: a Docker bridge network on the
 * node's podCIDR (sandboxes attach to it), a route to every other node's
 * podCIDR through that node's address, and hairpin mode on the bridge's ports
 * (with br_netfilter, a pod reaching itself through its service is bridged
 * back out of the port it came in on). FORWARD accepts for the cluster range
 * are in the proxy's SKIFF-FORWARD chain; the proxy's SKIFF-POSTROUTING keeps
 * pod-to-pod traffic un-NATed.
 */

/** Routes Skiff owns carry this protocol number, so they are found and removed without touching others. */
export const ROUTE_PROTO = '152';

export interface PeerNode { name: string; nodeIP: string; podCIDR: string }

export interface PodNetworkPlan {
  /** The Docker network name (the agent's --pod-network) and its Linux bridge name. */
  network: string;
  bridge: string;
  subnet: string;
  gateway: string;
}

/** The first host address of an IPv4 CIDR (the bridge's address, as Docker picks it). */
export function firstHost(cidr: string): string {
  const [ip, bits] = cidr.split('/') as [string, string];
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  const host = ((n & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (host >>> s) & 255).join('.');
}

export function planPodNetwork(podCIDR: string, network = 'skiff0', bridge = 'skiff0'): PodNetworkPlan {
  return { network, bridge, subnet: podCIDR, gateway: firstHost(podCIDR) };
}

/** The Docker API body for creating the pod network. */
export function dockerNetworkSpec(plan: PodNetworkPlan): Record<string, unknown> {
  return {
    Name: plan.network,
    Driver: 'bridge',
    CheckDuplicate: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: plan.subnet, Gateway: plan.gateway }] },
    Options: {
      'com.docker.network.bridge.name': plan.bridge,
      // Pod egress to the outside is masqueraded by Docker; pod-to-pod is exempted by SKIFF-POSTROUTING.
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
    },
    Labels: { 'io.skiff.network': 'pod' },
  };
}

/** The small part of dockerode the pod network uses (a fake in tests). */
export interface DockerNetworks {
  listNetworks(opts?: { filters?: string }): Promise<{ Name: string; Id: string; IPAM?: { Config?: { Subnet?: string }[] | null } }[]>;
  createNetwork(spec: Record<string, unknown>): Promise<unknown>;
}

export class PodNetworkError extends Error {
  override readonly name = 'PodNetworkError';
}

/**
 * Creates the Docker network unless it exists with the same subnet. One with
 * another subnet is an error (pods may be attached to it; an operator decides).
 */
export async function ensureDockerNetwork(docker: DockerNetworks, plan: PodNetworkPlan): Promise<'created' | 'exists'> {
  const existing = (await docker.listNetworks({ filters: JSON.stringify({ name: [plan.network] }) })).find((n) => n.Name === plan.network);
  if (existing) {
    const subnets = (existing.IPAM?.Config ?? []).map((c) => c.Subnet);
    if (!subnets.includes(plan.subnet)) {
      throw new PodNetworkError(`Docker network ${plan.network} exists with subnet ${subnets.join(',') || 'none'}, not this node's podCIDR ${plan.subnet}; remove it (docker network rm ${plan.network}) once no container uses it`);
    }
    return 'exists';
  }
  await docker.createNetwork(dockerNetworkSpec(plan));
  return 'created';
}

/**
 * `ip route` argument lists that make Skiff's routes (proto 152) exactly one
 * per other node's podCIDR via its node IP. `current` is the output of
 * `ip -4 route show proto 152`.
 */
export function planRoutes(current: string, peers: PeerNode[], self: string): string[][] {
  const want = new Map(peers.filter((p) => p.name !== self && p.podCIDR && p.nodeIP).map((p) => [p.podCIDR, p.nodeIP]));
  const have = new Map<string, string>();
  for (const line of current.split('\n')) {
    const m = /^(\S+)\s+via\s+(\S+)/.exec(line.trim());
    if (m) have.set(m[1]!, m[2]!);
  }
  const cmds: string[][] = [];
  for (const [cidr, via] of [...want].sort()) {
    if (have.get(cidr) !== via) cmds.push(['route', 'replace', cidr, 'via', via, 'proto', ROUTE_PROTO]);
  }
  for (const cidr of [...have.keys()].sort()) {
    if (!want.has(cidr)) cmds.push(['route', 'del', cidr, 'proto', ROUTE_PROTO]);
  }
  return cmds;
}

/** Turns hairpin mode on for every port of the bridge (sysfs); returns the ports changed. */
export async function enableHairpin(bridge: string, sysfs = '/sys'): Promise<string[]> {
  const dir = join(sysfs, 'class', 'net', bridge, 'brif');
  const ports = await fs.readdir(dir).catch(() => [] as string[]);
  const changed: string[] = [];
  for (const port of ports) {
    const f = join(dir, port, 'hairpin_mode');
    const cur = (await fs.readFile(f, 'utf8').catch(() => '')).trim();
    if (cur === '0') {
      await fs.writeFile(f, '1');
      changed.push(port);
    }
  }
  return changed;
}
