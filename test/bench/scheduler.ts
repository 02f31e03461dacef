/**
 * The scheduler's pure decision: `schedule(pod, snapshot)` on clusters of 100 and 1000
 * nodes with pods already placed (some with anti-affinity), pods placed as they are decided
 * (as the scheduler's assume step does). Reports per-decision latency and decisions/s.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { addPod, buildSnapshot, schedule } from '@skiff/scheduler';
import { fmtMs, percentile } from './stats';

function node(i: number): Node {
  return {
    metadata: { name: `node-${String(i).padStart(4, '0')}`, labels: { 'kubernetes.io/hostname': `node-${i}`, zone: `z${i % 3}` } },
    spec: i % 10 === 0 ? { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } : {},
    status: { allocatable: { cpu: '8', memory: '32Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(i: number, owner: string, anti: boolean): Pod {
  return {
    metadata: { name: `p-${i}`, namespace: 'default', labels: { app: owner }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] },
    spec: {
      containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m', memory: '128Mi' } } }],
      affinity: anti ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: owner } } }] } } : undefined,
    },
  };
}

function run(nodes: number, placed: number, decisions: number): void {
  const ns = Array.from({ length: nodes }, (_, i) => node(i));
  const existing: Pod[] = [];
  for (let i = 0; i < placed; i++) {
    const p = pod(i, `rs-${i % 50}`, false);
    existing.push({ ...p, spec: { ...p.spec!, nodeName: ns[(i * 7) % nodes]!.metadata!.name } });
  }
  const snapshot = buildSnapshot(ns, existing);
  const byName = new Map(snapshot.nodes.map((n) => [n.name, n]));
  const times: number[] = [];
  let unschedulable = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) {
    const p = pod(placed + i, `new-${i % 20}`, i % 4 === 0);
    const s = process.hrtime.bigint();
    const r = schedule(p, snapshot);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
    if (r.node === undefined) { unschedulable++; continue; }
    addPod(byName.get(r.node)!, { ...p, spec: { ...p.spec!, nodeName: r.node } });
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  process.stdout.write(`${`${nodes} nodes, ${placed} pods placed`.padEnd(34)} p50 ${fmtMs(percentile(times, 50)).padStart(9)}  p99 ${fmtMs(percentile(times, 99)).padStart(9)}  ${(decisions / total).toFixed(0).padStart(6)} decisions/s  (${unschedulable} unschedulable)\n`);
}

export async function benchScheduler(): Promise<void> {
  run(100, 2000, 1000);
  run(1000, 20000, 500);
}
