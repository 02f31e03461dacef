import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue } from './work-queue';
import { ObjectCache, keyOf, splitKey, byOwnerUid } from './object-cache';

describe('WorkQueue', () => {
  test('deduplicates queued keys and hands them out in order', async () => {
    const q = new WorkQueue();
    q.add('a'); q.add('b'); q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
  });

  test('a key added while processing is queued again on done, never processed twice at once', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    assert.equal(q.length, 0, 'not handed out while being processed');
    q.done(k!);
    assert.equal(await q.get(), 'a');
  });

  test('waiting workers get keys as they arrive; shutDown releases them', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.add('x');
    assert.equal(await p, 'x');
    const w = q.get();
    q.shutDown();
    assert.equal(await w, undefined);
  });

  test('rate-limited requeues back off per key until forget', async () => {
    const q = new WorkQueue(10, 1000);
    q.addRateLimited('a');
    q.addRateLimited('a');
    assert.equal(q.numRequeues('a'), 2);
    assert.equal(q.length, 0, 'not queued before the delay');
    await new Promise((r) => setTimeout(r, 50)); // the queue's timers are unref'd
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'a');
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
    q.shutDown();
  });
});

describe('ObjectCache', () => {
  test('keys, namespaces and owner index follow upserts and removals', () => {
    const c = new ObjectCache({ owner: byOwnerUid });
    const o = { metadata: { name: 'p', namespace: 'ns', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u1' }] } };
    c.upsert(o);
    assert.equal(keyOf(o), 'ns/p');
    assert.deepEqual(splitKey('ns/p'), { namespace: 'ns', name: 'p' });
    assert.deepEqual(splitKey('node1'), { namespace: undefined, name: 'node1' });
    assert.equal(c.byIndex('owner', 'u1').length, 1);
    c.upsert({ metadata: { name: 'p', namespace: 'ns' } });
    assert.equal(c.byIndex('owner', 'u1').length, 0, 'reindexed on update');
    assert.equal(c.list('ns').length, 1);
    c.remove('ns/p');
    assert.equal(c.list().length, 0);
  });
});
