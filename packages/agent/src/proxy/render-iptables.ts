import {
  endpointChain, externalChain, EXTERNAL_SERVICES_CHAIN, FORWARD_CHAIN, GUARD_CHAIN, MARK_MASQ_CHAIN, MASQ_MARK,
  NODEPORTS_CHAIN, POSTROUTING_CHAIN, serviceChain, serviceLocalChain, SERVICES_CHAIN,
} from './chain-names';
import { servicePorts, type ProxyEndpoint, type ProxyState, type ServicePortInfo } from './service-ports';

export interface ProxyNodeConfig {
  nodeName: string;
  nodeIP: string;
  /** This node's pod range (informational here; the pod network uses it). */
  podCIDR: string;
  /** Service ClusterIP range; anything addressed to it that was not DNATed is rejected. */
  serviceCIDR: string;
  /** All pods of the cluster; traffic to a ClusterIP from outside it is masqueraded. Empty = never. */
  clusterCIDR: string;
  /**
   * The node's own DNS server: traffic to `serviceIP:53` (the cluster DNS
   * address in pods' resolv.conf) is DNATed to `ip:port` on this node,
   * ahead of any Service with that address.
   */
  localDNS?: { serviceIP: string; ip: string; port: number };
}

export interface RenderOptions {
  /**
   * Partial sync: only these services (`ns/name`) get their SVC/SVL/EXT/SEP
   * chains rewritten; the top-level chains are always rewritten in full.
   * Undefined = full sync (every chain written).
   */
  changedServices?: ReadonlySet<string>;
  /**
   * Skiff's nat chains that exist now. Those no longer wanted are flushed and
   * deleted; a wanted chain missing from the set is written even in a partial sync.
   */
  existingNatChains?: ReadonlySet<string>;
}

export interface RenderResult {
  /** The iptables-restore --noflush payload (filter, then nat). */
  text: string;
  /** Every nat chain Skiff wants after this payload (written or kept). */
  natChains: string[];
  filterChains: string[];
  /** Nat chains this payload flushes and deletes. */
  deletedChains: string[];
  /** Service ports whose chains this payload writes. */
  writtenServicePorts: number;
  servicePorts: number;
}

/** A rule that hooks one of Skiff's chains from a builtin chain (kept out of the payload, see ensureJumps). */
export interface BuiltinJump {
  table: 'nat' | 'filter';
  chain: string;
  /** Rule spec after `-A <chain>`. */
  args: string[];
}

const REJECT = ['-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'];
const NEW = ['-m', 'conntrack', '--ctstate', 'NEW'];

/** As an argument list for iptables(8) itself (no shell or restore quoting). */
function rawComment(text: string): string[] {
  return ['-m', 'comment', '--comment', text];
}

/** Comments are the only arguments that can need quoting; everything else is addresses, numbers and names. */
function comment(text: string): string[] {
  return ['-m', 'comment', '--comment', /[\s"']/.test(text) ? `"${text}"` : text];
}

/**
 * The jumps from builtin chains into Skiff's, per builtin chain in the order
 * they must head it. The guard comes first in FORWARD and OUTPUT so that no
 * later ACCEPT (Docker's FORWARD rules, say) lets untranslated service traffic out.
 */
export function builtinJumps(): BuiltinJump[] {
  return [
    { table: 'nat', chain: 'PREROUTING', args: [...rawComment('skiff service portals'), '-j', SERVICES_CHAIN] },
    { table: 'nat', chain: 'OUTPUT', args: [...rawComment('skiff service portals'), '-j', SERVICES_CHAIN] },
    { table: 'nat', chain: 'POSTROUTING', args: [...rawComment('skiff postrouting rules'), '-j', POSTROUTING_CHAIN] },
    { table: 'filter', chain: 'INPUT', args: [...NEW, ...rawComment('skiff externally-visible service portals'), '-j', EXTERNAL_SERVICES_CHAIN] },
    { table: 'filter', chain: 'FORWARD', args: [...rawComment('skiff service range guard'), '-j', GUARD_CHAIN] },
    { table: 'filter', chain: 'FORWARD', args: [...rawComment('skiff forwarding rules'), '-j', FORWARD_CHAIN] },
    { table: 'filter', chain: 'FORWARD', args: [...NEW, ...rawComment('skiff service portals'), '-j', SERVICES_CHAIN] },
    { table: 'filter', chain: 'FORWARD', args: [...NEW, ...rawComment('skiff externally-visible service portals'), '-j', EXTERNAL_SERVICES_CHAIN] },
    { table: 'filter', chain: 'OUTPUT', args: [...rawComment('skiff service range guard'), '-j', GUARD_CHAIN] },
    { table: 'filter', chain: 'OUTPUT', args: [...NEW, ...rawComment('skiff service portals'), '-j', SERVICES_CHAIN] },
  ];
}

class Lines {
  readonly out: string[] = [];
  add(chain: string, ...args: string[]): void {
    this.out.push(`-A ${chain} ${args.join(' ')}`);
  }
}

/** `1/(n-i)` with ten decimals, as kube-proxy writes it. */
function probability(n: number): string {
  return (1 / n).toFixed(10);
}

interface PortPlan {
  sp: ServicePortInfo;
  svc: string;
  svl: string;
  ext: string;
  writeSVC: boolean;
  writeSVL: boolean;
  writeEXT: boolean;
  internalChain: string;
  internalHasEndpoints: boolean;
  externalHasEndpoints: boolean;
  hasExternal: boolean;
  /** Endpoint chain name -> endpoint, for every endpoint chain the port uses. */
  seps: Map<string, ProxyEndpoint>;
}

function plan(sp: ServicePortInfo): PortPlan {
  const svc = serviceChain(sp.name, sp.protocol);
  const svl = serviceLocalChain(sp.name, sp.protocol);
  const ext = externalChain(sp.name, sp.protocol);
  const hasCluster = sp.clusterEndpoints.length > 0;
  const hasLocal = sp.localEndpoints.length > 0;
  const hasExternal = sp.nodePort > 0 || sp.externalIPs.length > 0;
  const writeSVC = hasCluster && (!sp.internalLocal || hasExternal);
  const writeSVL = hasLocal && (sp.internalLocal || sp.externalLocal);
  const seps = new Map<string, ProxyEndpoint>();
  for (const ep of [...(writeSVC ? sp.clusterEndpoints : []), ...(writeSVL ? sp.localEndpoints : [])]) {
    seps.set(endpointChain(sp.name, sp.protocol, `${ep.ip}:${ep.port}`), ep);
  }
  return {
    sp, svc, svl, ext, writeSVC, writeSVL, hasExternal,
    writeEXT: hasExternal && hasCluster,
    internalChain: sp.internalLocal ? svl : svc,
    internalHasEndpoints: sp.internalLocal ? hasLocal : hasCluster,
    externalHasEndpoints: sp.externalLocal ? hasLocal : hasCluster,
    seps,
  };
}

function sepName(p: PortPlan, ep: ProxyEndpoint): string {
  return endpointChain(p.sp.name, p.sp.protocol, `${ep.ip}:${ep.port}`);
}

function portMatch(sp: ServicePortInfo): string[] {
  return ['-m', sp.protocol, '-p', sp.protocol];
}

/** Affinity checks, then equal-probability choice over the endpoints. */
function balance(rules: Lines, chain: string, p: PortPlan, eps: ProxyEndpoint[]): void {
  const { sp } = p;
  if (sp.affinitySeconds > 0) {
    for (const ep of eps) {
      const sep = sepName(p, ep);
      rules.add(chain, ...comment(`${sp.name} -> ${ep.ip}:${ep.port}`), '-m', 'recent', '--name', sep, '--rcheck', '--seconds', String(sp.affinitySeconds), '--reap', '-j', sep);
    }
  }
  eps.forEach((ep, i) => {
    const sep = sepName(p, ep);
    const stat = i < eps.length - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', probability(eps.length - i)] : [];
    rules.add(chain, ...comment(`${sp.name} -> ${ep.ip}:${ep.port}`), ...stat, '-j', sep);
  });
}

function writePortChains(rules: Lines, p: PortPlan, node: ProxyNodeConfig): void {
  const { sp } = p;
  const masqCluster = (chain: string): void => {
    if (node.clusterCIDR) {
      rules.add(chain, ...comment(`${sp.name} cluster IP`), ...portMatch(sp), '-d', `${sp.clusterIP}/32`, '--dport', String(sp.port), '!', '-s', node.clusterCIDR, '-j', MARK_MASQ_CHAIN);
    }
  };
  if (p.writeSVC) {
    if (p.internalChain === p.svc) masqCluster(p.svc);
    balance(rules, p.svc, p, sp.clusterEndpoints);
  }
  if (p.writeSVL) {
    if (p.internalChain === p.svl) masqCluster(p.svl);
    balance(rules, p.svl, p, sp.localEndpoints);
  }
  if (p.writeEXT) {
    if (sp.externalLocal) {
      rules.add(p.ext, ...comment(`pod traffic for ${sp.name} external destinations`), '-s', node.clusterCIDR || node.podCIDR, '-j', p.svc);
      rules.add(p.ext, ...comment(`masquerade LOCAL traffic for ${sp.name} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', MARK_MASQ_CHAIN);
      rules.add(p.ext, ...comment(`route LOCAL traffic for ${sp.name} external destinations`), '-m', 'addrtype', '--src-type', 'LOCAL', '-j', p.svc);
      if (p.writeSVL) rules.add(p.ext, '-j', p.svl);
    } else {
      rules.add(p.ext, ...comment(`masquerade traffic for ${sp.name} external destinations`), '-j', MARK_MASQ_CHAIN);
      rules.add(p.ext, '-j', p.svc);
    }
  }
  for (const [sep, ep] of p.seps) {
    rules.add(sep, ...comment(sp.name), '-s', `${ep.ip}/32`, '-j', MARK_MASQ_CHAIN);
    const affinity = sp.affinitySeconds > 0 ? ['-m', 'recent', '--name', sep, '--set'] : [];
    rules.add(sep, ...comment(sp.name), ...affinity, ...portMatch(sp), '-j', 'DNAT', '--to-destination', `${ep.ip}:${ep.port}`);
  }
}

function portChains(p: PortPlan): string[] {
  return [...(p.writeSVC ? [p.svc] : []), ...(p.writeSVL ? [p.svl] : []), ...(p.writeEXT ? [p.ext] : []), ...p.seps.keys()];
}

/**
 * The whole desired state as one `iptables-restore --noflush` payload. Only
 * Skiff's chains are declared (and so flushed); builtin chains are left alone
 * (their jumps are builtinJumps(), ensured separately). Pure and deterministic:
 * services sorted by port name, endpoints by address.
 */
export function renderIptables(state: ProxyState, node: ProxyNodeConfig, opts: RenderOptions = {}): RenderResult {
  return renderServicePorts(servicePorts(state, node.nodeName), node, opts);
}

/**
 * One service port's share of the payload. Deterministic in (port, node), so it
 * is kept per ServicePortInfo object: the proxier hands the same objects for
 * services that did not change, and a full sync then only concatenates text
 * (chain names are hashes, the costly part of rendering).
 */
interface PortFragment {
  chains: string[];
  /** Each a run of whole lines ending in a newline, or ''. */
  services: string;
  nodePorts: string;
  filterServices: string;
  filterExternal: string;
  /** `:chain - [0:0]` declarations and the rules of the port's own chains. */
  chainDecls: string;
  chainRules: string;
}

function lines(out: string[]): string {
  return out.length ? `${out.join('\n')}\n` : '';
}

const fragments = new WeakMap<ServicePortInfo, { node: ProxyNodeConfig; f: PortFragment }>();

function portFragment(sp: ServicePortInfo, node: ProxyNodeConfig): PortFragment {
  const hit = fragments.get(sp);
  if (hit && hit.node === node) return hit.f;
  const p = plan(sp);
  const services = new Lines();
  const nodePorts = new Lines();
  const filterServices = new Lines();
  const filterExternal = new Lines();
  const nat = new Lines();
  const chains = portChains(p);
  if (p.internalHasEndpoints) {
    services.add(SERVICES_CHAIN, ...comment(`${sp.name} cluster IP`), ...portMatch(sp), '-d', `${sp.clusterIP}/32`, '--dport', String(sp.port), '-j', p.internalChain);
  } else {
    filterServices.add(SERVICES_CHAIN, ...comment(`${sp.name} has no ${sp.internalLocal ? 'local ' : ''}endpoints`), ...portMatch(sp), '-d', `${sp.clusterIP}/32`, '--dport', String(sp.port), ...REJECT);
  }
  if (p.hasExternal) {
    if (p.writeEXT) {
      for (const ip of sp.externalIPs) {
        services.add(SERVICES_CHAIN, ...comment(`${sp.name} external IP`), ...portMatch(sp), '-d', `${ip}/32`, '--dport', String(sp.port), '-j', p.ext);
      }
      if (sp.nodePort > 0) nodePorts.add(NODEPORTS_CHAIN, ...comment(sp.name), ...portMatch(sp), '--dport', String(sp.nodePort), '-j', p.ext);
    }
    if (!p.externalHasEndpoints) {
      const why = `${sp.name} has no ${sp.externalLocal ? 'local ' : ''}endpoints`;
      for (const ip of sp.externalIPs) {
        filterExternal.add(EXTERNAL_SERVICES_CHAIN, ...comment(why), ...portMatch(sp), '-d', `${ip}/32`, '--dport', String(sp.port), ...REJECT);
      }
      if (sp.nodePort > 0) {
        filterExternal.add(EXTERNAL_SERVICES_CHAIN, ...comment(why), '-m', 'addrtype', '--dst-type', 'LOCAL', ...portMatch(sp), '--dport', String(sp.nodePort), ...REJECT);
      }
    }
  }
  if (chains.length) writePortChains(nat, p, node);
  const f: PortFragment = {
    chains, services: lines(services.out), nodePorts: lines(nodePorts.out), filterServices: lines(filterServices.out), filterExternal: lines(filterExternal.out),
    chainDecls: lines(chains.map((c) => `:${c} - [0:0]`)), chainRules: lines(nat.out),
  };
  fragments.set(sp, { node, f });
  return f;
}

export function renderServicePorts(ports: ServicePortInfo[], node: ProxyNodeConfig, opts: RenderOptions = {}): RenderResult {
  const filter = new Lines();
  const filterChains = [SERVICES_CHAIN, EXTERNAL_SERVICES_CHAIN, FORWARD_CHAIN, GUARD_CHAIN];
  const natTop = [SERVICES_CHAIN, NODEPORTS_CHAIN, POSTROUTING_CHAIN, MARK_MASQ_CHAIN];
  const top = new Lines();
  const services = new Lines();

  if (node.clusterCIDR) {
    // Ends the nat table for pod-to-pod traffic between nodes, so that no later MASQUERADE
    // (Docker's for its bridge) hides pod addresses; service traffic that needs SNAT is marked.
    top.add(POSTROUTING_CHAIN, '-m', 'mark', '!', '--mark', `${MASQ_MARK}/${MASQ_MARK}`, ...comment('skiff pod-to-pod traffic is not NATed'), '-s', node.clusterCIDR, '-d', node.clusterCIDR, '-j', 'ACCEPT');
  }
  top.add(POSTROUTING_CHAIN, '-m', 'mark', '!', '--mark', `${MASQ_MARK}/${MASQ_MARK}`, '-j', 'RETURN');
  top.add(POSTROUTING_CHAIN, '-j', 'MARK', '--xor-mark', MASQ_MARK);
  top.add(POSTROUTING_CHAIN, ...comment('skiff service traffic requiring SNAT'), '-j', 'MASQUERADE', '--random-fully');
  top.add(MARK_MASQ_CHAIN, '-j', 'MARK', '--or-mark', MASQ_MARK);

  if (node.localDNS) {
    const { serviceIP, ip, port } = node.localDNS;
    for (const proto of ['udp', 'tcp']) {
      services.add(SERVICES_CHAIN, ...comment('skiff node-local DNS'), '-m', proto, '-p', proto, '-d', `${serviceIP}/32`, '--dport', '53', '-j', 'DNAT', '--to-destination', `${ip}:${port}`);
    }
  }
  const wanted = new Set<string>(natTop);
  let written = 0;
  // Concatenated strings (ropes) rather than line arrays: a full sync of unchanged services is
  // then a few string joins per service port.
  let portServices = '';
  let portNodePorts = '';
  let portFilterServices = '';
  let portFilterExternal = '';
  let portChainDecls = '';
  let portChainRules = '';
  for (const sp of ports) {
    const f = portFragment(sp, node);
    for (const c of f.chains) wanted.add(c);
    portServices += f.services;
    portNodePorts += f.nodePorts;
    portFilterServices += f.filterServices;
    portFilterExternal += f.filterExternal;
    const write = !opts.changedServices || opts.changedServices.has(sp.serviceKey) || f.chains.some((c) => !opts.existingNatChains?.has(c));
    if (write && f.chains.length) {
      written++;
      portChainDecls += f.chainDecls;
      portChainRules += f.chainRules;
    }
  }
  const lastService = new Lines();
  lastService.add(SERVICES_CHAIN, ...comment('skiff service nodeports; NOTE: this must be the last rule in this chain'), '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', NODEPORTS_CHAIN);

  filter.add(FORWARD_CHAIN, '-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP');
  filter.add(FORWARD_CHAIN, ...comment('skiff forwarding rules'), '-m', 'mark', '--mark', `${MASQ_MARK}/${MASQ_MARK}`, '-j', 'ACCEPT');
  filter.add(FORWARD_CHAIN, ...comment('skiff forwarding conntrack rule'), '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
  if (node.clusterCIDR) {
    filter.add(FORWARD_CHAIN, ...comment('skiff pod traffic'), '-s', node.clusterCIDR, '-j', 'ACCEPT');
    filter.add(FORWARD_CHAIN, ...comment('skiff pod traffic'), '-d', node.clusterCIDR, '-j', 'ACCEPT');
  }
  filter.add(GUARD_CHAIN, ...comment('skiff: service range traffic that no rule translated'), '-d', node.serviceCIDR, '-m', 'conntrack', '!', '--ctstate', 'DNAT', ...REJECT);

  const deleted = [...(opts.existingNatChains ?? [])].filter((c) => !wanted.has(c)).sort();

  const text = `*filter\n${lines(filterChains.map((c) => `:${c} - [0:0]`))}${portFilterServices}${portFilterExternal}${lines(filter.out)}COMMIT\n`
    + `*nat\n${lines(natTop.map((c) => `:${c} - [0:0]`))}${portChainDecls}${lines(deleted.map((c) => `:${c} - [0:0]`))}`
    + `${lines(top.out)}${lines(services.out)}${portServices}${lines(lastService.out)}${portNodePorts}${portChainRules}${lines(deleted.map((c) => `-X ${c}`))}COMMIT\n`;
  return { text, natChains: [...wanted], filterChains, deletedChains: deleted, writtenServicePorts: written, servicePorts: ports.length };
}
