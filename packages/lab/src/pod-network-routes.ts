/**
 * Pod-to-pod traffic across lab nodes, host-gw style: in each worker's
 * namespace a route to every other worker's pod /24 through that worker's lab
 * address, and FORWARD accepts for the pod range (Docker's FORWARD rules drop
 * new connections into docker0 otherwise). Kept in this one module so it can
 * move into the agent once the agent programs its own pod network.
 */
import type { LabMember, LabTopology } from './topology';
import { inNetns, run } from './run-command';

export const NODE_FORWARD_CHAIN = 'SKIFF-LAB-PODS';

export interface PodRoute { destination: string; via: string }

/** Routes worker `self` needs: every other worker's pod range via that worker's lab address. */
export function podRoutesFor(self: LabMember, workers: readonly LabMember[]): PodRoute[] {
  return workers.filter((w) => w.name !== self.name && w.podCIDR).map((w) => ({ destination: w.podCIDR!, via: w.address }));
}

/** iptables-restore --noflush payload for a worker's own FORWARD chain (declaring the chain flushes it). */
export function renderNodeForwardRules(podCIDR: string): string {
  return [
    '*filter',
    `:${NODE_FORWARD_CHAIN} - [0:0]`,
    `-A ${NODE_FORWARD_CHAIN} -s ${podCIDR} -m comment --comment "skiff-lab: pod traffic between nodes" -j ACCEPT`,
    `-A ${NODE_FORWARD_CHAIN} -d ${podCIDR} -m comment --comment "skiff-lab: pod traffic between nodes" -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
}

/** Programs routes and FORWARD accepts in one worker's namespace. Idempotent. */
export async function applyPodNetwork(self: LabMember, topology: LabTopology): Promise<void> {
  for (const r of podRoutesFor(self, topology.workers)) {
    await inNetns(self.netns, 'ip', ['route', 'replace', r.destination, 'via', r.via, 'dev', 'eth0']);
  }
  await inNetns(self.netns, 'iptables-restore', ['--noflush'], { input: renderNodeForwardRules(topology.network.podCIDR) });
  const check = await run('nsenter', [`--net=/run/netns/${self.netns}`, '--', 'iptables', '-C', 'FORWARD', '-j', NODE_FORWARD_CHAIN]);
  if (check.code !== 0) await inNetns(self.netns, 'iptables', ['-I', 'FORWARD', '1', '-j', NODE_FORWARD_CHAIN]);
}
