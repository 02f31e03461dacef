import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import { FakeRuntime } from '../runtime/fake-runtime';
import { MemoryEventRecorder } from '../events';
import { StaticObjectResolver } from '../volumes/object-resolver';
import { PodWorkers } from './pod-worker';
import type { ProbeRunner } from '../probes/probe-runner';

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Harness {
  rt: FakeRuntime;
  rec: MemoryEventRecorder;
  workers: PodWorkers;
  statuses: PodStatus[];
  root: string;
  done: () => Promise<void>;
}

async function harness(opts: { probeRunner?: ProbeRunner; resyncIntervalMs?: number } = {}): Promise<Harness> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-pw-'));
  const rt = new FakeRuntime();
  rt.addImage('img:1');
  const rec = new MemoryEventRecorder();
  const statuses: PodStatus[] = [];
  const workers = new PodWorkers({
    runtime: rt, resolver: new StaticObjectResolver(), recorder: rec, onStatus: (_p, s) => statuses.push(s),
    rootDir: root, network: 'bridge', node: { name: 'node-1', hostIPs: ['192.168.1.10'] },
    dns: { hostResolvConf: 'nameserver 1.1.1.1\n' }, backoff: { initialMs: 200, maxMs: 1000 }, resyncIntervalMs: opts.resyncIntervalMs ?? 50,
    ...(opts.probeRunner ? { probeRunner: opts.probeRunner } : {}),
  });
  return { rt, rec, workers, statuses, root, done: async () => { workers.shutdown(); await fs.rm(root, { recursive: true, force: true }); } };
}

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: { containers: [{ name: 'app', image: 'img:1' }], terminationGracePeriodSeconds: 5, ...spec },
  };
}

const last = (h: Harness) => h.statuses[h.statuses.length - 1];

test('PodWorkers: a new pod gets a sandbox, its containers, events and a Running status', async () => {
  const h = await harness();
  try {
    h.workers.updatePod(pod());
    await waitFor('Running', () => last(h)?.phase === 'Running' && last(h)?.containerStatuses?.[0]?.ready);
    assert.deepEqual(h.rec.events.map((e) => `${e.reason}: ${e.message}`), [
      // No cluster DNS configured here: ClusterFirst falls back to Default, as the kubelet warns.
      'MissingClusterDNS: pod: "web_default(uid-1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
      'Pulled: Container image "img:1" already present on machine',
      'Created: Created container app',
      'Started: Started container app',
    ]);
    assert.equal(h.rec.events[1]!.fieldPath, 'spec.containers{app}');
    const sb = [...h.rt.objects.values()].find((o) => o.type === 'sandbox')!;
    assert.equal(sb.sandboxConfig?.hostname, 'web');
    assert.equal(sb.sandboxConfig?.resolvConf, 'nameserver 1.1.1.1\n');
    assert.deepEqual(sb.hosts, { podIPs: ['10.244.0.10'], hostname: 'web', hostAliases: [] });
    const s = last(h)!;
    assert.equal(s.podIP, '10.244.0.10');
    assert.equal(s.hostIP, '192.168.1.10');
    const c = h.rt.latest('uid-1', 'app')!;
    assert.equal(c.containerConfig?.mounts.at(-1)?.containerPath, '/dev/termination-log');
  } finally {
    await h.done();
  }
});

test('PodWorkers: restarts with back-off and CrashLoopBackOff; keeps the previous instance', async () => {
  const h = await harness();
  try {
    h.workers.updatePod(pod());
    await waitFor('started', () => h.rt.latest('uid-1', 'app')?.state === 'running');
    h.rt.exit(h.rt.latest('uid-1', 'app')!.id, 1);
    await waitFor('restart 1', () => h.rt.latest('uid-1', 'app')?.restartCount === 1 && h.rt.latest('uid-1', 'app')?.state === 'running');
    h.rt.exit(h.rt.latest('uid-1', 'app')!.id, 2);
    const crash = await waitFor('CrashLoopBackOff', () => h.statuses.find((s) => s.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff'));
    assert.match(crash.containerStatuses![0]!.state!.waiting!.message!, /^back-off 200ms restarting failed container=app pod=web_default\(uid-1\)$/);
    assert.equal(crash.containerStatuses![0]!.lastState?.terminated?.exitCode, 2);
    assert.ok(h.rec.events.some((e) => e.reason === 'BackOff' && e.message === 'Back-off restarting failed container app in pod web_default(uid-1)'));
    await waitFor('restart 2 after back-off', () => h.rt.latest('uid-1', 'app')?.restartCount === 2);
    await waitFor('running again', () => last(h)?.containerStatuses?.[0]?.state?.running && last(h)?.containerStatuses?.[0]?.restartCount === 2);
    // Instance 0 is garbage once 1 is the previous one.
    await waitFor('gc', () => [...h.rt.objects.values()].filter((o) => o.name === 'app').length === 2);
    const prev = await h.workers.logs('uid-1', 'app', { previous: true });
    assert.ok(prev);
  } finally {
    await h.done();
  }
});

test('PodWorkers: a kill is never dropped by a later update; the pod ends terminal', async () => {
  const h = await harness();
  try {
    const p = pod();
    h.workers.updatePod(p);
    h.workers.killPod(p, 0);
    h.workers.updatePod(p);
    await h.workers.idle('uid-1');
    await waitFor('terminal', () => last(h)?.phase === 'Failed' || last(h)?.phase === 'Succeeded' || last(h)?.phase === 'Pending');
    assert.equal([...h.rt.objects.values()].filter((o) => o.state === 'running').length, 0);
    h.workers.updatePod(p);
    await h.workers.idle('uid-1');
    assert.equal([...h.rt.objects.values()].filter((o) => o.state === 'running').length, 0, 'nothing restarts after a kill');
    await h.workers.removePod('uid-1');
    assert.equal(h.rt.objects.size, 0);
  } finally {
    await h.done();
  }
});

test('PodWorkers: deleting a running pod: Killing events, SIGTERM with the grace period, terminal phase', async () => {
  const h = await harness();
  try {
    h.workers.updatePod(pod());
    await waitFor('Running', () => last(h)?.phase === 'Running');
    h.workers.updatePod({ ...pod(), metadata: { ...pod().metadata, deletionTimestamp: '2024-01-01T00:00:00Z', deletionGracePeriodSeconds: 7 } });
    await waitFor('terminal', () => last(h)?.phase === 'Failed');
    assert.ok(h.rt.calls.includes('stopContainer app 7'), h.rt.calls.join(','));
    assert.ok(h.rec.events.some((e) => e.reason === 'Killing' && e.message === 'Stopping container app'));
  } finally {
    await h.done();
  }
});

test('PodWorkers: init containers run in order, then the app container', async () => {
  const h = await harness();
  try {
    h.workers.updatePod(pod({ initContainers: [{ name: 'i1', image: 'img:1' }, { name: 'i2', image: 'img:1' }] }));
    await waitFor('i1', () => h.rt.latest('uid-1', 'i1')?.state === 'running');
    assert.equal(last(h)?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
    assert.equal(h.rt.latest('uid-1', 'i2'), undefined);
    h.rt.exit(h.rt.latest('uid-1', 'i1')!.id, 0);
    await waitFor('i2', () => h.rt.latest('uid-1', 'i2')?.state === 'running');
    assert.equal(h.rt.latest('uid-1', 'app'), undefined);
    h.rt.exit(h.rt.latest('uid-1', 'i2')!.id, 0);
    await waitFor('app', () => last(h)?.phase === 'Running' && last(h)?.conditions?.find((c) => c.type === 'Initialized')?.status === 'True');
  } finally {
    await h.done();
  }
});

test('PodWorkers: FallbackToLogsOnError puts the log tail in terminated.message; Never makes the pod Failed', async () => {
  const h = await harness();
  try {
    h.workers.updatePod(pod({ restartPolicy: 'Never', containers: [{ name: 'app', image: 'img:1', terminationMessagePolicy: 'FallbackToLogsOnError' }] }));
    await waitFor('started', () => h.rt.latest('uid-1', 'app')?.state === 'running');
    h.rt.exit(h.rt.latest('uid-1', 'app')!.id, 3, { logs: 'line 1\nboom: it broke\n' });
    const s = await waitFor('Failed', () => (last(h)?.phase === 'Failed' ? last(h) : undefined));
    assert.equal(s.containerStatuses?.[0]?.state?.terminated?.message, 'line 1\nboom: it broke\n');
    assert.equal(s.containerStatuses?.[0]?.state?.terminated?.reason, 'Error');
  } finally {
    await h.done();
  }
});

test('PodWorkers: image pull failure gives ErrImagePull then ImagePullBackOff', async () => {
  const h = await harness();
  try {
    h.rt.pullErrors.set('missing:1', 'pull access denied for missing, repository does not exist');
    h.workers.updatePod(pod({ containers: [{ name: 'app', image: 'missing:1' }] }));
    await waitFor('ErrImagePull', () => last(h)?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImagePull');
    assert.ok(h.rec.events.some((e) => e.reason === 'Failed' && e.message === 'Failed to pull image "missing:1": pull access denied for missing, repository does not exist'));
    await waitFor('ImagePullBackOff', () => last(h)?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
    assert.ok(h.rec.events.some((e) => e.reason === 'BackOff' && e.message === 'Back-off pulling image "missing:1"'));
    h.rt.pullErrors.clear();
    await waitFor('Running', () => last(h)?.phase === 'Running', 5000);
    assert.ok(h.rec.events.some((e) => e.reason === 'Pulled' && /^Successfully pulled image "missing:1" in .* Image size: 1000 bytes\.$/.test(e.message)));
  } finally {
    await h.done();
  }
});

test('PodWorkers: liveness failure restarts the container with the kubelet message and a startupProbe hint', async () => {
  let healthy = false;
  const runner: ProbeRunner = async () => (healthy ? { result: 'Success', output: '' } : { result: 'Failure', output: 'HTTP probe failed with statuscode: 500' });
  const h = await harness({ probeRunner: runner });
  try {
    h.workers.updatePod(pod({ containers: [{ name: 'app', image: 'img:1', livenessProbe: { httpGet: { port: 80 }, periodSeconds: 1, failureThreshold: 1 } }] }));
    await waitFor('restarted', () => h.rt.latest('uid-1', 'app')?.restartCount === 1, 5000);
    const msgs = h.rec.events.map((e) => `${e.reason}: ${e.message}`);
    assert.ok(msgs.includes('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500'), msgs.join('\n'));
    assert.ok(msgs.includes('Killing: Container app failed liveness probe, will be restarted'), msgs.join('\n'));
    assert.ok(msgs.some((m) => m.startsWith('ProbeWarning: Container app failed its liveness probe before it ever became ready; if it needs time to start, add a startupProbe')));
    healthy = true;
  } finally {
    await h.done();
  }
});

test('PodWorkers: our own status coming back as a pod update, and our own starts, cause no further sync', async () => {
  const h = await harness({ resyncIntervalMs: 60_000 });
  try {
    let lists = 0;
    const list = h.rt.list.bind(h.rt);
    h.rt.list = async (...a: Parameters<FakeRuntime['list']>) => { lists++; return list(...a); };
    const p = pod();
    h.workers.updatePod(p);
    await waitFor('Running', () => last(h)?.phase === 'Running');
    await h.workers.idle('uid-1');
    await new Promise((r) => setTimeout(r, 50));
    await h.workers.idle('uid-1');
    assert.equal(lists, 2, 'one sync (observe before and after), not one more for the start events');
    h.workers.updatePod({ ...p, metadata: { ...p.metadata, resourceVersion: '7' }, status: last(h)! });
    await h.workers.idle('uid-1');
    assert.equal(lists, 2, 'a status-only update is not synced');
    h.workers.updatePod({ ...p, metadata: { ...p.metadata, labels: { tier: 'web' } } });
    await h.workers.idle('uid-1');
    assert.equal(lists, 4, 'a label change is');
  } finally {
    await h.done();
  }
});
