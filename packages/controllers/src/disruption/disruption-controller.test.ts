import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import { DisruptionController, computeBudget, type PDBStatus } from './disruption-controller';
import { testEnv, pod, rs, T0 } from '../testing/fixtures';

function pdb(name: string, spec: Record<string, unknown>, status?: Record<string, unknown>): KObject {
  return {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: 2 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  };
}

function setup() {
  const env = testEnv();
  const pdbs = env.cache();
  const pods = env.cache();
  const replicaSets = env.cache();
  const deployments = env.cache();
  const c = new DisruptionController({ pdbs, pods, replicaSets, deployments, client: env.client, log: env.log, clock: () => T0 });
  return { ...env, pdbs, pods, replicaSets, deployments, c };
}

const lastStatus = (t: ReturnType<typeof setup>) => t.client.actions.filter((a) => a.verb === 'update-status').at(-1)!.object!.status as unknown as PDBStatus;

describe('computeBudget', () => {
  test('minAvailable int and percent (rounded up), maxUnavailable int and percent', () => {
    assert.deepEqual(computeBudget({ minAvailable: 2 }, 3, 3), { desiredHealthy: 2, disruptionsAllowed: 1 });
    assert.deepEqual(computeBudget({ minAvailable: '50%' }, 3, 3), { desiredHealthy: 2, disruptionsAllowed: 1 });
    assert.deepEqual(computeBudget({ maxUnavailable: 1 }, 3, 2), { desiredHealthy: 2, disruptionsAllowed: 0 });
    assert.deepEqual(computeBudget({ maxUnavailable: '50%' }, 3, 3), { desiredHealthy: 1, disruptionsAllowed: 2 });
    assert.deepEqual(computeBudget({ minAvailable: 5 }, 3, 3), { desiredHealthy: 5, disruptionsAllowed: 0 });
    assert.deepEqual(computeBudget({ maxUnavailable: 10 }, 3, 0), { desiredHealthy: 0, disruptionsAllowed: 0 });
  });
});

describe('DisruptionController', () => {
  test('a pod the eviction API admitted counts as disrupted until its deletion is seen, for at most two minutes', async () => {
    const t = setup();
    const iso = (ms: number) => new Date(ms).toISOString();
    t.pdbs.upsert(pdb('web', { minAvailable: 1 }, { disruptedPods: { a: iso(T0 - 1000), gone: iso(T0 - 1000), old: iso(T0 - 121_000) } }));
    t.pods.upsert(pod('a'));
    t.pods.upsert(pod('b'));
    t.pods.upsert(pod('old'));
    await t.c.reconcile('default/web');
    const st = lastStatus(t);
    // a is still disrupted (not yet deleted); 'gone' no longer exists; 'old' timed out
    assert.deepEqual([st.currentHealthy, st.disruptionsAllowed], [2, 1]);
    assert.deepEqual(Object.keys(st.disruptedPods ?? {}), ['a']);
  });

  test('minAvailable with ready and not-ready uncontrolled pods: SufficientPods', async () => {
    const t = setup();
    t.pdbs.upsert(pdb('web', { minAvailable: 1 }));
    t.pods.upsert(pod('a'));
    t.pods.upsert(pod('b'));
    t.pods.upsert(pod('c', { ready: false }));
    t.pods.upsert(pod('other', { labels: { app: 'db' } }));
    await t.c.reconcile('default/web');
    const st = lastStatus(t);
    assert.deepEqual([st.currentHealthy, st.desiredHealthy, st.expectedPods, st.disruptionsAllowed, st.observedGeneration], [2, 1, 3, 1, 2]);
    assert.deepEqual(st.conditions!.map((c) => [c.type, c.status, c.reason]), [['DisruptionAllowed', 'True', 'SufficientPods']]);
  });

  test('maxUnavailable against the Deployment scale of the pods\' replica set: InsufficientPods', async () => {
    const t = setup();
    const dep: KObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'uid-dep' }, spec: { replicas: 4 } };
    t.deployments.upsert(dep);
    const r = rs('web-1', { replicas: 4, owner: dep });
    t.replicaSets.upsert(r);
    t.pdbs.upsert(pdb('web', { maxUnavailable: 1 }));
    t.pods.upsert(pod('a', { owner: r }));
    t.pods.upsert(pod('b', { owner: r }));
    t.pods.upsert(pod('c', { owner: r, deleting: true }));
    await t.c.reconcile('default/web');
    const st = lastStatus(t);
    assert.deepEqual([st.currentHealthy, st.desiredHealthy, st.expectedPods, st.disruptionsAllowed], [2, 3, 4, 0]);
    assert.deepEqual(st.conditions!.map((c) => [c.status, c.reason]), [['False', 'InsufficientPods']]);
  });

  test('percent minAvailable against a replica set without a deployment', async () => {
    const t = setup();
    const r = rs('web-1', { replicas: 4 });
    t.replicaSets.upsert(r);
    t.pdbs.upsert(pdb('web', { minAvailable: '50%' }));
    for (const n of ['a', 'b', 'c', 'd']) t.pods.upsert(pod(n, { owner: r }));
    await t.c.reconcile('default/web');
    const st = lastStatus(t);
    assert.deepEqual([st.currentHealthy, st.desiredHealthy, st.expectedPods, st.disruptionsAllowed], [4, 2, 4, 2]);
  });

  test('no write when the status is already current; no pods: zero allowed', async () => {
    const t = setup();
    t.pdbs.upsert(pdb('web', { minAvailable: 1 }));
    await t.c.reconcile('default/web');
    const st = lastStatus(t);
    assert.deepEqual([st.currentHealthy, st.expectedPods, st.disruptionsAllowed], [0, 0, 0]);
    t.pdbs.upsert(pdb('web', { minAvailable: 1 }, st as unknown as Record<string, unknown>));
    t.client.actions.length = 0;
    await t.c.reconcile('default/web');
    assert.deepEqual(t.client.actions, []);
  });

  test('pod changes enqueue the matching budgets only', () => {
    const t = setup();
    t.pdbs.upsert(pdb('web', { minAvailable: 1 }));
    t.pdbs.upsert({ ...pdb('db', { minAvailable: 1 }), spec: { selector: { matchLabels: { app: 'db' } }, minAvailable: 1 } });
    assert.deepEqual(t.c.pdbKeysFor(pod('a')), ['default/web']);
  });
});
