import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors';
import { applyStrategicMergePatch } from './strategic-merge-patch';
import { deploymentMeta, nodeMeta, podMeta } from './patch-meta-builder';

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

interface Container { name: string; image?: string; [k: string]: unknown }

function deployment(containers: Container[]): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n', other: 'x' },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { restartPolicy: 'Always', containers } },
    },
    status: { replicas: 1 },
  };
}

const c = (name: string, image: string, extra: Record<string, unknown> = {}): Container => ({ name, image, ...extra });
const names = (d: Record<string, any>): string[] => (d.spec.template.spec.containers as Container[]).map((x) => x.name);

describe('strategic merge patch: what kubectl sends', () => {
  it('client-side apply: $setElementOrder/containers and a changed image', () => {
    const live = deployment([c('c', 'nginx:1', { ports: [{ containerPort: 80, protocol: 'TCP' }], terminationMessagePath: '/dev/termination-log' })]);
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' } },
      spec: {
        replicas: 3,
        template: { spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ image: 'nginx:2', name: 'c' }] } },
      },
    };
    const out = applyStrategicMergePatch(live, patch, deploymentMeta);
    const expected = structuredClone(live);
    expected.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = '{"new":true}\n';
    expected.spec.replicas = 3;
    expected.spec.template.spec.containers[0].image = 'nginx:2';
    assert.deepEqual(out, expected);
  });

  it('set image: only the named container changes, the others stay in order', () => {
    const live = deployment([c('c', 'img:1'), c('sidecar', 'side:1')]);
    const out = applyStrategicMergePatch(live, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'sidecar' }], containers: [{ image: 'img:2', name: 'c' }] } } },
    }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers, [c('c', 'img:2'), c('sidecar', 'side:1')]);
  });

  it('the exact set image patch of the wire log on a one-container deployment', () => {
    const live = deployment([c('c', 'img:1')]);
    const out = applyStrategicMergePatch(live, JSON.parse('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"image":"img:2","name":"c"}]}}}}'), deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers, [c('c', 'img:2')]);
    assert.deepEqual(out.metadata, live.metadata);
  });

  it('taint: spec.taints has no merge key, the list is replaced', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { podCIDR: '10.0.0.0/24', taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: 'v', effect: 'NoExecute' }] } };
    const added = applyStrategicMergePatch(node, { spec: { taints: [{ effect: 'NoSchedule', key: 'a' }, { effect: 'NoExecute', key: 'b', value: 'v' }, { effect: 'NoSchedule', key: 'k', value: 'v' }] } }, nodeMeta);
    assert.deepEqual(added.spec.taints, [{ effect: 'NoSchedule', key: 'a' }, { effect: 'NoExecute', key: 'b', value: 'v' }, { effect: 'NoSchedule', key: 'k', value: 'v' }]);
    const removed = applyStrategicMergePatch(node, { spec: { taints: [{ effect: 'NoExecute', key: 'b', value: 'v' }] } }, nodeMeta);
    assert.deepEqual(removed.spec.taints, [{ effect: 'NoExecute', key: 'b', value: 'v' }]);
    assert.equal(removed.spec.podCIDR, '10.0.0.0/24');
    assert.deepEqual(applyStrategicMergePatch(node, { spec: { taints: [] } }, nodeMeta).spec.taints, []);
  });

  it('cordon and uncordon', () => {
    const node = { metadata: { name: 'n' }, spec: { podCIDR: 'x' } };
    const cordoned = applyStrategicMergePatch(node, { spec: { unschedulable: true } }, nodeMeta);
    assert.deepEqual(cordoned.spec, { podCIDR: 'x', unschedulable: true });
    assert.deepEqual(applyStrategicMergePatch(cordoned, { spec: { unschedulable: null } }, nodeMeta).spec, { podCIDR: 'x' });
  });

  it('label removal with null', () => {
    const pod = { metadata: { name: 'p', labels: { a: 'b', c: 'd' } } };
    assert.deepEqual(applyStrategicMergePatch(pod, { metadata: { labels: { a: null } } }, podMeta).metadata.labels, { c: 'd' });
  });
});

describe('strategic merge patch: merge lists', () => {
  it('merges containers by name and keeps the other containers', () => {
    const live = deployment([c('a', 'a:1', { args: ['x'] }), c('b', 'b:1')]);
    const out = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers, [c('a', 'a:1', { args: ['x'] }), c('b', 'b:2')]);
  });

  it('a new item without $setElementOrder goes before the server-only items, as in Kubernetes', () => {
    const live = deployment([c('a', 'a'), c('b', 'b')]);
    const out = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'n', image: 'n' }] } } } }, deploymentMeta);
    assert.deepEqual(names(out), ['n', 'a', 'b']);
  });

  it('$setElementOrder decides the order', () => {
    const live = deployment([c('a', 'a'), c('b', 'b')]);
    const out = applyStrategicMergePatch(live, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'n' }, { name: 'a' }], containers: [{ name: 'n', image: 'n' }] } } },
    }, deploymentMeta);
    assert.deepEqual(names(out), ['b', 'n', 'a']);
    const reordered = applyStrategicMergePatch(live, { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } } } }, deploymentMeta);
    assert.deepEqual(names(reordered), ['b', 'a']);
  });

  it('merges env by name inside a container', () => {
    const live = deployment([c('c', 'i', { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }), c('d', 'd')]);
    const out = applyStrategicMergePatch(live, {
      spec: {
        template: {
          spec: {
            containers: [{
              name: 'c',
              '$setElementOrder/env': [{ name: 'A' }, { name: 'B' }, { name: 'C' }],
              env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }],
            }],
          },
        },
      },
    }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers, [
      c('c', 'i', { env: [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }] }),
      c('d', 'd'),
    ]);
    const noOrder = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } } }, deploymentMeta);
    assert.deepEqual(noOrder.spec.template.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }]);
  });

  it('removes an env var with valueFrom replaced by value (null deletes inside an item)', () => {
    const live = deployment([c('c', 'i', { env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'x' } } }] })]);
    const out = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: 'v', valueFrom: null }] }] } } } }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers[0].env, [{ name: 'A', value: 'v' }]);
  });

  it('$patch: delete removes a container', () => {
    const live = deployment([c('c', 'c'), c('sidecar', 's'), c('z', 'z')]);
    const out = applyStrategicMergePatch(live, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'z' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } } },
    }, deploymentMeta);
    assert.deepEqual(names(out), ['c', 'z']);
    const plain = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }, { name: 'nope', $patch: 'delete' }] } } } }, deploymentMeta);
    assert.deepEqual(names(plain), ['c', 'z']);
  });

  it('$patch: replace in a list replaces it with the other items', () => {
    const live = deployment([c('a', 'a'), c('b', 'b')]);
    const out = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'z', image: 'z', args: null }] } } } }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers, [c('z', 'z')]);
  });

  it('an item with $patch: merge is merged like any other', () => {
    const live = deployment([c('a', 'a'), c('b', 'b')]);
    const out = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'b', image: 'b2', $patch: 'merge' }] } } } }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers, [c('a', 'a'), c('b', 'b2')]);
  });

  it('new items lose nulls and directives', () => {
    const live = deployment([c('a', 'a')]);
    const out = applyStrategicMergePatch(live, {
      spec: { template: { spec: { containers: [{ name: 'n', image: 'n', args: null, resources: { limits: { cpu: '1', memory: null } }, env: [{ name: 'X', value: '1' }, { name: 'Y', $patch: 'delete' }] }] } } },
    }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers[0], { name: 'n', image: 'n', resources: { limits: { cpu: '1' } }, env: [{ name: 'X', value: '1' }] });
  });

  it('merges lists of scalars with strategy merge as a union', () => {
    const pod = { metadata: { name: 'p', finalizers: ['a', 'b'] } };
    assert.deepEqual(applyStrategicMergePatch(pod, { metadata: { finalizers: ['b', 'c'] } }, podMeta).metadata.finalizers, ['a', 'b', 'c']);
    assert.deepEqual(applyStrategicMergePatch(pod, { metadata: { finalizers: ['c'] } }, podMeta).metadata.finalizers, ['c', 'a', 'b']);
  });

  it('$deleteFromPrimitiveList removes scalars', () => {
    const pod = { metadata: { name: 'p', finalizers: ['a', 'b'] } };
    assert.deepEqual(applyStrategicMergePatch(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, podMeta).metadata.finalizers, ['b']);
    const combined = applyStrategicMergePatch(pod, {
      metadata: { '$setElementOrder/finalizers': ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] },
    }, podMeta);
    assert.deepEqual(combined.metadata.finalizers, ['b', 'c']);
    assert.deepEqual(applyStrategicMergePatch({ metadata: {} }, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, podMeta), { metadata: {} });
  });

  it('lists without strategy merge are replaced', () => {
    const live = deployment([c('a', 'a', { args: ['1', '2'] })]);
    const out = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'a', args: ['3'] }] } } } }, deploymentMeta);
    assert.deepEqual(out.spec.template.spec.containers[0].args, ['3']);
  });
});

describe('strategic merge patch: map directives', () => {
  it('$retainKeys switches a deployment from RollingUpdate to Recreate', () => {
    const live = deployment([c('c', 'c')]);
    const out = applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } }, deploymentMeta);
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
    const back = applyStrategicMergePatch(out, { spec: { strategy: { $retainKeys: ['rollingUpdate', 'type'], rollingUpdate: { maxSurge: 1 }, type: 'RollingUpdate' } } }, deploymentMeta);
    assert.deepEqual(back.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } });
  });

  it('$retainKeys clears keys the patch does not mention', () => {
    const live = deployment([c('c', 'c')]);
    const out = applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: ['type'] } } }, deploymentMeta);
    assert.deepEqual(out.spec.strategy, { type: 'RollingUpdate' });
  });

  it('$retainKeys inside a merge list item (volumes)', () => {
    const pod = { metadata: { name: 'p' }, spec: { volumes: [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }] } };
    const out = applyStrategicMergePatch(pod, { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } }, podMeta);
    assert.deepEqual(out.spec.volumes, [{ name: 'v', configMap: { name: 'cm' } }, { name: 'w', emptyDir: {} }]);
  });

  it('a patch setting a key missing from $retainKeys is a 422', () => {
    const live = deployment([c('c', 'c')]);
    const e = statusOf(() => applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } }, deploymentMeta));
    assert.equal(e.code, 422);
    assert.match(e.message, /retainKeys/);
  });

  it('$patch: replace replaces a map', () => {
    const live = deployment([c('c', 'c')]);
    const out = applyStrategicMergePatch(live, { spec: { template: { metadata: { labels: { $patch: 'replace', app: 'web', tier: 'x' } } } } }, deploymentMeta);
    assert.deepEqual(out.spec.template.metadata.labels, { app: 'web', tier: 'x' });
    const whole = applyStrategicMergePatch(live, { metadata: { annotations: { $patch: 'replace', only: 'me' } } }, deploymentMeta);
    assert.deepEqual(whole.metadata.annotations, { only: 'me' });
  });

  it('$patch: delete empties a map, $patch: merge merges it', () => {
    const live = deployment([c('c', 'c')]);
    const out = applyStrategicMergePatch(live, { metadata: { annotations: { $patch: 'delete' } } }, deploymentMeta);
    assert.deepEqual(out.metadata.annotations, {});
    const merged = applyStrategicMergePatch(live, { metadata: { annotations: { $patch: 'merge', n: 'v' } } }, deploymentMeta);
    assert.deepEqual(merged.metadata.annotations, { ...live.metadata.annotations, n: 'v' });
    const absent = applyStrategicMergePatch({ metadata: { name: 'x' } }, { metadata: { labels: { $patch: 'delete' } } }, podMeta);
    assert.deepEqual(absent, { metadata: { name: 'x' } });
  });
});

describe('strategic merge patch: general behaviour', () => {
  it('without PatchMeta maps merge and lists are replaced', () => {
    const doc = { spec: { list: [1, 2], items: [{ name: 'a', v: 1 }], m: { a: 1, c: 3 } } };
    const out = applyStrategicMergePatch(doc, { spec: { list: [3], items: [{ name: 'a', w: 2 }], m: { a: null, b: 2 } } }, undefined);
    assert.deepEqual(out, { spec: { list: [3], items: [{ name: 'a', w: 2 }], m: { c: 3, b: 2 } } });
  });

  it('a value of another type replaces the original', () => {
    const out = applyStrategicMergePatch({ spec: { x: 'str', y: { a: 1 } } }, { spec: { x: { a: 1 }, y: [1] } }, undefined);
    assert.deepEqual(out, { spec: { x: { a: 1 }, y: [1] } });
  });

  it('does not mutate its inputs', () => {
    const live = deployment([c('a', 'a'), c('b', 'b')]);
    const liveCopy = structuredClone(live);
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a', image: 'x' }, { name: 'b', $patch: 'delete' }] } } }, metadata: { labels: { app: null } } };
    const patchCopy = structuredClone(patch);
    applyStrategicMergePatch(live, patch, deploymentMeta);
    assert.deepEqual(live, liveCopy);
    assert.deepEqual(patch, patchCopy);
  });

  it('rejects malformed patches', () => {
    const live = deployment([c('a', 'a'), c('b', 'b')]);
    assert.equal(statusOf(() => applyStrategicMergePatch(live, [1], deploymentMeta)).code, 400);
    assert.equal(statusOf(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, deploymentMeta)).code, 400);
    assert.equal(statusOf(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ $patch: 'delete' }] } } } }, deploymentMeta)).code, 400);
    assert.equal(statusOf(() => applyStrategicMergePatch(live, { spec: { $patch: 'explode' } }, deploymentMeta)).code, 400);
    assert.equal(statusOf(() => applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'nope' }] } } } }, deploymentMeta)).code, 400);
    const order = statusOf(() => applyStrategicMergePatch(live, {
      spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'b', image: '1' }, { name: 'a', image: '2' }] } } },
    }, deploymentMeta));
    assert.equal(order.code, 400);
    assert.match(order.message, /doesn't match \$setElementOrder list/);
    assert.equal(statusOf(() => applyStrategicMergePatch(live, { metadata: { '$setElementOrder/finalizers': 'x' } }, deploymentMeta)).code, 400);
    assert.equal(statusOf(() => applyStrategicMergePatch({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: [['x']] } }, podMeta)).code, 422);
    assert.equal(statusOf(() => applyStrategicMergePatch(live, { spec: { strategy: { $retainKeys: 'type' } } }, deploymentMeta)).code, 400);
  });
});
