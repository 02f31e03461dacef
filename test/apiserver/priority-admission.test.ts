/**
 * PriorityClass (scheduling.k8s.io/v1) and pod priority admission against a real skiff-master:
 * the built-in system classes, validation, one global default, kubectl's table and
 * discovery, and `spec.priorityClassName` resolved to `spec.priority`/`spec.preemptionPolicy`
 * with Kubernetes' 403s for unknown classes and disagreeing priorities.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane } from '../lib/control-plane';

const PCS = '/apis/scheduling.k8s.io/v1/priorityclasses';
const PODS = '/api/v1/namespaces/default/pods';

const pod = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { containers: [{ name: 'c', image: 'skiff/busybox:latest', command: ['sleep', '3600'] }], ...spec },
});

describe('PriorityClass and pod priority admission', () => {
  let cp: ControlPlane;
  const post = async (path: string, body: unknown) => {
    const r = await cp.rawRequest('POST', path, { body: JSON.stringify(body) });
    return { status: r.status, body: JSON.parse(r.body) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  before(async () => { cp = await ControlPlane.start(); });
  after(async () => { await cp?.stop(); });

  it('has the two built-in classes, served in discovery and printed by kubectl get', async () => {
    const res = await cp.k(['api-resources', '--api-group', 'scheduling.k8s.io', '--no-headers']);
    assert.match(res, /^priorityclasses\s+pc\s+scheduling\.k8s\.io\/v1\s+false\s+PriorityClass\s*$/m);
    const out = await cp.k(['get', 'priorityclasses']);
    const lines = out.trim().split('\n');
    assert.deepEqual(lines[0]!.trim().split(/\s+/), ['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    assert.match(out, /^system-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority$/m);
    assert.match(out, /^system-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority$/m);
  });

  it('validates classes: user values up to 1e9, system- names reserved, one global default', async () => {
    const tooHigh = await post(PCS, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'too-high' }, value: 1_000_000_001 });
    assert.equal(tooHigh.status, 422);
    assert.deepEqual(tooHigh.body.details.causes.map((c: { field: string }) => c.field), ['value']);
    assert.match(tooHigh.body.message, /maximum allowed value of a user defined priority is 1000000000/);
    const sys = await post(PCS, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-mine' }, value: 10 });
    assert.equal(sys.status, 422);
    assert.match(sys.body.message, /metadata\.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only/);
    const policy = await post(PCS, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'bad-policy' }, value: 1, preemptionPolicy: 'Sometimes' });
    assert.equal(policy.status, 422);

    assert.equal((await post(PCS, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'base' }, value: 7, globalDefault: true })).status, 201);
    const second = await post(PCS, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'base2' }, value: 8, globalDefault: true });
    assert.equal(second.status, 403);
    assert.equal(second.body.message, 'priorityclasses.scheduling.k8s.io "base2" is forbidden: PriorityClass base is already marked as default. Only one default can exist');

    await cp.k(['apply', '-f', '-'], { input: 'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\ndescription: important\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: polite\nvalue: 500\npreemptionPolicy: Never\n' });
    const got = JSON.parse(await cp.k(['get', 'pc', 'high', '-o', 'json'])) as { value: number; preemptionPolicy: string };
    assert.equal(got.value, 1000);
    assert.equal(got.preemptionPolicy, 'PreemptLowerPriority');
  });

  it('resolves priorityClassName to priority and preemptionPolicy on pod create', async () => {
    const high = await post(PODS, pod('p-high', { priorityClassName: 'high' }));
    assert.equal(high.status, 201);
    assert.equal(high.body.spec.priority, 1000);
    assert.equal(high.body.spec.preemptionPolicy, 'PreemptLowerPriority');
    const polite = await post(PODS, pod('p-polite', { priorityClassName: 'polite' }));
    assert.equal(polite.body.spec.priority, 500);
    assert.equal(polite.body.spec.preemptionPolicy, 'Never');
    const sys = await post(PODS, pod('p-sys', { priorityClassName: 'system-cluster-critical' }));
    assert.equal(sys.body.spec.priority, 2000000000);
    const dflt = await post(PODS, pod('p-default'));
    assert.equal(dflt.body.spec.priorityClassName, 'base');
    assert.equal(dflt.body.spec.priority, 7);
    const same = await post(PODS, pod('p-same', { priorityClassName: 'high', priority: 1000 }));
    assert.equal(same.status, 201);
  });

  it('refuses unknown classes and disagreeing priorities with 403 as Kubernetes words them', async () => {
    const unknown = await post(PODS, pod('x', { priorityClassName: 'nope' }));
    assert.equal(unknown.status, 403);
    assert.equal(unknown.body.reason, 'Forbidden');
    assert.equal(unknown.body.message, 'pods "x" is forbidden: no PriorityClass with name nope was found');
    const r = await cp.kubectl(['run', 'y', '--image', 'skiff/busybox:latest', '--overrides', '{"spec":{"priorityClassName":"nope"}}']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "y" is forbidden: no PriorityClass with name nope was found/);
    const wrong = await post(PODS, pod('z', { priorityClassName: 'high', priority: 5 }));
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.message, 'pods "z" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name');
    const wrongDefault = await post(PODS, pod('w', { priority: 99 }));
    assert.equal(wrongDefault.status, 403);
  });
});
