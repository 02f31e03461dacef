/**
 * The gateway's assignment stream carries the PersistentVolumeClaims a node's pods mount and
 * the PersistentVolume each bound claim names: the volume before its claim, both before the
 * pod; a claim that becomes bound later brings its volume along; both are withdrawn with the
 * last pod that needs them. A fake registry stands in for etcd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceInfo } from '@skiff/api';
import type { Registry, WatchEvent } from '@skiff/apiserver';
import { nullLogger } from '@skiff/logging';
import type { Assignment } from '@skiff/rpc';
import { AssignmentStream } from '@skiff/master';

const claim = (name: string, volumeName?: string): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' }, spec: volumeName ? { volumeName } : {},
} as KObject);
const volume = (name: string): KObject => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: {} } as KObject);
const pod = (name: string, claimName: string): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { nodeName: 'node-1', volumes: [{ name: 'www', persistentVolumeClaim: { claimName } }] },
} as KObject);

test('claims and their volumes go to the node with the pods that mount them', async () => {
  const emitters = new Map<string, (e: WatchEvent) => void>();
  const store: Record<string, KObject[]> = {
    PersistentVolumeClaim: [claim('www-web-0', 'pv-0'), claim('www-web-1')],
    PersistentVolume: [volume('pv-0'), volume('pv-1')],
  };
  const registry = {
    storage: { currentRevision: async () => 7 },
    tryGet: async (info: ResourceInfo, _ns: string | undefined, name: string) => (store[info.kind] ?? []).find((o) => o.metadata.name === name),
    watch: async (info: ResourceInfo, _ns: string | undefined, _opts: unknown, onEvent: (e: WatchEvent) => void) => {
      emitters.set(info.kind, onEvent);
      return { close: () => undefined, startRevision: 7 };
    },
  } as unknown as Registry;
  const sent: Assignment[] = [];
  const stream = new AssignmentStream(registry, 'node-1', (a) => sent.push(a), (e) => { throw e; }, nullLogger());
  await stream.start();
  const settle = () => new Promise((r) => setTimeout(r, 20));
  const describe = (a: Assignment): string => {
    const [field, buf] = Object.entries(a).find(([k]) => k.endsWith('_json')) ?? ['', undefined];
    return buf ? `${a.type} ${field} ${(JSON.parse((buf as Buffer).toString()) as KObject).metadata.name}` : a.type;
  };
  await settle();
  const from = sent.length;

  emitters.get('Pod')!({ type: 'ADDED', object: pod('web-0', 'www-web-0') });
  emitters.get('Pod')!({ type: 'ADDED', object: pod('web-1', 'www-web-1') });
  await settle();
  assert.deepEqual(sent.slice(from).map(describe), [
    'ADDED persistentvolume_json pv-0', 'ADDED persistentvolumeclaim_json www-web-0', 'ADDED pod_json web-0',
    'ADDED persistentvolumeclaim_json www-web-1', 'ADDED pod_json web-1',
  ]);

  // www-web-1 gets bound: its volume goes out first. Unrelated volumes stay home.
  const n = sent.length;
  store.PersistentVolumeClaim = [claim('www-web-0', 'pv-0'), claim('www-web-1', 'pv-1')];
  emitters.get('PersistentVolume')!({ type: 'MODIFIED', object: volume('unrelated') });
  emitters.get('PersistentVolumeClaim')!({ type: 'MODIFIED', object: claim('www-web-1', 'pv-1') });
  emitters.get('PersistentVolume')!({ type: 'MODIFIED', object: volume('pv-1') });
  await settle();
  assert.deepEqual(sent.slice(n).map(describe), [
    'ADDED persistentvolume_json pv-1', 'MODIFIED persistentvolumeclaim_json www-web-1', 'MODIFIED persistentvolume_json pv-1',
  ]);

  // The last pod that mounts www-web-0 goes: the claim and its volume are withdrawn.
  const m = sent.length;
  emitters.get('Pod')!({ type: 'DELETED', object: pod('web-0', 'www-web-0') });
  await settle();
  assert.deepEqual(sent.slice(m).map(describe), ['DELETED pod_json web-0', 'DELETED persistentvolume_json pv-0', 'DELETED persistentvolumeclaim_json www-web-0']);
  stream.close();
});
