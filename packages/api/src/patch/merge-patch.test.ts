import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch } from './merge-patch';

describe('applyMergePatch', () => {
  const pod = { metadata: { name: 'x', labels: { a: 'b', keep: 'yes' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };

  it('adds a label as kubectl label does', () => {
    const out = applyMergePatch(pod, { metadata: { labels: { tier: 'front' } } });
    assert.deepEqual(out.metadata.labels, { a: 'b', keep: 'yes', tier: 'front' });
    assert.deepEqual(out.spec, pod.spec);
  });

  it('removes a label with null as kubectl label a- does', () => {
    const out = applyMergePatch(pod, { metadata: { labels: { a: null } } });
    assert.deepEqual(out.metadata.labels, { keep: 'yes' });
  });

  it('replaces lists whole', () => {
    const out = applyMergePatch(pod, { spec: { containers: [{ name: 'd' }] } });
    assert.deepEqual(out.spec.containers, [{ name: 'd' }]);
  });

  it('scale patch', () => {
    assert.deepEqual(applyMergePatch({ spec: { replicas: 1 }, status: {} }, { spec: { replicas: 3 } }), { spec: { replicas: 3 }, status: {} });
  });

  it('does not mutate its inputs', () => {
    const before = structuredClone(pod);
    const patch = { metadata: { labels: { a: null, n: { deep: 1 } } } };
    const patchCopy = structuredClone(patch);
    const out = applyMergePatch(pod, patch) as { metadata: { labels: Record<string, unknown> } };
    assert.deepEqual(pod, before);
    assert.deepEqual(patch, patchCopy);
    (out.metadata.labels.n as { deep: number }).deep = 2;
    assert.equal(patch.metadata.labels.n.deep, 1);
  });

  // The examples of RFC 7386, appendix A.
  const rfc: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, result] of rfc) {
    it(`RFC 7386: ${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      assert.deepEqual(applyMergePatch(target, patch), result);
    });
  }
});
