import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { buildSnapshot } from './snapshot';
import { SnapshotCache } from './snapshot-cache';
import { compareCandidates, preemptionAllowed, selectVictims, type DisruptionBudget } from './preemption';

function node(name: string, memory = '1Gi', extra: Partial<Node['spec']> = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { ...extra },
    status: { allocatable: { cpu: '4', memory, pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function pod(name: string, memory: string, priority: number, o: { nodeName?: string; labels?: Record<string, string>; policy?: string; deleting?: boolean; nominated?: string } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', labels: o.labels ?? { app: name }, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: o.nodeName, priority, preemptionPolicy: o.policy as never, containers: [{ name: 'c', image: 'x', resources: { requests: { memory } } }] },
    status: { phase: o.nodeName ? 'Running' : 'Pending', nominatedNodeName: o.nominated },
  };
}

const names = (ps: Pod[] | undefined): string[] => (ps ?? []).map((p) => p.metadata!.name!).sort();
const budget = (app: string, allowed: number): DisruptionBudget => ({ namespace: 'default', matches: (l) => l.app === app, disruptionsAllowed: allowed });

describe('preemption victim selection', () => {
  const cases: { name: string; nodes: Node[]; pods: Pod[]; preemptor: Pod; pdbs?: DisruptionBudget[]; want?: { node: string; victims: string[]; pdbViolations?: number } }[] = [
    {
      name: 'fewest victims: one big low pod beats two small ones',
      nodes: [node('a'), node('b')],
      pods: [pod('a1', '400Mi', 0, { nodeName: 'a' }), pod('a2', '400Mi', 0, { nodeName: 'a' }), pod('b1', '900Mi', 0, { nodeName: 'b' })],
      preemptor: pod('p', '800Mi', 100),
      want: { node: 'b', victims: ['b1'] },
    },
    {
      name: 'lowest highest-victim priority wins over fewer victims',
      nodes: [node('a'), node('b')],
      pods: [pod('a1', '900Mi', 50, { nodeName: 'a' }), pod('b1', '450Mi', 10, { nodeName: 'b' }), pod('b2', '450Mi', 10, { nodeName: 'b' })],
      preemptor: pod('p', '800Mi', 100),
      want: { node: 'b', victims: ['b1', 'b2'] },
    },
    {
      name: 'only as many victims as needed, the least important first (higher ones reprieved)',
      nodes: [node('a')],
      pods: [pod('x', '300Mi', 1, { nodeName: 'a' }), pod('y', '300Mi', 2, { nodeName: 'a' }), pod('z', '300Mi', 3, { nodeName: 'a' })],
      preemptor: pod('p', '500Mi', 100),
      want: { node: 'a', victims: ['x', 'y'] },
    },
    {
      name: 'pods of equal or higher priority are never victims',
      nodes: [node('a')],
      pods: [pod('same', '900Mi', 100, { nodeName: 'a' })],
      preemptor: pod('p', '800Mi', 100),
    },
    {
      name: 'preemptionPolicy Never never preempts',
      nodes: [node('a')],
      pods: [pod('low', '900Mi', 0, { nodeName: 'a' })],
      preemptor: pod('p', '800Mi', 1000, { policy: 'Never' }),
    },
    {
      name: 'a node whose failure eviction cannot fix (taint) is skipped',
      nodes: [node('a', '1Gi', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }), node('b', '512Mi')],
      pods: [pod('a1', '900Mi', 0, { nodeName: 'a' }), pod('b1', '100Mi', 0, { nodeName: 'b' })],
      preemptor: pod('p', '800Mi', 100),
    },
    {
      name: 'a PodDisruptionBudget steers preemption to the unprotected node',
      nodes: [node('a'), node('b')],
      pods: [pod('a1', '900Mi', 0, { nodeName: 'a', labels: { app: 'db' } }), pod('b1', '900Mi', 5, { nodeName: 'b', labels: { app: 'web' } })],
      preemptor: pod('p', '800Mi', 100),
      pdbs: [budget('db', 0)],
      want: { node: 'b', victims: ['b1'], pdbViolations: 0 },
    },
    {
      name: 'a budget is broken when nothing else helps, and counted',
      nodes: [node('a')],
      pods: [pod('a1', '900Mi', 0, { nodeName: 'a', labels: { app: 'db' } })],
      preemptor: pod('p', '800Mi', 100),
      pdbs: [budget('db', 0)],
      want: { node: 'a', victims: ['a1'], pdbViolations: 1 },
    },
    {
      name: 'host port conflicts are resolvable by eviction',
      nodes: [node('a', '4Gi')],
      pods: [{ ...pod('web', '10Mi', 0, { nodeName: 'a' }), spec: { ...pod('web', '10Mi', 0, { nodeName: 'a' }).spec!, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] } }],
      preemptor: { ...pod('p', '10Mi', 100), spec: { ...pod('p', '10Mi', 100).spec!, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }] }] } },
      want: { node: 'a', victims: ['web'] },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const got = selectVictims(c.preemptor, buildSnapshot(c.nodes, c.pods), { pdbs: c.pdbs });
      if (!c.want) return assert.equal(got, undefined, JSON.stringify(got && { node: got.node, victims: names(got.victims) }));
      assert.ok(got);
      assert.deepEqual({ node: got.node, victims: names(got.victims) }, { node: c.want.node, victims: c.want.victims });
      if (c.want.pdbViolations !== undefined) assert.equal(got.pdbViolations, c.want.pdbViolations);
    });
  }

  test('no second round while lower-priority pods on the nominated node are terminating', () => {
    const snap = buildSnapshot([node('a')], [pod('going', '900Mi', 0, { nodeName: 'a', deleting: true }), pod('other', '50Mi', 0, { nodeName: 'a' })]);
    const p = pod('p', '800Mi', 100, { nominated: 'a' });
    assert.equal(preemptionAllowed(p, snap), false);
    assert.equal(selectVictims(p, snap), undefined);
    assert.equal(preemptionAllowed(pod('q', '800Mi', 100), snap), true);
  });

  test('candidate order: budget violations, then top victim priority, then sum, then count, then name', () => {
    const v = (n: string, prio: number) => pod(n, '1Mi', prio);
    const sorted = [
      { node: 'e', victims: [v('1', 1)], pdbViolations: 1 },
      { node: 'd', victims: [v('1', 5), v('2', 5)], pdbViolations: 0 },
      { node: 'c', victims: [v('1', 5), v('2', 1)], pdbViolations: 0 },
      { node: 'b', victims: [v('1', 5)], pdbViolations: 0 },
      { node: 'a', victims: [v('1', 5)], pdbViolations: 0 },
      { node: 'z', victims: [v('1', 2), v('2', 2), v('3', 2)], pdbViolations: 0 },
    ].sort(compareCandidates);
    assert.deepEqual(sorted.map((c) => c.node), ['z', 'a', 'b', 'c', 'd', 'e']);
  });
});

describe('SnapshotCache', () => {
  test('matches buildSnapshot after adds, moves, deletes and terminal pods, and reuses unchanged nodes', () => {
    const c = new SnapshotCache();
    const nodes = [node('b'), node('a'), node('c')];
    for (const n of nodes) c.setNode(n);
    const p1 = pod('p1', '100Mi', 0, { nodeName: 'a' });
    const p2 = pod('p2', '200Mi', 0, { nodeName: 'b' });
    c.setPod('default/p1', p1);
    c.setPod('default/p2', p2);
    const first = c.snapshot();
    assert.deepEqual(first.nodes.map((n) => n.name), ['a', 'b', 'c']);
    const moved = pod('p2', '200Mi', 0, { nodeName: 'c' });
    c.setPod('default/p2', moved);
    c.setPod('default/p3', { ...pod('p3', '1Mi', 0, { nodeName: 'a' }), status: { phase: 'Succeeded' } });
    const second = c.snapshot();
    assert.equal(second.nodes[0], first.nodes[0], 'node a unchanged: NodeInfo reused');
    assert.notEqual(second.nodes[1], first.nodes[1]);
    const want = buildSnapshot(nodes, [p1, moved]);
    assert.deepEqual(second.nodes.map((n) => [n.name, n.requested]), want.nodes.map((n) => [n.name, n.requested]));
    c.setPod('default/p1', undefined);
    c.removeNode('b');
    assert.deepEqual(c.snapshot().nodes.map((n) => [n.name, n.pods.length]), [['a', 0], ['c', 1]]);
    assert.equal(first.nodes[1]!.pods.length, 1, 'snapshots handed out are not mutated');
  });
});
