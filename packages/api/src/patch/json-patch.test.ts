import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors';
import { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch';
import { formatPointer, parsePointer } from './json-pointer';

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError, `expected a StatusError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('JSON pointer', () => {
  it('unescapes ~1 and ~0 in that order', () => {
    assert.deepEqual(parsePointer('/metadata/annotations/a~1b~0c'), ['metadata', 'annotations', 'a/b~c']);
    assert.deepEqual(parsePointer('/~01'), ['~1']);
    assert.deepEqual(parsePointer(''), []);
    assert.deepEqual(parsePointer('/'), ['']);
    assert.equal(parsePointer('spec'), undefined);
    assert.equal(parsePointer('/a~2'), undefined);
    assert.equal(formatPointer(['a/b', '~c']), '/a~1b/~0c');
  });
});

describe('applyJsonPatch', () => {
  const doc = { metadata: { name: 'x', labels: { app: 'web' } }, spec: { list: [1, 2, 3] } };

  it('add, remove, replace, move, copy and test', () => {
    const out = applyJsonPatch(doc, [
      { op: 'test', path: '/metadata/name', value: 'x' },
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'replace', path: '/metadata/labels/app', value: 'api' },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'add', path: '/spec/list/-', value: 4 },
      { op: 'add', path: '/spec/list/1', value: 9 },
      { op: 'copy', from: '/metadata/labels', path: '/spec/selector' },
      { op: 'move', from: '/metadata/labels/tier', path: '/metadata/annotations' },
    ]);
    assert.deepEqual(out, {
      metadata: { name: 'x', labels: { app: 'api' }, annotations: 'front' },
      spec: { list: [2, 9, 3, 4], selector: { app: 'api', tier: 'front' } },
    });
  });

  it('never mutates its inputs', () => {
    const input = structuredClone(doc);
    const value = { a: 1 };
    const ops = [{ op: 'add', path: '/spec/x', value }, { op: 'replace', path: '/spec/x/a', value: 2 }];
    const out = applyJsonPatch(input, ops) as unknown as { spec: { x: { a: number } } };
    assert.deepEqual(input, doc);
    assert.deepEqual(value, { a: 1 });
    assert.equal(out.spec.x.a, 2);
  });

  it('handles escaped keys', () => {
    const out = applyJsonPatch({ metadata: { annotations: { 'a/b': '1', 'c~d': '2' } } }, [
      { op: 'replace', path: '/metadata/annotations/a~1b', value: 'x' },
      { op: 'remove', path: '/metadata/annotations/c~0d' },
      { op: 'add', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'y' },
    ]);
    assert.deepEqual(out, { metadata: { annotations: { 'a/b': 'x', 'kubernetes.io/change-cause': 'y' } } });
  });

  it('replaces /spec/template and /metadata/annotations as rollout undo does', () => {
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      spec: {
        replicas: 3,
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } },
      },
    };
    const previousTemplate = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
    const annotations = { 'deployment.kubernetes.io/revision': '2', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    const out = applyJsonPatch(live, [
      { op: 'replace', path: '/spec/template', value: previousTemplate },
      { op: 'replace', path: '/metadata/annotations', value: annotations },
    ]);
    assert.deepEqual(out.spec.template, previousTemplate);
    assert.equal(out.spec.replicas, 3);
    assert.deepEqual(out.metadata.annotations, annotations);
    assert.equal(live.spec.template.spec.containers[0]?.image, 'nginx:2');
  });

  it('replaces or adds the whole document at the root', () => {
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '', value: { b: 2 } }]), { b: 2 });
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'add', path: '', value: [1] }]), [1]);
  });

  it('a failing test is a 422 Invalid naming the path', () => {
    const e = statusOf(() => applyJsonPatch(doc, [{ op: 'test', path: '/metadata/name', value: 'y' }]));
    assert.equal(e.code, 422);
    assert.equal(e.reason, 'Invalid');
    assert.match(e.message, /the server rejected our request due to an error in our request/);
    assert.match(e.message, /testing value \/metadata\/name failed/);
    assert.equal(e.details?.causes?.[0]?.field, '/metadata/name');
  });

  it('test compares structurally and treats a missing key as null', () => {
    assert.deepEqual(applyJsonPatch(doc, [{ op: 'test', path: '/metadata/labels', value: { app: 'web' } }]), doc);
    assert.deepEqual(applyJsonPatch(doc, [{ op: 'test', path: '/metadata/nope', value: null }]), doc);
    assert.equal(statusOf(() => applyJsonPatch(doc, [{ op: 'test', path: '/spec/list', value: [1, 2] }])).code, 422);
    assert.equal(statusOf(() => applyJsonPatch(doc, [{ op: 'test', path: '/nope/deeper', value: null }])).code, 422);
  });

  it('bad paths are 422', () => {
    const cases: unknown[] = [
      [{ op: 'remove', path: '/metadata/nope' }],
      [{ op: 'replace', path: '/metadata/nope', value: 1 }],
      [{ op: 'add', path: '/nope/deeper', value: 1 }],
      [{ op: 'add', path: '/spec/list/5', value: 1 }],
      [{ op: 'add', path: '/spec/list/01', value: 1 }],
      [{ op: 'remove', path: '/spec/list/3' }],
      [{ op: 'remove', path: '/spec/list/-' }],
      [{ op: 'add', path: 'spec', value: 1 }],
      [{ op: 'move', from: '/metadata', path: '/metadata/labels/x' }],
      [{ op: 'copy', from: '/nope', path: '/x' }],
      [{ op: 'remove', path: '' }],
    ];
    for (const ops of cases) {
      const e = statusOf(() => applyJsonPatch(doc, ops));
      assert.equal(e.code, 422, JSON.stringify(ops));
    }
  });

  it('malformed bodies: not a list is 400, bad operations are 422', () => {
    assert.equal(statusOf(() => applyJsonPatch(doc, { op: 'add' })).code, 400);
    assert.equal(statusOf(() => applyJsonPatch(doc, ['x'])).code, 400);
    assert.equal(statusOf(() => applyJsonPatch(doc, [{ op: 'frobnicate', path: '/a' }])).code, 422);
    assert.equal(statusOf(() => applyJsonPatch(doc, [{ op: 'add', path: '/a' }])).code, 422);
    assert.equal(statusOf(() => applyJsonPatch(doc, [{ op: 'move', path: '/a' }])).code, 422);
    assert.equal(statusOf(() => applyJsonPatch(doc, [{ op: 'add', value: 1 }])).code, 422);
  });

  it('refuses more than the maximum number of operations with 413', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '', value: {} }));
    assert.equal(statusOf(() => applyJsonPatch({}, ops)).code, 413);
  });

  it('an operation failing midway leaves the input untouched', () => {
    const input = { a: [1] };
    statusOf(() => applyJsonPatch(input, [{ op: 'add', path: '/a/-', value: 2 }, { op: 'remove', path: '/b' }]));
    assert.deepEqual(input, { a: [1] });
  });

  it('treats __proto__ as an ordinary key', () => {
    const out = applyJsonPatch({}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(out), ['__proto__']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });

  it('move within the same parent and to the same place', () => {
    assert.deepEqual(applyJsonPatch({ l: [1, 2, 3] }, [{ op: 'move', from: '/l/0', path: '/l/2' }]), { l: [2, 3, 1] });
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: 'move', from: '/a', path: '/a' }]), { a: 1 });
  });
});
