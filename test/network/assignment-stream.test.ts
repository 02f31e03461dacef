/**
 * The gateway's assignment stream carries every Service, Endpoints and
 * EndpointSlice (for the node's proxy and DNS) in the full state before SYNC,
 * then their changes. A fake registry stands in for etcd.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceInfo } from '@skiff/api';
import type { Registry, WatchEvent } from '@skiff/apiserver';
import { nullLogger } from '@skiff/logging';
import type { Assignment } from '@skiff/rpc';
import { AssignmentStream } from '@skiff/master';

function obj(kind: string, name: string): KObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace: 'default' } } as KObject;
}

test('services, endpoints and endpoint slices go out before SYNC, then their changes', async () => {
  const emitters = new Map<string, (e: WatchEvent) => void>();
  const initial: Record<string, KObject[]> = {
    Service: [obj('Service', 'kubernetes'), obj('Service', 'web')],
    Endpoints: [obj('Endpoints', 'web')],
    EndpointSlice: [obj('EndpointSlice', 'web-abc')],
    Pod: [],
  };
  const registry = {
    storage: { currentRevision: async () => 7 },
    tryGet: async () => undefined,
    watch: async (info: ResourceInfo, _ns: string | undefined, opts: { resourceVersion?: string }, onEvent: (e: WatchEvent) => void) => {
      emitters.set(info.kind, onEvent);
      if (!opts.resourceVersion) for (const o of initial[info.kind] ?? []) onEvent({ type: 'ADDED', object: o });
      return { close: () => undefined, startRevision: 7 };
    },
  } as unknown as Registry;
  const sent: Assignment[] = [];
  const stream = new AssignmentStream(registry, 'node-1', (a) => sent.push(a), (e) => { throw e; }, nullLogger());
  await stream.start();
  await new Promise((r) => setTimeout(r, 20));
  const describe = (a: Assignment): string => {
    const [field, buf] = Object.entries(a).find(([k]) => k.endsWith('_json')) ?? ['', undefined];
    return buf ? `${a.type} ${field} ${(JSON.parse((buf as Buffer).toString()) as KObject).metadata.name}` : a.type;
  };
  assert.deepEqual(sent.map(describe), [
    'ADDED service_json kubernetes', 'ADDED service_json web', 'ADDED endpoints_json web', 'ADDED endpointslice_json web-abc', 'SYNC',
  ]);
  emitters.get('EndpointSlice')!({ type: 'MODIFIED', object: obj('EndpointSlice', 'web-abc') });
  emitters.get('Service')!({ type: 'DELETED', object: obj('Service', 'web') });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent.slice(5).map(describe), ['MODIFIED endpointslice_json web-abc', 'DELETED service_json web']);
  stream.close();
});
