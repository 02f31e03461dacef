import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { buildSnapshot } from './snapshot';
import { schedule, failureMessage } from './schedule';
import {
  nodeReady, nodeUnschedulable, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit, interPodAffinity,
} from './filters';
import { leastAllocated, balancedAllocation, selectorSpread, taintTolerationScore, nodeAffinityScore, defaultNormalize } from './scores';
import { podRequests } from './resources';

function node(name: string, o: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Node['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never; ready?: boolean; unschedulable?: boolean } = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      allocatable: { cpu: o.cpu ?? '2', memory: o.memory ?? '4Gi', pods: o.pods ?? '110' },
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

function pod(name: string, o: { cpu?: string; memory?: string; nodeName?: string; labels?: Record<string, string>; spec?: Partial<NonNullable<Pod['spec']>>; owner?: string; phase?: string } = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    metadata: { name, namespace: 'default', labels: o.labels, ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner, controller: true }] : undefined },
    spec: { nodeName: o.nodeName, containers: [{ name: 'c', image: 'x', resources: { requests } }], ...o.spec },
    status: { phase: o.phase ?? 'Running' },
  };
}

const one = (n: Node, pods: Pod[] = []) => {
  const s = buildSnapshot([n], pods);
  return { s, n: s.nodes[0]! };
};

describe('resources', () => {
  test('pod requests: sum of containers, at least the largest init container, plus overhead', () => {
    const p = pod('p', { cpu: '100m', memory: '64Mi', spec: {
      containers: [{ name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' } } }, { name: 'b', resources: { requests: { cpu: '200m' } } }],
      initContainers: [{ name: 'i', resources: { requests: { cpu: '500m', memory: '10Mi' } } }],
      overhead: { cpu: '10m' },
    } });
    assert.deepEqual(podRequests(p), { cpu: 510, memory: 64 * 1024 * 1024 });
  });
  test('non-zero defaults apply to containers without requests (scoring only)', () => {
    assert.deepEqual(podRequests(pod('p'), { nonZero: true }), { cpu: 100, memory: 200 * 1024 * 1024 });
    assert.deepEqual(podRequests(pod('p')), {});
  });
});

describe('filters', () => {
  test('NodeReady', () => {
    assert.deepEqual(nodeReady.filter(pod('p'), one(node('a')).n, one(node('a')).s), []);
    const nr = one(node('a', { ready: false }));
    assert.deepEqual(nodeReady.filter(pod('p'), nr.n, nr.s), ['node(s) were not ready']);
  });

  test('NodeUnschedulable, unless tolerated', () => {
    const { s, n } = one(node('a', { unschedulable: true }));
    assert.deepEqual(nodeUnschedulable.filter(pod('p'), n, s), ['node(s) were unschedulable']);
    const tol = pod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } });
    assert.deepEqual(nodeUnschedulable.filter(tol, n, s), []);
  });

  test('TaintToleration: NoSchedule and NoExecute need a toleration; PreferNoSchedule does not', () => {
    const { s, n } = one(node('a', { taints: [{ key: 'env', value: 'dev', effect: 'NoSchedule' }] }));
    assert.deepEqual(taintToleration.filter(pod('p'), n, s), ['node(s) had untolerated taint {env: dev}']);
    assert.deepEqual(taintToleration.filter(pod('p', { spec: { tolerations: [{ key: 'env', operator: 'Equal', value: 'dev' }] } }), n, s), []);
    assert.deepEqual(taintToleration.filter(pod('p', { spec: { tolerations: [{ key: 'env', operator: 'Equal', value: 'prod' }] } }), n, s).length, 1);
    assert.deepEqual(taintToleration.filter(pod('p', { spec: { tolerations: [{ operator: 'Exists' }] } }), n, s), []);
    assert.deepEqual(taintToleration.filter(pod('p', { spec: { tolerations: [{ key: 'env', operator: 'Exists', effect: 'NoExecute' }] } }), n, s).length, 1);
    const ne = one(node('b', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }));
    assert.deepEqual(taintToleration.filter(pod('p'), ne.n, ne.s), ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
    const pref = one(node('c', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }));
    assert.deepEqual(taintToleration.filter(pod('p'), pref.n, pref.s), []);
  });

  test('NodeAffinity: nodeSelector and required terms (ORed terms, ANDed expressions, all operators)', () => {
    const { s, n } = one(node('a', { labels: { disk: 'ssd', gen: '5' } }));
    const r = (spec: Partial<NonNullable<Pod['spec']>>) => nodeAffinity.filter(pod('p', { spec }), n, s);
    assert.deepEqual(r({ nodeSelector: { disk: 'ssd' } }), []);
    assert.deepEqual(r({ nodeSelector: { disk: 'hdd' } }), ["node(s) didn't match Pod's node affinity/selector"]);
    const req = (exprs: { key: string; operator: string; values?: string[] }[][]) => r({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: exprs.map((e) => ({ matchExpressions: e })) } } } });
    assert.deepEqual(req([[{ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }]]), []);
    assert.equal(req([[{ key: 'disk', operator: 'NotIn', values: ['ssd'] }]]).length, 1);
    assert.deepEqual(req([[{ key: 'disk', operator: 'Exists' }, { key: 'gpu', operator: 'DoesNotExist' }]]), []);
    assert.deepEqual(req([[{ key: 'gen', operator: 'Gt', values: ['4'] }]]), []);
    assert.equal(req([[{ key: 'gen', operator: 'Lt', values: ['4'] }]]).length, 1);
    assert.deepEqual(req([[{ key: 'gpu', operator: 'Exists' }], [{ key: 'disk', operator: 'In', values: ['ssd'] }]]), []);
    assert.equal(req([]).length, 1, 'no terms match nothing');
    const byName = r({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }] } } } });
    assert.deepEqual(byName, []);
  });

  test('NodePorts: the same host port and protocol conflict; 0.0.0.0 overlaps every address', () => {
    const withPort = (name: string, port: number, extra: { hostIP?: string; protocol?: string } = {}, nodeName?: string) =>
      pod(name, { nodeName, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: port, ...extra }] }] } });
    const { s, n } = one(node('a'), [withPort('old', 8080, {}, 'a')]);
    assert.deepEqual(nodePorts.filter(withPort('p', 8080), n, s), ["node(s) didn't have free ports for the requested pod ports"]);
    assert.deepEqual(nodePorts.filter(withPort('p', 8081), n, s), []);
    assert.deepEqual(nodePorts.filter(withPort('p', 8080, { protocol: 'UDP' }), n, s), []);
    assert.equal(nodePorts.filter(withPort('p', 8080, { hostIP: '10.0.0.1' }), n, s).length, 1);
  });

  test('NodeResourcesFit: allocatable minus bound pods; terminal pods do not count', () => {
    const { s, n } = one(node('a', { cpu: '1', memory: '1Gi', pods: '2' }), [
      pod('x', { cpu: '600m', memory: '512Mi', nodeName: 'a' }),
      pod('done', { cpu: '1', memory: '1Gi', nodeName: 'a', phase: 'Succeeded' }),
    ]);
    assert.deepEqual(nodeResourcesFit.filter(pod('p', { cpu: '400m', memory: '512Mi' }), n, s), []);
    assert.deepEqual(nodeResourcesFit.filter(pod('p', { cpu: '500m', memory: '600Mi' }), n, s), ['Insufficient cpu', 'Insufficient memory']);
    const full = one(node('a', { pods: '1' }), [pod('x', { nodeName: 'a' })]);
    assert.deepEqual(nodeResourcesFit.filter(pod('p'), full.n, full.s), ['Too many pods']);
    const gpu = pod('g', { spec: { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] } });
    assert.deepEqual(nodeResourcesFit.filter(gpu, n, s), ['Insufficient example.com/gpu']);
  });

  test('InterPodAffinity: required anti-affinity on hostname, affinity, and existing pods\' anti-affinity', () => {
    const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] } };
    const s = buildSnapshot([node('a'), node('b')], [pod('w1', { nodeName: 'a', labels: { app: 'web' } })]);
    const [a, b] = s.nodes as [typeof s.nodes[0] & object, typeof s.nodes[0] & object];
    const p = pod('w2', { labels: { app: 'web' }, spec: { affinity: anti } });
    assert.deepEqual(interPodAffinity.filter(p, a, s), ["node(s) didn't match pod anti-affinity rules"]);
    assert.deepEqual(interPodAffinity.filter(p, b, s), []);

    const aff = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } } }] } };
    const c = pod('cache', { labels: { app: 'cache' }, spec: { affinity: aff } });
    assert.deepEqual(interPodAffinity.filter(c, a, s), []);
    assert.deepEqual(interPodAffinity.filter(c, b, s), ["node(s) didn't match pod affinity rules"]);

    const s2 = buildSnapshot([node('a'), node('b')], [pod('w1', { nodeName: 'a', labels: { app: 'web' }, spec: { affinity: anti } })]);
    const plain = pod('w2', { labels: { app: 'web' } });
    assert.deepEqual(interPodAffinity.filter(plain, s2.nodes[0]!, s2), ["node(s) didn't satisfy existing pods anti-affinity rules"]);
    assert.deepEqual(interPodAffinity.filter(plain, s2.nodes[1]!, s2), []);
    assert.deepEqual(interPodAffinity.filter(pod('other', { labels: { app: 'db' } }), s2.nodes[0]!, s2), []);
  });
});

describe('scores', () => {
  test('LeastAllocated favours the emptier node', () => {
    const s = buildSnapshot([node('a'), node('b')], [pod('x', { cpu: '1', memory: '2Gi', nodeName: 'a' })]);
    const p = pod('p', { cpu: '100m', memory: '100Mi' });
    assert.ok(leastAllocated.score(p, s.nodes[1]!, s) > leastAllocated.score(p, s.nodes[0]!, s));
    assert.equal(leastAllocated.score(p, s.nodes[1]!, s), 96);
  });

  test('BalancedAllocation favours even cpu/memory use', () => {
    const s = buildSnapshot([node('a'), node('b')], [pod('x', { cpu: '1500m', memory: '100Mi', nodeName: 'a' }), pod('y', { cpu: '500m', memory: '1Gi', nodeName: 'b' })]);
    const p = pod('p', { cpu: '100m', memory: '100Mi' });
    assert.ok(balancedAllocation.score(p, s.nodes[1]!, s) > balancedAllocation.score(p, s.nodes[0]!, s));
  });

  test('SelectorSpread counts siblings of the same owner; normalized so fewer is better', () => {
    const s = buildSnapshot([node('a'), node('b'), node('c')], [
      pod('r1', { nodeName: 'a', owner: 'u1' }), pod('r2', { nodeName: 'a', owner: 'u1' }), pod('r3', { nodeName: 'b', owner: 'u1' }), pod('z', { nodeName: 'c', owner: 'u2' }),
    ]);
    const p = pod('r4', { owner: 'u1' });
    const raw = s.nodes.map((n) => selectorSpread.score(p, n, s));
    assert.deepEqual(raw, [2, 1, 0]);
    selectorSpread.normalize!(raw);
    assert.deepEqual(raw, [0, 50, 100]);
  });

  test('TaintToleration score prefers fewer untolerated PreferNoSchedule taints', () => {
    const s = buildSnapshot([node('a', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }), node('b')], []);
    const raw = s.nodes.map((n) => taintTolerationScore.score(pod('p'), n, s));
    assert.deepEqual(raw, [1, 0]);
    taintTolerationScore.normalize!(raw);
    assert.deepEqual(raw, [0, 100]);
    const tol = pod('p', { spec: { tolerations: [{ key: 'k', operator: 'Exists', effect: 'PreferNoSchedule' }] } });
    assert.equal(taintTolerationScore.score(tol, s.nodes[0]!, s), 0);
  });

  test('NodeAffinity score sums matched preferred weights', () => {
    const s = buildSnapshot([node('a', { labels: { zone: 'z1' } }), node('b', { labels: { zone: 'z2', disk: 'ssd' } })], []);
    const p = pod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } },
      { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
    ] } } } });
    const raw = s.nodes.map((n) => nodeAffinityScore.score(p, n, s));
    assert.deepEqual(raw, [10, 30]);
    defaultNormalize(raw);
    assert.deepEqual(raw, [33, 100]);
  });
});

describe('schedule', () => {
  test('failure message is worded and sorted as Kubernetes does', () => {
    const s = buildSnapshot([
      node('a', { taints: [{ key: 'env', value: 'dev', effect: 'NoSchedule' }] }),
      node('b', { memory: '1Gi' }), node('c', { memory: '1Gi' }),
    ], []);
    const r = schedule(pod('p', { memory: '2Gi' }), s);
    assert.equal(r.node, undefined);
    assert.equal(!r.node && r.message, '0/3 nodes are available: 1 node(s) had untolerated taint {env: dev}, 2 Insufficient memory.');
    assert.equal(failureMessage(0, {}), 'no nodes available to schedule pods');
  });

  test('picks the best feasible node; replicas spread', () => {
    const nodes = [node('a'), node('b'), node('c')];
    const placed: Pod[] = [];
    for (let i = 0; i < 6; i++) {
      const p = pod(`r${i}`, { owner: 'u1' });
      const r = schedule(p, buildSnapshot(nodes, placed));
      assert.ok(r.node);
      placed.push({ ...p, spec: { ...p.spec!, nodeName: r.node } });
    }
    const counts = ['a', 'b', 'c'].map((n) => placed.filter((p) => p.spec?.nodeName === n).length);
    assert.deepEqual(counts, [2, 2, 2]);
  });

  test('a preferred node affinity wins over an equally loaded node', () => {
    const s = buildSnapshot([node('a'), node('b', { labels: { disk: 'ssd' } })], []);
    const p = pod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } } } });
    assert.equal(schedule(p, s).node, 'b');
  });
});
