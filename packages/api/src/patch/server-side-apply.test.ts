import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors';
import type { KObject } from '../object';
import { FieldSet } from './field-set';
import { updateManagedFields, type ManagedFieldsEntry } from './managed-fields';
import { deploymentMeta, podMeta } from './patch-meta-builder';
import { serverSideApply, type ServerSideApplyOptions } from './server-side-apply';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:01:00Z';
const T2 = '2024-01-01T00:02:00Z';

function config(opts: { replicas?: number; image?: string; labels?: Record<string, string>; containers?: unknown[] } = {}): Record<string, any> {
  const spec: Record<string, unknown> = {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: opts.containers ?? [{ name: 'c', image: opts.image ?? 'nginx:1', ports: [{ containerPort: 80 }] }] },
    },
  };
  if (opts.replicas !== undefined) spec.replicas = opts.replicas;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: opts.labels ?? { app: 'web' } }, spec };
}

function apply(live: KObject | undefined, applied: unknown, manager = 'kubectl', extra: Partial<ServerSideApplyOptions> = {}) {
  return serverSideApply({ live, applied, manager, meta: deploymentMeta, now: T1, ...extra });
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

function entry(entries: ManagedFieldsEntry[], manager: string, operation?: string): ManagedFieldsEntry | undefined {
  return entries.find((e) => e.manager === manager && (operation === undefined || e.operation === operation));
}

function owns(entries: ManagedFieldsEntry[], manager: string, path: string[]): boolean {
  const e = entry(entries, manager);
  return !!e && FieldSet.fromFieldsV1(e.fieldsV1).has(path);
}

/** A stored deployment as the server would keep it after a create by `manager` (an ordinary write). */
function created(obj: Record<string, any>, manager: string, now = T0): KObject {
  const withServerFields = structuredClone(obj);
  withServerFields.metadata.uid = 'u1';
  withServerFields.metadata.resourceVersion = '1';
  return updateManagedFields({ before: undefined, after: withServerFields, manager, apiVersion: 'apps/v1', meta: deploymentMeta, now }).object as KObject;
}

const REPLICAS = ['f:spec', 'f:replicas'];
const IMAGE = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'];

describe('serverSideApply: create', () => {
  it('creates the object and records the applied fields in FieldsV1', () => {
    const applied = config({ replicas: 3 });
    const { object, managedFields, changed } = apply(undefined, applied);
    assert.equal(changed, true);
    assert.deepEqual(managedFields, [{
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: managedFields[0]?.fieldsV1,
    }]);
    assert.equal(JSON.stringify(managedFields[0]?.fieldsV1), JSON.stringify({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"c"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    }));
    const { managedFields: mf, ...rest } = object.metadata;
    assert.deepEqual(mf, managedFields);
    assert.deepEqual({ ...object, metadata: rest }, applied);
  });

  it('drops nulls of the configuration from the object but owns them', () => {
    const applied = config();
    applied.spec.replicas = null;
    const { object, managedFields } = apply(undefined, applied);
    assert.equal('replicas' in (object.spec as object), false);
    assert.ok(owns(managedFields, 'kubectl', REPLICAS));
  });
});

describe('serverSideApply: update by the same manager', () => {
  it('re-applying the same configuration changes nothing and keeps the time', () => {
    const first = apply(undefined, config({ replicas: 3 }));
    const again = apply(first.object, config({ replicas: 3 }), 'kubectl', { now: T2 });
    assert.equal(again.changed, false);
    assert.deepEqual(again.object, first.object);
    assert.equal(again.managedFields[0]?.time, T1);
  });

  it('changes its own fields without conflict and refreshes the time', () => {
    const first = apply(undefined, config({ replicas: 3 }));
    const second = apply(first.object, config({ replicas: 5, image: 'nginx:2' }), 'kubectl', { now: T2 });
    assert.equal(second.changed, true);
    assert.equal((second.object.spec as any).replicas, 5);
    assert.equal((second.object.spec as any).template.spec.containers[0].image, 'nginx:2');
    assert.equal(second.managedFields[0]?.time, T2);
  });

  it('removes fields the manager stopped applying', () => {
    const first = apply(undefined, config({ replicas: 3, labels: { app: 'web', tier: 'front' } }));
    const second = apply(first.object, config({}), 'kubectl', { now: T2 });
    assert.equal('replicas' in (second.object.spec as object), false);
    assert.deepEqual(second.object.metadata.labels, { app: 'web' });
    assert.ok(!owns(second.managedFields, 'kubectl', REPLICAS));
  });

  it('removes a container it stopped applying but keeps containers of other managers', () => {
    const two = config({ containers: [{ name: 'c', image: 'c:1' }, { name: 'd', image: 'd:1' }] });
    const first = apply(undefined, two);
    // A sidecar injector adds a container with an ordinary update.
    const injected = structuredClone(first.object) as Record<string, any>;
    injected.spec.template.spec.containers.push({ name: 'proxy', image: 'envoy' });
    const afterInject = updateManagedFields({ before: first.object, after: injected, manager: 'injector', apiVersion: 'apps/v1', meta: deploymentMeta, now: T1 }).object as KObject;
    const second = apply(afterInject, config({ containers: [{ name: 'c', image: 'c:2' }] }), 'kubectl', { now: T2 });
    assert.deepEqual((second.object.spec as any).template.spec.containers, [{ name: 'c', image: 'c:2' }, { name: 'proxy', image: 'envoy' }]);
  });

  it('keeps a field another applier still applies', () => {
    const a = apply(undefined, config({ replicas: 3 }), 'a');
    const b = apply(a.object, config({ replicas: 3 }), 'b');
    assert.ok(owns(b.managedFields, 'a', REPLICAS) && owns(b.managedFields, 'b', REPLICAS));
    const a2 = apply(b.object, config({}), 'a', { now: T2 });
    assert.equal((a2.object.spec as any).replicas, 3);
    assert.ok(!owns(a2.managedFields, 'a', REPLICAS));
    assert.ok(owns(a2.managedFields, 'b', REPLICAS));
  });

  it('does not remove a field an ordinary write took over', () => {
    const a = apply(undefined, config({ replicas: 3 }));
    const scaled = structuredClone(a.object) as Record<string, any>;
    scaled.spec.replicas = 7;
    const afterScale = updateManagedFields({ before: a.object, after: scaled, manager: 'kubectl-scale', apiVersion: 'apps/v1', meta: deploymentMeta, now: T1 });
    assert.ok(owns(afterScale.managedFields, 'kubectl-scale', REPLICAS));
    assert.ok(!owns(afterScale.managedFields, 'kubectl', REPLICAS));
    const a2 = apply(afterScale.object as KObject, config({}), 'kubectl', { now: T2 });
    assert.equal((a2.object.spec as any).replicas, 7);
  });

  it('merges sets by value and replaces atomic lists', () => {
    const withLists = (finalizers: string[], args: string[]) => {
      const c = config({ containers: [{ name: 'c', image: 'i', args }] });
      c.metadata.finalizers = finalizers;
      return c;
    };
    const first = apply(undefined, withLists(['a'], ['1', '2']));
    const other = structuredClone(first.object) as Record<string, any>;
    other.metadata.finalizers.push('b');
    const afterOther = updateManagedFields({ before: first.object, after: other, manager: 'controller', apiVersion: 'apps/v1', meta: deploymentMeta, now: T1 }).object as KObject;
    const second = apply(afterOther, withLists(['a', 'c'], ['3']), 'kubectl', { now: T2 });
    assert.deepEqual(second.object.metadata.finalizers, ['a', 'b', 'c']);
    assert.deepEqual((second.object.spec as any).template.spec.containers[0].args, ['3']);
    assert.ok(owns(second.managedFields, 'kubectl', ['f:metadata', 'f:finalizers', 'v:"c"']));
    const third = apply(second.object, withLists(['c'], ['3']), 'kubectl', { now: T2 });
    assert.deepEqual(third.object.metadata.finalizers, ['b', 'c']);
  });

  it('tolerates duplicate keys in the live object', () => {
    const live = created(config({ containers: [{ name: 'c', image: 'i', env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] }] }), 'kubectl-create');
    const out = apply(live, config({ containers: [{ name: 'c', image: 'i', env: [{ name: 'B', value: '3' }] }] }));
    assert.deepEqual((out.object.spec as any).template.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'A', value: '2' }, { name: 'B', value: '3' }]);
    const again = apply(out.object, config({ containers: [{ name: 'c', image: 'i' }] }), 'kubectl', { now: T2 });
    assert.deepEqual((again.object.spec as any).template.spec.containers[0].env, [{ name: 'A', value: '1' }, { name: 'A', value: '2' }]);
  });

  it('merges list maps in the order of the configuration, keeping live-only items in place', () => {
    const first = apply(undefined, config({ containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] }));
    const other = structuredClone(first.object) as Record<string, any>;
    other.spec.template.spec.containers.splice(1, 0, { name: 'x', image: 'x' });
    const afterOther = updateManagedFields({ before: first.object, after: other, manager: 'other', apiVersion: 'apps/v1', meta: deploymentMeta, now: T1 }).object as KObject;
    const second = apply(afterOther, config({ containers: [{ name: 'b', image: 'b' }, { name: 'a', image: 'a' }, { name: 'n', image: 'n' }] }), 'kubectl', { now: T2 });
    assert.deepEqual((second.object.spec as any).template.spec.containers.map((c: { name: string }) => c.name), ['x', 'b', 'a', 'n']);
  });
});

describe('serverSideApply: conflicts', () => {
  const csa = 'kubectl-client-side-apply';

  it('a field set by client-side apply conflicts, in Kubernetes wording', () => {
    const live = created(config({ replicas: 3 }), csa);
    const e = statusOf(() => apply(live, config({ replicas: 5 })));
    assert.equal(e.code, 409);
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    assert.deepEqual(e.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
  });

  it('applying the value a field already has is no conflict: ownership is shared', () => {
    const live = created(config({ replicas: 3 }), csa);
    const out = apply(live, config({ replicas: 3 }));
    assert.equal(out.changed, false);
    assert.ok(owns(out.managedFields, csa, REPLICAS));
    assert.ok(owns(out.managedFields, 'kubectl', REPLICAS));
    assert.equal(out.object.metadata.uid, 'u1');
  });

  it('force takes the field from its manager', () => {
    const live = created(config({ replicas: 3 }), csa);
    const out = apply(live, config({ replicas: 5 }), 'kubectl', { force: true });
    assert.equal((out.object.spec as any).replicas, 5);
    assert.ok(owns(out.managedFields, 'kubectl', REPLICAS));
    assert.ok(!owns(out.managedFields, csa, REPLICAS));
    assert.ok(owns(out.managedFields, csa, IMAGE));
    assert.deepEqual(out.managedFields.map((e) => `${e.operation}:${e.manager}`), ['Apply:kubectl', `Update:${csa}`]);
  });

  it('applying null over a field of another manager is a conflict; forced, it removes the field', () => {
    const live = created(config({ replicas: 3 }), csa);
    const nulled = config();
    nulled.spec.replicas = null;
    const e = statusOf(() => apply(live, nulled));
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    const out = apply(live, nulled, 'kubectl', { force: true });
    assert.equal('replicas' in (out.object.spec as object), false);
    assert.ok(owns(out.managedFields, 'kubectl', REPLICAS));
    assert.ok(!owns(out.managedFields, csa, REPLICAS));
  });

  it('conflicts with another applier too', () => {
    const a = apply(undefined, config({ replicas: 3 }), 'a');
    const e = statusOf(() => apply(a.object, config({ replicas: 4 }), 'b'));
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "a": .spec.replicas');
  });

  it('lists several conflicts grouped by manager', () => {
    const live = created(config({ replicas: 3 }), 'x');
    const labelled = structuredClone(live) as Record<string, any>;
    labelled.metadata.labels.tier = 'front';
    const afterLabel = updateManagedFields({ before: live, after: labelled, manager: 'y', apiVersion: 'apps/v1', meta: deploymentMeta, now: T1 }).object as KObject;
    const e = statusOf(() => apply(afterLabel, config({ replicas: 4, image: 'nginx:9', labels: { app: 'web', tier: 'back' } })));
    assert.equal(e.message, [
      'Apply failed with 3 conflicts: conflicts with "x" using apps/v1:',
      '- .spec.replicas',
      '- .spec.template.spec.containers[name="c"].image',
      'conflicts with "y" using apps/v1:',
      '- .metadata.labels.tier',
    ].join('\n'));
    assert.equal(e.details?.causes?.length, 3);
  });

  it('a live object without managed fields gets a before-first-apply manager', () => {
    const live = { ...config({ replicas: 3 }), status: { replicas: 3 } } as unknown as KObject;
    const e = statusOf(() => apply(live, config({ replicas: 1 })));
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
    const forced = apply(live, config({ replicas: 1 }), 'kubectl', { force: true });
    assert.deepEqual(forced.managedFields.map((x) => `${x.operation}:${x.manager}`), ['Apply:kubectl', 'Update:before-first-apply']);
    assert.ok(owns(forced.managedFields, 'before-first-apply', ['f:status', 'f:replicas']));
    assert.ok(!owns(forced.managedFields, 'before-first-apply', REPLICAS));
  });

  it('an image changed by kubectl set image conflicts with a later apply of the old image', () => {
    const a = apply(undefined, config({ image: 'nginx:1' }));
    const set = structuredClone(a.object) as Record<string, any>;
    set.spec.template.spec.containers[0].image = 'nginx:2';
    const afterSet = updateManagedFields({ before: a.object, after: set, manager: 'kubectl-set', apiVersion: 'apps/v1', meta: deploymentMeta, now: T1 }).object as KObject;
    const e = statusOf(() => apply(afterSet, config({ image: 'nginx:1' }), 'kubectl', { now: T2 }));
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="c"].image');
  });
});

describe('serverSideApply: upgrade from client-side apply (manager "kubectl")', () => {
  const csa = 'kubectl-client-side-apply';
  const LAST = 'kubectl.kubernetes.io/last-applied-configuration';

  function appliedClientSide(manifest: Record<string, any>, liveOverrides: (o: Record<string, any>) => void = () => {}): KObject {
    const obj = structuredClone(manifest);
    obj.metadata.annotations = { [LAST]: `${JSON.stringify(manifest)}\n` };
    liveOverrides(obj);
    return created(obj, csa);
  }

  it('fields still as last applied client-side do not conflict, and the annotation follows the new configuration', () => {
    const live = appliedClientSide(config({ replicas: 3 }));
    const applied = config({ replicas: 5 });
    const out = apply(live, applied);
    assert.equal((out.object.spec as any).replicas, 5);
    assert.ok(owns(out.managedFields, 'kubectl', REPLICAS));
    assert.ok(!owns(out.managedFields, csa, REPLICAS));
    const annotation = out.object.metadata.annotations?.[LAST];
    assert.equal(annotation, '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"app":"web"},"name":"web"},"spec":{"replicas":5,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1","name":"c","ports":[{"containerPort":80}]}]}}}}');
  });

  it('fields changed since the last client-side apply still conflict', () => {
    const live = appliedClientSide(config({ replicas: 3 }), (o) => { o.spec.replicas = 4; });
    const e = statusOf(() => apply(live, config({ replicas: 5 })));
    assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });

  it('other managers get no such leniency and no annotation update', () => {
    const live = appliedClientSide(config({ replicas: 3 }));
    assert.equal(statusOf(() => apply(live, config({ replicas: 5 }), 'my-tool')).code, 409);
    const same = apply(live, config({ replicas: 3 }), 'my-tool');
    assert.equal(same.object.metadata.annotations?.[LAST], live.metadata.annotations?.[LAST]);
  });
});

describe('serverSideApply: validation and options', () => {
  it('requires a field manager', () => {
    const e = statusOf(() => apply(undefined, config(), ''));
    assert.equal(e.code, 422);
    assert.match(e.message, /fieldManager: Required value: is required for apply patch/);
  });

  it('rejects managedFields, a wrong apiVersion or kind, and non-objects', () => {
    const withMf = config();
    withMf.metadata.managedFields = [];
    assert.equal(statusOf(() => apply(undefined, withMf)).message, 'metadata.managedFields must be nil');
    const live = apply(undefined, config()).object;
    const wrong = { ...config(), apiVersion: 'apps/v1beta1' };
    const e = statusOf(() => apply(live, wrong));
    assert.equal(e.code, 400);
    assert.match(e.message, /Incorrect version specified in apply patch/);
    assert.equal(statusOf(() => apply(live, { ...config(), kind: 'StatefulSet' })).code, 400);
    assert.equal(statusOf(() => apply(undefined, config(), 'kubectl', { apiVersion: 'apps/v2' })).code, 400);
    assert.equal(statusOf(() => apply(undefined, config(), 'kubectl', { kind: 'DaemonSet' })).code, 400);
    assert.equal(apply(undefined, config(), 'kubectl', { apiVersion: 'apps/v1', kind: 'Deployment' }).changed, true);
    assert.equal(statusOf(() => apply(undefined, [config()])).code, 400);
    assert.equal(statusOf(() => apply(undefined, { kind: 'Deployment', metadata: { name: 'x' } })).code, 400);
  });

  it('rejects duplicate keys in the configuration', () => {
    const e = statusOf(() => apply(undefined, config({ containers: [{ name: 'c', image: 'a' }, { name: 'c', image: 'b' }] })));
    assert.equal(e.code, 400);
    assert.match(e.message, /duplicate entries for key \[name="c"\]/);
  });

  it('ignored fields are never owned', () => {
    const applied = { ...config({ replicas: 1 }), status: { replicas: 9 } };
    const out = apply(undefined, applied, 'kubectl', { ignoredFields: [['status']] });
    assert.ok(!entry(out.managedFields, 'kubectl')?.fieldsV1['f:status']);
    assert.ok(owns(out.managedFields, 'kubectl', REPLICAS));
  });

  it('records the subresource', () => {
    const out = serverSideApply({ live: undefined, applied: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: { phase: 'Running' } }, manager: 'kubelet', meta: podMeta, now: T0, subresource: 'status' });
    assert.deepEqual(out.managedFields, [{ manager: 'kubelet', operation: 'Apply', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:phase': {} } }, subresource: 'status' }]);
  });

  it('does not mutate its inputs', () => {
    const live = created(config({ replicas: 3 }), 'kubectl-client-side-apply');
    const liveCopy = structuredClone(live);
    const applied = config({ replicas: 3, image: 'x' });
    const appliedCopy = structuredClone(applied);
    apply(live, applied, 'kubectl', { force: true });
    assert.deepEqual(live, liveCopy);
    assert.deepEqual(applied, appliedCopy);
  });
});
