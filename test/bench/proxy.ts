/**
 * Proxy sync cost: for 100, 1000 and 5000 services x 3 endpoints, a full sync
 * (render + one iptables-restore) against a bare iptables-restore of the
 * identical payload, then a one-change (partial) sync at 5000 services against
 * a bare restore of its payload. Runs in a network namespace it creates and
 * deletes (never the host's tables). Then connection latency through a
 * ClusterIP against the pod IP directly, in a netns node with two pod
 * namespaces. Needs root.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { cleanupIptables, ExecIptables, Proxier, type ProxyNodeConfig } from '@skiff/agent';
import { Topology, type Netns } from '../network/netns';
import { percentile, printPairs, timeIt, type Pair } from './stats';

const NODE: ProxyNodeConfig = { nodeName: 'node-1', nodeIP: '192.168.77.1', podCIDR: '10.244.1.0/24', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16' };

function ip(base: number, i: number): string {
  const n = base + i;
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function service(i: number): Service {
  return { metadata: { name: `svc-${i}`, namespace: 'bench' }, spec: { type: i % 10 === 0 ? 'NodePort' : 'ClusterIP', clusterIP: ip(0x0a600000, 10 + i), ports: [{ name: 'http', port: 80, ...(i % 10 === 0 ? { nodePort: 30000 + (i / 10) } : {}) }] } };
}

function slice(i: number, gen = 0): EndpointSlice {
  return {
    addressType: 'IPv4',
    metadata: { name: `svc-${i}-x`, namespace: 'bench', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [0, 1, 2].map((k) => ({ addresses: [ip(0x0af40000, 256 + i * 3 + k + gen * 20_000)], nodeName: `node-${k}` })),
  };
}

/**
 * Medians of two measures taken in turn (ours, raw, ours, raw...), so that load
 * drift hits both alike, and the median of the per-pair ratios (a paired
 * comparison, steadier than the ratio of medians on a loaded machine).
 */
async function interleaved(times: number, ours: () => Promise<unknown>, raw: () => Promise<unknown>): Promise<[number, number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < times; i++) {
    a.push(await timeIt(ours));
    b.push(await timeIt(raw));
    ratios.push(a[i]! / b[i]!);
  }
  return [percentile(a, 50), percentile(b, 50), percentile(ratios, 50)];
}

export async function benchProxy(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the proxy benchmark needs root (it creates a network namespace)');
  const ns = `skiff-test-bench-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  execFileSync('ip', ['netns', 'add', ns]);
  const onSignal = (): void => { try { execFileSync('ip', ['netns', 'del', ns]); } finally { process.exit(130); } };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = (m: string): void => { process.stderr.write(`[proxy bench] ${m}\n`); };
  const pairs: Pair[] = [];
  const notes: string[] = [];
  let fullAt5000 = NaN;
  try {
    const runner = new ExecIptables({ netns: ns });
    for (const n of [100, 1000, 5000]) {
      await cleanupIptables(runner);
      const proxier = new Proxier({ node: NODE, runner, minSyncIntervalMs: 0, fullSyncIntervalMs: 3_600_000, conntrack: false });
      for (let i = 0; i < n; i++) { proxier.updateService(service(i)); proxier.updateEndpointSlice(slice(i)); }
      await proxier.syncNow();               // first sync: also reads the chains and hooks builtin chains
      const reps = n >= 5000 ? 3 : n >= 1000 ? 5 : 15;
      let last = { renderMs: 0, applyMs: 0, payloadBytes: 0 };
      // The bare restore replays exactly what the sync just wrote.
      const [ours, raw, pairedRatio] = await interleaved(reps, async () => { last = await proxier.syncNow({ full: true }); }, () => runner.restore(proxier.lastPayload));
      pairs.push({ name: `full sync ${n} svc x 3 ep`, ours, raw, goal: 1.2 });
      if (n === 5000) fullAt5000 = ours;
      progress(`${n} services: full sync ${ours.toFixed(0)} ms, bare restore ${raw.toFixed(0)} ms`);
      notes.push(`${n} services: median of paired ratios sync/restore ${pairedRatio.toFixed(2)}x over ${reps} pairs`);
      notes.push(`${n} services: payload ${(last.payloadBytes / 1024).toFixed(0)} KiB, render ${last.renderMs.toFixed(1)} ms, apply ${last.applyMs.toFixed(1)} ms (last full sync)`);
      if (n === 5000) {
        let gen = 1;
        const [one, rawOne, onePaired] = await interleaved(reps, async () => {
          proxier.updateEndpointSlice(slice(42, gen++));
          const r = await proxier.syncNow();
          if (r.full || r.writtenServicePorts !== 1) throw new Error('expected a partial sync of one service');
        }, () => runner.restore(proxier.lastPayload));
        const partial = proxier.lastPayload;
        pairs.push({ name: 'one-change sync at 5000 svc', ours: one, raw: rawOne });
        notes.push(`one change at 5000: median of paired ratios sync/restore ${onePaired.toFixed(2)}x`);
        // The goal: a one-change sync under 10% of a full sync at 5000 services.
        pairs.push({ name: 'one-change / full sync at 5000', ours: one, raw: fullAt5000, goal: 0.1 });
        progress(`one change at 5000: sync ${one.toFixed(0)} ms, bare restore ${rawOne.toFixed(0)} ms`);
        notes.push(`one change at 5000: payload ${(partial.length / 1024).toFixed(0)} KiB (top-level chains + one service)`);
      }
      await proxier.stop();
    }
    await cleanupIptables(runner);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    execFileSync('ip', ['netns', 'del', ns]);
  }
  progress('connection latency: ClusterIP vs pod IP');
  await benchServiceLatency(pairs, notes);
  printPairs('proxy: skiff sync vs bare iptables-restore of the same payload (median, in a test netns); connection latency', pairs);
  for (const n of notes) process.stdout.write(`  ${n}\n`);
}

/** A TCP server answering every connection with a fixed HTTP response and closing it. */
const SERVER = `require('net').createServer((c)=>{c.once('data',()=>c.end('HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok'));c.on('error',()=>{})}).listen(8080);`;

/**
 * 2n sequential connect + request + read-to-close from inside a namespace,
 * alternating between two targets connection by connection (so both see the
 * same load); per-connection ms of each target as JSON [[a...], [b...]].
 */
function clientCode(a: [string, number], b: [string, number], n: number): string {
  return `const net=require('net');const T=[${JSON.stringify(a)},${JSON.stringify(b)}];const out=[[],[]];let i=0;`
    + `function one(){if(i>=${2 * n}){process.stdout.write(JSON.stringify(out));return;}const k=i++%2;const [h,p]=T[k];`
    + `const t=process.hrtime.bigint();const s=net.connect(p,h,()=>s.write('GET / HTTP/1.0\\r\\n\\r\\n'));let got='';`
    + `s.on('data',(d)=>{got+=d});s.on('end',()=>{if(!got.includes('ok'))process.exit(2);out[k].push(Number(process.hrtime.bigint()-t)/1e6);one()});s.on('error',(e)=>{console.error(h+':'+p+' '+e.message);process.exit(3)})}one();`;
}

/**
 * Connection latency through a ClusterIP against the pod IP directly: a client
 * pod namespace makes N sequential TCP connections (connect, request, response,
 * close) to a server pod on the same node bridge, in alternating rounds. The
 * service is one of 100 programmed services (3 endpoints each, the measured one 1).
 */
export async function benchServiceLatency(pairs: Pair[], notes: string[]): Promise<void> {
  const topo = new Topology();
  try {
    const SERVER_IP = '10.244.1.10';
    const CLIENT_IP = '10.244.1.11';
    const CLUSTER_IP = '10.96.200.200';
    const server = topo.addPod(SERVER_IP);
    const client = topo.addPod(CLIENT_IP);
    const proc = spawn('ip', ['netns', 'exec', server.name, process.execPath, '-e', SERVER], { stdio: 'ignore' });
    try {
      const runner = new ExecIptables({ netns: topo.node.name });
      const proxier = new Proxier({ node: { ...NODE, nodeIP: topo.nodeIP }, runner, minSyncIntervalMs: 0, fullSyncIntervalMs: 3_600_000, conntrack: false });
      for (let i = 0; i < 99; i++) { proxier.updateService(service(i)); proxier.updateEndpointSlice(slice(i)); }
      proxier.updateService({ metadata: { name: 'latency', namespace: 'bench' }, spec: { clusterIP: CLUSTER_IP, ports: [{ name: 'http', port: 80 }] } });
      proxier.updateEndpointSlice({
        addressType: 'IPv4', metadata: { name: 'latency-x', namespace: 'bench', labels: { 'kubernetes.io/service-name': 'latency' } },
        ports: [{ name: 'http', port: 8080 }], endpoints: [{ addresses: [SERVER_IP], nodeName: NODE.nodeName }],
      });
      proxier.setInitialized();
      await proxier.syncNow({ full: true });
      await proxier.stop();
      const round = (from: Netns, n: number): [number[], number[]] => {
        const r = from.tryRun(process.execPath, '-e', clientCode([CLUSTER_IP, 80], [SERVER_IP, 8080], n));
        if (r.status !== 0) throw new Error(`latency client exited ${r.status}: ${r.stderr}`);
        return JSON.parse(r.stdout) as [number[], number[]];
      };
      for (let i = 0; ; i++) {            // the server starts in the background
        if (client.tryRun(process.execPath, '-e', clientCode([SERVER_IP, 8080], [SERVER_IP, 8080], 1)).status === 0) break;
        if (i > 50) throw new Error('latency server never answered');
        await new Promise((res) => setTimeout(res, 100));
      }
      const n = 1500;
      // From the node's own namespace (a host-network client) both paths are routed alike and
      // differ only by the proxy's NAT; from a pod on the same bridge the pod IP is reached at
      // layer 2 while any ClusterIP needs the node's IP stack (an extra routing hop).
      for (const [label, from] of [['node client', topo.node], ['pod client, same bridge', client]] as const) {
        round(from, 50);                  // warm-up of both paths
        const [viaService, direct] = round(from, n);
        const [s50, d50] = [percentile(viaService, 50), percentile(direct, 50)];
        pairs.push({ name: `conn p50 ClusterIP/pod IP (${label.split(',')[0]})`, ours: s50, raw: d50, goal: 1.1 });
        notes.push(`connection latency, ${label} (${n} sequential connect+request+close each, alternating, 100 services programmed): `
          + `ClusterIP p50 ${s50.toFixed(3)} ms p90 ${percentile(viaService, 90).toFixed(3)} ms; pod IP p50 ${d50.toFixed(3)} ms p90 ${percentile(direct, 90).toFixed(3)} ms`);
      }
    } finally {
      proc.kill('SIGKILL');
    }
  } finally {
    topo.destroy();
  }
}
