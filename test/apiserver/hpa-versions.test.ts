import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane, waitFor } from '../lib/control-plane';

/** autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscalers: one stored object (v2), two served versions. */
type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const V2 = '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers';
const ALPHA = 'autoscaling.alpha.kubernetes.io/';

describe('autoscaling/v1 HorizontalPodAutoscaler served beside v2', () => {
  let cp: ControlPlane;
  before(async () => { cp = await ControlPlane.start(); });
  after(async () => { await cp?.stop(); });

  const getJson = async (path: string): Promise<Any> => {
    const r = await cp.rawGet(path);
    assert.equal(r.status, 200, `GET ${path}: ${r.body}`);
    return JSON.parse(r.body) as Any;
  };
  const send = async (method: string, path: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; json: Any }> => {
    const r = await cp.rawRequest(method, path, { body: JSON.stringify(body), headers: { 'Content-Type': contentType } });
    return { status: r.status, json: JSON.parse(r.body) as Any };
  };

  it('lists autoscaling v2 (preferred) and v1 in discovery', async () => {
    const versions = (await cp.k(['api-versions'])).split('\n');
    assert.ok(versions.includes('autoscaling/v1'), versions.join(' '));
    assert.ok(versions.includes('autoscaling/v2'), versions.join(' '));
    const group = await getJson('/apis/autoscaling');
    assert.equal(group.preferredVersion.groupVersion, 'autoscaling/v2');
    assert.deepEqual(group.versions.map((v: Any) => v.version), ['v2', 'v1']);
    const v1 = await getJson('/apis/autoscaling/v1');
    assert.deepEqual(v1.resources.map((r: Any) => r.name), ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']);
    const root = await getJson('/openapi/v3');
    assert.ok(root.paths['apis/autoscaling/v1'], 'OpenAPI v3 document for autoscaling/v1');
  });

  it('kubectl autoscale creates through v1; the object is stored as v2 and reads back through v1 as sent', async () => {
    await cp.k(['create', 'deployment', 'web', '--image=skiff/web:latest', '--replicas=5']);
    const out = await cp.k(['autoscale', 'deployment', 'web', '--min=1', '--max=3', '--cpu-percent=50']);
    assert.match(out, /^horizontalpodautoscaler\.autoscaling\/web autoscaled$/m);

    const stored = await getJson(`${V2}/web`);
    assert.equal(stored.apiVersion, 'autoscaling/v2');
    assert.deepEqual(stored.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
    assert.equal(stored.spec.minReplicas, 1);
    assert.equal(stored.spec.maxReplicas, 3);
    assert.deepEqual(stored.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    assert.ok(!Object.keys(stored.metadata.annotations ?? {}).some((k) => k.startsWith(ALPHA)), 'no round-trip annotations in storage');

    const v1 = await getJson(`${V1}/web`);
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.equal(v1.kind, 'HorizontalPodAutoscaler');
    assert.deepEqual(v1.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 50 });
    assert.equal(v1.metadata.uid, stored.metadata.uid);

    const list = await getJson(V1);
    assert.equal(list.kind, 'HorizontalPodAutoscalerList');
    assert.equal(list.apiVersion, 'autoscaling/v1');
    assert.deepEqual(list.items.map((i: Any) => [i.apiVersion, i.metadata.name, i.spec.targetCPUUtilizationPercentage]), [['autoscaling/v1', 'web', 50]]);
  });

  it('kubectl get hpa prints the table and -o yaml the object', async () => {
    const table = await cp.k(['get', 'hpa']);
    assert.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m);
    assert.match(table, /^web\s+Deployment\/web\s+.*\s+1\s+3\s+\d+\s+\d+s$/m);
    const yaml = await cp.k(['get', 'hpa', 'web', '-o', 'yaml']);
    assert.match(yaml, /^apiVersion: autoscaling\/v2$/m);
    assert.match(yaml, /^ {2}name: web$/m);
    const v1 = JSON.parse(await cp.k(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-o', 'json'])) as Any;
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
    const v1table = await cp.k(['get', 'horizontalpodautoscalers.v1.autoscaling']);
    assert.match(v1table, /^web\s+Deployment\/web\s+/m);
  });

  it('the HPA controller acts on the object created through v1', async () => {
    // The deployment has 5 replicas, above maxReplicas 3: the controller scales it down without metrics.
    await waitFor('deployment scaled to maxReplicas', async () => {
      const d = await getJson('/apis/apps/v1/namespaces/default/deployments/web');
      return d.spec.replicas === 3;
    }, 120_000, 1000);
    const v1 = await waitFor('v1 status', async () => {
      const o = await getJson(`${V1}/web`);
      return o.status?.currentReplicas !== undefined && o.metadata.annotations?.[`${ALPHA}conditions`] ? o : undefined;
    }, 60_000, 500);
    const conditions = JSON.parse(v1.metadata.annotations[`${ALPHA}conditions`] as string) as Any[];
    assert.ok(conditions.some((c) => c.type === 'AbleToScale'), JSON.stringify(conditions));
    const stored = await getJson(`${V2}/web`);
    assert.ok(Array.isArray(stored.status.conditions));
  });

  it('updates through v1 (strategic, merge, JSON patch and PUT) keep what was written through v2', async () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 120, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
    const cpu = (n: number): Any => ({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: n } } });
    const v2 = await send('PATCH', `${V2}/web`, { spec: { behavior, metrics: [cpu(50), memory] } }, 'application/merge-patch+json');
    assert.equal(v2.status, 200, JSON.stringify(v2.json));

    // kubectl's default patch type (strategic merge) on the v1 resource.
    const out = await cp.k(['patch', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-p', '{"spec":{"maxReplicas":5}}']);
    assert.match(out, /horizontalpodautoscaler\.autoscaling\/web patched/);
    let stored = await getJson(`${V2}/web`);
    assert.equal(stored.spec.maxReplicas, 5);
    assert.deepEqual(stored.spec.metrics, [cpu(50), memory]);
    assert.deepEqual(stored.spec.behavior.scaleDown, behavior.scaleDown);

    const merge = await send('PATCH', `${V1}/web`, { spec: { targetCPUUtilizationPercentage: 65 } }, 'application/merge-patch+json');
    assert.equal(merge.status, 200, JSON.stringify(merge.json));
    assert.equal(merge.json.apiVersion, 'autoscaling/v1');
    assert.equal(merge.json.spec.targetCPUUtilizationPercentage, 65);
    const json = await send('PATCH', `${V1}/web`, [{ op: 'replace', path: '/spec/minReplicas', value: 2 }], 'application/json-patch+json');
    assert.equal(json.status, 200, JSON.stringify(json.json));
    assert.equal(json.json.spec.minReplicas, 2);

    // Read, modify and replace through v1: the round-trip annotations carry the v2-only fields.
    // The HPA controller writes status meanwhile, so the replace is retried on conflict as clients do.
    let cur: Any = {};
    let put = { status: 0, json: {} as Any };
    for (let attempt = 0; attempt < 10 && put.status !== 200; attempt++) {
      cur = await getJson(`${V1}/web`);
      assert.ok(cur.metadata.annotations[`${ALPHA}metrics`]);
      assert.ok(cur.metadata.annotations[`${ALPHA}behavior`]);
      cur.spec.maxReplicas = 6;
      put = await send('PUT', `${V1}/web`, cur);
      if (put.status !== 409) assert.equal(put.status, 200, JSON.stringify(put.json));
    }
    assert.equal(put.status, 200, JSON.stringify(put.json));
    assert.equal(put.json.apiVersion, 'autoscaling/v1');

    stored = await getJson(`${V2}/web`);
    assert.equal(stored.spec.maxReplicas, 6);
    assert.equal(stored.spec.minReplicas, 2);
    assert.deepEqual(stored.spec.metrics, [cpu(65), memory]);
    assert.deepEqual(stored.spec.behavior.scaleDown, behavior.scaleDown);
    assert.ok(!Object.keys(stored.metadata.annotations ?? {}).some((k) => k.startsWith(ALPHA)), 'no round-trip annotations in storage');

    // A stale resourceVersion through v1 is a conflict, as for any PUT.
    const stale = await send('PUT', `${V1}/web`, cur);
    assert.equal(stale.status, 409);
  });

  it('a watch on v1 receives v1 objects', async () => {
    const list = await getJson(V1);
    const watch = cp.rawGet(`${V1}?watch=true&resourceVersion=${list.metadata.resourceVersion as string}&timeoutSeconds=5`);
    watch.catch(() => undefined); // awaited below; keeps an early assertion failure from leaving a stray rejection
    const patched = await send('PATCH', `${V2}/web`, { spec: { maxReplicas: 7 } }, 'application/merge-patch+json');
    assert.equal(patched.status, 200);
    const w = await watch;
    assert.equal(w.status, 200);
    const events = w.body.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Any);
    assert.ok(events.length > 0, 'events');
    for (const e of events) assert.equal(e.object.apiVersion, 'autoscaling/v1', JSON.stringify(e));
    const mod = events.find((e) => e.type === 'MODIFIED' && e.object.spec.maxReplicas === 7);
    assert.ok(mod, JSON.stringify(events));
    assert.equal(mod.object.spec.targetCPUUtilizationPercentage, 65);
    assert.equal(mod.object.spec.metrics, undefined);
  });

  it('answers bad input through v1 with a Status naming the field', async () => {
    const bad = await send('POST', V1, {
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 0 },
    });
    assert.equal(bad.status, 422, JSON.stringify(bad.json));
    assert.ok(bad.json.details.causes.some((c: Any) => c.field === 'spec.maxReplicas'), JSON.stringify(bad.json));

    const broken = await send('POST', V1, {
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'broken', annotations: { [`${ALPHA}metrics`]: '{nope' } },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 2 },
    });
    assert.equal(broken.status, 400, JSON.stringify(broken.json));
    assert.equal(broken.json.details.causes[0].field, `metadata.annotations[${ALPHA}metrics]`);

    const apply = await cp.rawRequest('PATCH', `${V1}/web?fieldManager=test`, {
      body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web' }, spec: { maxReplicas: 4 } }),
      headers: { 'Content-Type': 'application/apply-patch+yaml' },
    });
    assert.equal(apply.status, 415, apply.body);
    assert.match((JSON.parse(apply.body) as Any).message, /server-side apply is not supported .* autoscaling\/v1/);
  });

  it('kubectl apply (client-side) of an autoscaling/v1 manifest creates, then patches through v1', async () => {
    const manifest = (max: number): string => JSON.stringify({
      apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'applied' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: max, targetCPUUtilizationPercentage: 75 },
    });
    assert.match(await cp.k(['apply', '-f', '-'], { input: manifest(4) }), /horizontalpodautoscaler\.autoscaling\/applied created/);
    assert.match(await cp.k(['apply', '-f', '-'], { input: manifest(8) }), /horizontalpodautoscaler\.autoscaling\/applied configured/);
    const stored = await getJson(`${V2}/applied`);
    assert.equal(stored.spec.maxReplicas, 8);
    assert.deepEqual(stored.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } } }]);
    const last = JSON.parse(stored.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] as string) as Any;
    assert.equal(last.apiVersion, 'autoscaling/v1');
    const ssa = await cp.kubectl(['apply', '--server-side', '-f', '-'], { input: manifest(9) });
    assert.notEqual(ssa.code, 0);
    assert.match(ssa.stderr, /server-side apply is not supported/);
    await cp.k(['delete', 'hpa', 'applied']);
  });

  it('deletes through v1', async () => {
    const out = await cp.k(['delete', 'horizontalpodautoscalers.v1.autoscaling', 'web']);
    assert.match(out, /horizontalpodautoscaler\.autoscaling "web" deleted/);
    assert.equal((await cp.rawGet(`${V2}/web`)).status, 404);
    assert.equal((await cp.rawGet(`${V1}/web`)).status, 404);
  });
});
