import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, comparePathElements, keyElement, pathToString, valueElement } from './field-set';

const p = (...pes: string[]): string[] => pes;

describe('FieldSet', () => {
  it('encodes FieldsV1 with "." for members that have children, sorted', () => {
    const s = FieldSet.fromPaths([
      p('f:spec', 'f:replicas'),
      p('f:metadata', 'f:labels'),
      p('f:metadata', 'f:labels', 'f:app'),
      p('f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"c"}'),
      p('f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'),
      p('f:metadata', 'f:finalizers', 'v:"x"'),
    ]);
    const encoded = s.toFieldsV1();
    assert.equal(JSON.stringify(encoded), JSON.stringify({
      'f:metadata': { 'f:finalizers': { 'v:"x"': {} }, 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {} } } } } },
    }));
    const decoded = FieldSet.fromFieldsV1(encoded);
    assert.ok(decoded.equals(s));
    assert.ok(decoded.has(['f:metadata', 'f:labels']));
    assert.ok(!decoded.has(['f:metadata']));
    assert.ok(decoded.has(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"c"}']));
  });

  it('rejects malformed FieldsV1', () => {
    assert.throws(() => FieldSet.fromFieldsV1([]));
    assert.throws(() => FieldSet.fromFieldsV1({ 'x:y': {} }));
    assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }));
  });

  it('union, intersection, difference and recursive difference', () => {
    const a = FieldSet.fromPaths([p('f:a'), p('f:b', 'f:c'), p('f:b', 'f:d')]);
    const b = FieldSet.fromPaths([p('f:b'), p('f:b', 'f:c'), p('f:e')]);
    assert.deepEqual(a.union(b).paths(), [['f:a'], ['f:b'], ['f:e'], ['f:b', 'f:c'], ['f:b', 'f:d']]);
    assert.deepEqual(a.intersection(b).paths(), [['f:b', 'f:c']]);
    assert.deepEqual(a.difference(b).paths(), [['f:a'], ['f:b', 'f:d']]);
    assert.deepEqual(a.recursiveDifference(b).paths(), [['f:a']]);
    assert.ok(a.difference(a).isEmpty());
  });

  it('makes named fields members', () => {
    const s = FieldSet.fromPaths([p('f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image')]).ensureNamedFieldsAreMembers();
    assert.ok(s.has(['f:spec']));
    assert.ok(s.has(['f:spec', 'f:containers']));
    assert.ok(!s.has(['f:spec', 'f:containers', 'k:{"name":"c"}']));
  });

  it('prints paths as Kubernetes does', () => {
    assert.equal(pathToString(['f:spec', 'f:replicas']), '.spec.replicas');
    assert.equal(pathToString(['f:spec', 'f:template', 'f:spec', 'f:containers', keyElement({ name: 'c' }), 'f:image']), '.spec.template.spec.containers[name="c"].image');
    assert.equal(pathToString(['f:ports', keyElement({ protocol: 'TCP', containerPort: 80 })]), '.ports[containerPort=80,protocol="TCP"]');
    assert.equal(pathToString(['f:metadata', 'f:finalizers', valueElement('x')]), '.metadata.finalizers[="x"]');
    assert.equal(pathToString(['f:list', 'i:3']), '.list[3]');
  });

  it('orders fields before keys before values', () => {
    assert.deepEqual(['v:"a"', 'k:{"a":1}', 'f:z', 'f:a', 'i:10', 'i:2'].sort(comparePathElements), ['f:a', 'f:z', 'k:{"a":1}', 'v:"a"', 'i:2', 'i:10']);
  });
});
