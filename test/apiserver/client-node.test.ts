import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane, waitFor } from '../lib/control-plane';

// @kubernetes/client-node is ESM-only; keep the dynamic import from being compiled to require().
const importEsm = new Function('m', 'return import(m)') as (m: string) => Promise<any>;

describe('the official JavaScript client @kubernetes/client-node', () => {
  let cp: ControlPlane;
  let k8s: any;
  let kc: any;
  before(async () => {
    cp = await ControlPlane.start();
    k8s = await importEsm('@kubernetes/client-node');
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
  });
  after(async () => { await cp?.stop(); });

  it('creates and lists objects', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const created = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'from-client' }, data: { k: 'v' } } });
    assert.equal(created.metadata.name, 'from-client');
    assert.ok(created.metadata.uid);
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    assert.ok(list.items.some((c: any) => c.metadata.name === 'from-client' && c.data.k === 'v'));
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const dep = await apps.createNamespacedDeployment({ namespace: 'default', body: {
      metadata: { name: 'client-dep' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'c' } }, template: { metadata: { labels: { app: 'c' } }, spec: { containers: [{ name: 'c', image: 'skiff/web:1' }] } } },
    } });
    assert.equal(dep.spec.strategy.type, 'RollingUpdate', 'defaults come back to the client');
    const ns = await core.listNamespace();
    assert.ok(ns.items.map((n: any) => n.metadata.name).includes('kube-system'));
  });

  it('runs an informer that sees add, update and delete', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const path = '/api/v1/namespaces/default/configmaps';
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const seen: string[] = [];
    informer.on('add', (o: any) => seen.push(`add:${o.metadata.name}`));
    informer.on('update', (o: any) => seen.push(`update:${o.metadata.name}:${o.data?.k}`));
    informer.on('delete', (o: any) => seen.push(`delete:${o.metadata.name}`));
    informer.on('error', () => undefined);
    await informer.start();
    try {
      await waitFor('initial add', async () => seen.includes('add:from-client'));
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'inf' }, data: { k: '1' } } });
      await waitFor('add event', async () => seen.includes('add:inf'), 15_000);
      await core.replaceNamespacedConfigMap({ name: 'inf', namespace: 'default', body: { metadata: { name: 'inf' }, data: { k: '2' } } });
      await waitFor('update event', async () => seen.includes('update:inf:2'), 15_000);
      await core.deleteNamespacedConfigMap({ name: 'inf', namespace: 'default' });
      await waitFor('delete event', async () => seen.includes('delete:inf'), 15_000);
    } finally {
      await informer.stop();
    }
  });
});
