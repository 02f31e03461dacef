import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { EndpointsController, byServiceName } from './endpoints-controller';
import { testEnv, pod } from '../testing/fixtures';

function service(o: { ports?: unknown[]; selector?: Record<string, string> | null; publishNotReady?: boolean } = {}): KObject {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'uid-svc', labels: { app: 'web' } },
    spec: { selector: o.selector === null ? undefined : o.selector ?? { app: 'web' }, ports: o.ports ?? [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }], clusterIP: '10.96.0.5', publishNotReadyAddresses: o.publishNotReady },
  };
}

function setup() {
  const env = testEnv();
  const services = env.cache();
  const pods = env.cache();
  const endpoints = env.cache();
  const slices = env.cache();
  slices.addIndexer('service', byServiceName);
  const c = new EndpointsController({ services, pods, endpoints, slices, client: env.client, log: env.log });
  return { ...env, services, pods, endpoints, slices, c };
}

describe('EndpointsController', () => {
  test('ready and not-ready addresses, named target ports resolved per pod, grouped by port', async () => {
    const t = setup();
    t.services.upsert(service());
    t.pods.upsert(pod('a', { ip: '10.244.0.2', ports: [{ name: 'http', containerPort: 8080 }] }));
    t.pods.upsert(pod('b', { ip: '10.244.0.3', ready: false, ports: [{ name: 'http', containerPort: 8080 }] }));
    t.pods.upsert(pod('c', { ip: '10.244.0.4', ports: [{ name: 'http', containerPort: 9090 }] }));
    t.pods.upsert(pod('noport', { ip: '10.244.0.5', ports: [{ name: 'other', containerPort: 1 }] }));
    t.pods.upsert(pod('noip'));
    t.pods.upsert(pod('gone', { ip: '10.244.0.6', deleting: true, ports: [{ name: 'http', containerPort: 8080 }] }));
    t.pods.upsert(pod('other', { ip: '10.244.0.7', labels: { app: 'db' } }));
    await t.c.reconcile('default/web');
    const ep = t.client.actions.find((a) => a.resource === 'endpoints')!;
    assert.equal(ep.verb, 'create');
    const ref = (n: string) => ({ kind: 'Pod', namespace: 'default', name: n, uid: `uid-${n}` });
    assert.deepEqual(ep.object!.subsets, [
      { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], addresses: [{ ip: '10.244.0.2', nodeName: 'n1', targetRef: ref('a') }], notReadyAddresses: [{ ip: '10.244.0.3', nodeName: 'n1', targetRef: ref('b') }] },
      { ports: [{ name: 'http', port: 9090, protocol: 'TCP' }], addresses: [{ ip: '10.244.0.4', nodeName: 'n1', targetRef: ref('c') }] },
    ]);
    const slices = t.client.actions.filter((a) => a.resource === 'endpointslices');
    assert.equal(slices.length, 2);
    const s8080 = slices.map((s) => s.object!).find((s) => (s.ports as { port: number }[])[0]!.port === 8080)!;
    assert.equal(s8080.metadata.labels!['kubernetes.io/service-name'], 'web');
    assert.equal(s8080.metadata.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.deepEqual((s8080.endpoints as { addresses: string[]; conditions: unknown }[]).map((e) => [e.addresses[0], e.conditions]), [
      ['10.244.0.2', { ready: true, serving: true, terminating: false }],
      ['10.244.0.3', { ready: false, serving: false, terminating: false }],
      ['10.244.0.6', { ready: false, serving: true, terminating: true }],
    ]);
  });

  test('numeric targetPort, publishNotReadyAddresses, unchanged endpoints are not rewritten', async () => {
    const t = setup();
    t.services.upsert(service({ ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], publishNotReady: true }));
    t.pods.upsert(pod('b', { ip: '10.244.0.3', ready: false }));
    await t.c.reconcile('default/web');
    const ep = t.client.actions.find((a) => a.resource === 'endpoints')!.object!;
    assert.deepEqual(ep.subsets, [{ ports: [{ port: 8080, protocol: 'TCP' }], addresses: [{ ip: '10.244.0.3', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }] }]);
    t.endpoints.upsert({ ...ep, metadata: { ...ep.metadata, resourceVersion: '5' } });
    for (const s of t.client.actions.filter((a) => a.resource === 'endpointslices')) t.slices.upsert(s.object!);
    t.client.actions.length = 0;
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.actions, []);
  });

  test('services without a selector are left alone; a deleted service loses its endpoints', async () => {
    const t = setup();
    t.services.upsert(service({ selector: null }));
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.actions, []);
    const t2 = setup();
    t2.endpoints.upsert({ metadata: { name: 'web', namespace: 'default' }, subsets: [] });
    await t2.c.reconcile('default/web');
    assert.deepEqual(t2.client.summary(), ['delete endpoints default/web']);
  });
});
