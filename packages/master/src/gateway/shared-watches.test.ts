import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceInfo } from '@skiff/api';
import type { Registry, WatchEvent } from '@skiff/apiserver';
import { acquireSharedWatches, type SharedWatchListener } from './shared-watches';

const pod = (name: string, nodeName?: string): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: nodeName ? { nodeName } : {},
} as KObject);

function fakeRegistry(initialPods: KObject[]) {
  const emitters = new Map<string, (e: WatchEvent) => void>();
  const errors: ((e: Error) => void)[] = [];
  let watches = 0;
  let closed = 0;
  const registry = {
    storage: { currentRevision: async () => 7 },
    watch: async (info: ResourceInfo, _ns: string | undefined, opts: { resourceVersion?: string }, onEvent: (e: WatchEvent) => void, onError: (e: Error) => void) => {
      watches++;
      emitters.set(info.kind, onEvent);
      errors.push(onError);
      if (!opts.resourceVersion && info.kind === 'Pod') for (const p of initialPods) onEvent({ type: 'ADDED', object: p });
      return { close: () => { closed++; }, startRevision: 7 };
    },
  } as unknown as Registry;
  return { registry, emitters, errors, counts: () => ({ watches, closed }) };
}

function recorder(): { l: SharedWatchListener; seen: string[]; failed: Error[] } {
  const seen: string[] = [];
  const failed: Error[] = [];
  return {
    seen, failed,
    l: {
      pod: (ev) => seen.push(`${ev.type} ${ev.object.metadata.name ?? ''}`),
      clusterWide: (kind, ev) => seen.push(`${ev.type} ${kind} ${ev.object.metadata.name ?? ''}`),
      referenced: () => undefined,
      error: (e) => failed.push(e),
    },
  };
}

test('one set of watches for all nodes; pods dispatched by node, moves and deletes included', async () => {
  const f = fakeRegistry([pod('a', 'n1'), pod('b', 'n2'), pod('pending')]);
  const hub = acquireSharedWatches(f.registry);
  assert.equal(acquireSharedWatches(f.registry), hub);
  await hub.start();
  await hub.start();
  const perStreamWatches = f.counts().watches;
  assert.equal(perStreamWatches, 8);
  const n1 = recorder();
  const n2 = recorder();
  hub.subscribe('n1', n1.l);
  hub.subscribe('n2', n2.l);
  assert.deepEqual(n1.seen, ['ADDED a']);
  assert.deepEqual(n2.seen, ['ADDED b']);

  const podEv = f.emitters.get('Pod')!;
  podEv({ type: 'MODIFIED', object: pod('pending', 'n1') });
  podEv({ type: 'MODIFIED', object: pod('a', 'n2') });
  podEv({ type: 'MODIFIED', object: pod('b', 'n2') });
  podEv({ type: 'DELETED', object: pod('b', 'n2') });
  podEv({ type: 'ADDED', object: pod('c') });
  f.emitters.get('Service')!({ type: 'ADDED', object: { metadata: { name: 'web', namespace: 'default' } } as KObject });
  assert.deepEqual(n1.seen, ['ADDED a', 'ADDED pending', 'DELETED a', 'ADDED service web']);
  assert.deepEqual(n2.seen, ['ADDED b', 'ADDED a', 'MODIFIED b', 'DELETED b', 'ADDED service web']);

  // A stream connecting mid-way gets its node's current pods and the services, then changes.
  const late = recorder();
  hub.subscribe('n2', late.l);
  assert.deepEqual(late.seen, ['ADDED service web', 'ADDED a']);
  assert.equal(f.counts().watches, perStreamWatches);

  // A watch error (e.g. 410 Gone) ends every subscriber; the next user gets a fresh hub.
  f.errors[0]!(new Error('too old resource version'));
  assert.equal(n1.failed.length, 1);
  assert.equal(late.failed.length, 1);
  assert.equal(f.counts().closed, 8);
  const again = acquireSharedWatches(f.registry);
  assert.notEqual(again, hub);
  await again.start();
  again.release();
  assert.equal(f.counts().closed, 16);
});
