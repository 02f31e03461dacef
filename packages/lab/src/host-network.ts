/**
 * The host side of the lab: the bridge, one network namespace per member with
 * a veth into the bridge, host routes to the pod ranges, and the safety chain
 * that keeps every lab, pod and service packet on this machine.
 */
import { existsSync, readdirSync } from 'node:fs';
import type { LabMember, LabNetwork, LabTopology } from './topology';
import { NETNS_PREFIX, VETH_PREFIX } from './topology';
import { inNetns, run, runOk } from './run-command';

export const HOST_FORWARD_CHAIN = 'SKIFF-LAB-FWD';

const NETNS_DIR = '/run/netns';

function maskBits(cidr: string): string {
  return cidr.split('/')[1] ?? '24';
}

/**
 * iptables-restore --noflush payload for the host's FORWARD safety chain.
 * Traffic between lab members crosses the bridge (and, with br_netfilter, the
 * FORWARD chain): accept it. Anything entering from the lab that would leave
 * through another interface, anything from the lab, pod or service ranges
 * leaving elsewhere, and anything forwarded into the lab from elsewhere is
 * dropped. There is no NAT for the lab.
 */
export function renderHostFirewall(net: LabNetwork): string {
  const c = HOST_FORWARD_CHAIN;
  const b = net.bridge;
  const rule = (spec: string, why: string): string => {
    const [match, target] = spec.split(' -j ');
    return `-A ${c} ${match} -m comment --comment "skiff-lab: ${why}" -j ${target}`;
  };
  return [
    '*filter',
    `:${c} - [0:0]`,
    rule(`-i ${b} -o ${b} -j ACCEPT`, 'between lab members'),
    rule(`-i ${b} ! -o ${b} -j DROP`, 'nothing from the lab leaves the machine'),
    rule(`-s ${net.labCIDR} ! -o ${b} -j DROP`, 'lab range stays on the lab bridge'),
    rule(`-s ${net.podCIDR} ! -o ${b} -j DROP`, 'pod range stays on the lab bridge'),
    rule(`-s ${net.serviceCIDR} ! -o ${b} -j DROP`, 'service range stays on the lab bridge'),
    rule(`-d ${net.serviceCIDR} ! -o ${b} -j DROP`, 'service range is never routed off the lab'),
    rule(`! -i ${b} -o ${b} -j DROP`, 'nothing forwarded into the lab from elsewhere'),
    'COMMIT',
    '',
  ].join('\n');
}

async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name])).code === 0;
}

export function netnsExists(name: string): boolean {
  return existsSync(`${NETNS_DIR}/${name}`);
}

/** The host FORWARD chain first: before any member namespace can send a packet. */
export async function applyHostFirewall(net: LabNetwork): Promise<void> {
  await runOk('iptables-restore', ['--noflush'], { input: renderHostFirewall(net) });
  const jump = ['FORWARD', '-j', HOST_FORWARD_CHAIN];
  if ((await run('iptables', ['-C', ...jump])).code !== 0) await runOk('iptables', ['-I', jump[0]!, '1', ...jump.slice(1)]);
}

export async function removeHostFirewall(): Promise<boolean> {
  let removed = false;
  for (let i = 0; i < 10 && (await run('iptables', ['-C', 'FORWARD', '-j', HOST_FORWARD_CHAIN])).code === 0; i++) {
    await runOk('iptables', ['-D', 'FORWARD', '-j', HOST_FORWARD_CHAIN]);
    removed = true;
  }
  if ((await run('iptables', ['-n', '-L', HOST_FORWARD_CHAIN])).code === 0) {
    await runOk('iptables', ['-F', HOST_FORWARD_CHAIN]);
    await runOk('iptables', ['-X', HOST_FORWARD_CHAIN]);
    removed = true;
  }
  return removed;
}

export async function hostFirewallPresent(): Promise<boolean> {
  return (await run('iptables', ['-n', '-L', HOST_FORWARD_CHAIN])).code === 0;
}

export async function ensureBridge(net: LabNetwork): Promise<void> {
  if (!(await linkExists(net.bridge))) await runOk('ip', ['link', 'add', 'name', net.bridge, 'type', 'bridge']);
  await runOk('ip', ['addr', 'replace', `${net.hostAddress}/${maskBits(net.labCIDR)}`, 'dev', net.bridge]);
  await runOk('ip', ['link', 'set', net.bridge, 'up']);
}

/** A member's namespace with `lo` up and `eth0` (veth into the bridge) holding its lab address. Idempotent. */
export async function ensureMemberNetns(m: LabMember, net: LabNetwork): Promise<void> {
  if (!netnsExists(m.netns)) await runOk('ip', ['netns', 'add', m.netns]);
  await inNetns(m.netns, 'ip', ['link', 'set', 'lo', 'up']);
  const inside = await run('nsenter', [`--net=${NETNS_DIR}/${m.netns}`, '--', 'ip', 'link', 'show', 'dev', 'eth0']);
  if (inside.code !== 0) {
    if (await linkExists(m.hostVeth)) await runOk('ip', ['link', 'del', m.hostVeth]);
    await runOk('ip', ['link', 'add', m.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', m.netns]);
  }
  await runOk('ip', ['link', 'set', m.hostVeth, 'master', net.bridge]);
  await runOk('ip', ['link', 'set', m.hostVeth, 'up']);
  await inNetns(m.netns, 'ip', ['addr', 'replace', `${m.address}/${maskBits(net.labCIDR)}`, 'dev', 'eth0']);
  await inNetns(m.netns, 'ip', ['link', 'set', 'eth0', 'up']);
}

/** The host reaches pods like a router on the lab LAN would (members route among themselves). */
export async function ensureHostPodRoutes(t: LabTopology): Promise<void> {
  for (const w of t.workers) {
    if (w.podCIDR) await runOk('ip', ['route', 'replace', w.podCIDR, 'via', w.address, 'dev', t.network.bridge]);
  }
}

export function labNetnsNames(): string[] {
  try {
    return readdirSync(NETNS_DIR).filter((n) => n.startsWith(NETNS_PREFIX));
  } catch {
    return [];
  }
}

/** Lab interfaces left in the host namespace (bridge and host veth ends). */
export async function labHostLinks(net: LabNetwork): Promise<string[]> {
  const out = (await run('ip', ['-o', 'link', 'show'])).stdout;
  const names = out.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((n): n is string => !!n);
  const veth = new RegExp(`^${VETH_PREFIX}(etcd|master|worker)-\\d+$`);
  return names.filter((n) => n === net.bridge || veth.test(n));
}

/** Deletes every lab namespace and interface (processes inside must be gone first). Returns what it removed. */
export async function removeHostNetwork(net: LabNetwork): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of labNetnsNames()) {
    await runOk('ip', ['netns', 'del', ns]);
    removed.push(`netns ${ns}`);
  }
  for (const link of await labHostLinks(net)) {
    if (link !== net.bridge) {
      const r = await run('ip', ['link', 'del', link]);
      if (r.code === 0) removed.push(`link ${link}`);
    }
  }
  if (await linkExists(net.bridge)) {
    await runOk('ip', ['link', 'del', net.bridge]);   // its routes go with it
    removed.push(`bridge ${net.bridge}`);
  }
  return removed;
}
