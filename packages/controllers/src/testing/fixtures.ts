import type { KObject } from '@skiff/api';
import { nullLogger } from '@skiff/logging';
import { FakeClient } from '../informer/api-client';
import { FakeRecorder } from '../informer/event-recorder';
import { ObjectCache, byOwnerUid } from '../informer/object-cache';

/** What a controller unit test needs: caches to seed, a recording client and recorder. */
export function testEnv() {
  return {
    client: new FakeClient(),
    recorder: new FakeRecorder(),
    log: nullLogger(),
    cache: () => new ObjectCache({ owner: byOwnerUid }),
  };
}

export const T0 = Date.parse('2024-01-01T00:00:00Z');

export function rs(name: string, o: { replicas?: number; labels?: Record<string, string>; uid?: string; generation?: number; minReadySeconds?: number; status?: Record<string, unknown>; owner?: KObject; annotations?: Record<string, string>; image?: string; created?: string; hash?: string } = {}): KObject {
  const labels = o.labels ?? { app: 'web', ...(o.hash ? { 'pod-template-hash': o.hash } : {}) };
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: {
      name, namespace: 'default', uid: o.uid ?? `uid-${name}`, generation: o.generation ?? 1, labels, annotations: o.annotations,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: 'Deployment', name: o.owner.metadata.name!, uid: o.owner.metadata.uid!, controller: true, blockOwnerDeletion: true }] : undefined,
    },
    spec: {
      replicas: o.replicas ?? 3, minReadySeconds: o.minReadySeconds ?? 0, selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: o.image ?? 'nginx:1.7.9' }] } },
    },
    status: o.status ?? { replicas: 0 },
  };
}

export function pod(name: string, o: { labels?: Record<string, string>; owner?: KObject; ownerKind?: string; ready?: boolean; readySince?: string; phase?: string; nodeName?: string; deleting?: boolean; ip?: string; created?: string; ports?: { name?: string; containerPort: number; protocol?: string }[] } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'default', uid: `uid-${name}`, labels: o.labels ?? { app: 'web' }, creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:01:00Z' } : {}),
      ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: o.ownerKind ?? 'ReplicaSet', name: o.owner.metadata.name!, uid: o.owner.metadata.uid!, controller: true }] : undefined,
    },
    spec: { nodeName: o.nodeName ?? 'n1', containers: [{ name: 'web', image: 'nginx:1.7.9', ports: o.ports }] },
    status: {
      phase: o.phase ?? 'Running', podIP: o.ip,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2024-01-01T00:00:00Z' }],
    },
  };
}
