/**
 * Proxy sync cost: for 100, 1000 and 5000 services x 3 endpoints, a full sync
 * (render + one iptables-restore) against a bare iptables-restore of the
 * identical payload, then a one-change (partial) sync at 5000 services against
 * a bare restore of its payload. Runs in a network namespace it creates and
 * deletes (never the host's tables). Needs root.
 */
import { execFileSync } from 'node:child_process';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { cleanupIptables, ExecIptables, Proxier, type ProxyNodeConfig } from '@skiff/agent';
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

/** Medians of two measures taken in turn (ours, raw, ours, raw...), so that load drift hits both alike. */
async function interleaved(times: number, ours: () => Promise<unknown>, raw: () => Promise<unknown>): Promise<[number, number]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < times; i++) {
    a.push(await timeIt(ours));
    b.push(await timeIt(raw));
  }
  return [percentile(a, 50), percentile(b, 50)];
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
  try {
    const runner = new ExecIptables({ netns: ns });
    for (const n of [100, 1000, 5000]) {
      await cleanupIptables(runner);
      const proxier = new Proxier({ node: NODE, runner, minSyncIntervalMs: 0, fullSyncIntervalMs: 3_600_000, conntrack: false });
      for (let i = 0; i < n; i++) { proxier.updateService(service(i)); proxier.updateEndpointSlice(slice(i)); }
      await proxier.syncNow();               // first sync: also reads the chains and hooks builtin chains
      const reps = n >= 5000 ? 3 : n >= 1000 ? 5 : 9;
      let last = { renderMs: 0, applyMs: 0, payloadBytes: 0 };
      // The bare restore replays exactly what the sync just wrote.
      const [ours, raw] = await interleaved(reps, async () => { last = await proxier.syncNow({ full: true }); }, () => runner.restore(proxier.lastPayload));
      pairs.push({ name: `full sync ${n} svc x 3 ep`, ours, raw, goal: 1.5 });
      progress(`${n} services: full sync ${ours.toFixed(0)} ms, bare restore ${raw.toFixed(0)} ms`);
      notes.push(`${n} services: payload ${(last.payloadBytes / 1024).toFixed(0)} KiB, render ${last.renderMs.toFixed(1)} ms, apply ${last.applyMs.toFixed(1)} ms (last full sync)`);
      if (n === 5000) {
        let gen = 1;
        const [one, rawOne] = await interleaved(reps, async () => {
          proxier.updateEndpointSlice(slice(42, gen++));
          const r = await proxier.syncNow();
          if (r.full || r.writtenServicePorts !== 1) throw new Error('expected a partial sync of one service');
        }, () => runner.restore(proxier.lastPayload));
        const partial = proxier.lastPayload;
        pairs.push({ name: 'one-change sync at 5000 svc', ours: one, raw: rawOne, goal: 1.5 });
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
  printPairs('proxy: skiff sync vs bare iptables-restore of the same payload (median, in a test netns)', pairs);
  for (const n of notes) process.stdout.write(`  ${n}\n`);
}
