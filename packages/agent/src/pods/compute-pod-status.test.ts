import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import { computePodStatus } from './compute-pod-status';
import type { ObservedContainer, ObservedPod } from './observed-pod';
import { computeQOSClass } from '../resources/qos';
import type { ProbeResult, ProbeType } from '../probes/probe-types';

const NOW = new Date('2024-01-01T00:01:00.500Z');
const T = (s: number) => new Date(Date.parse('2024-01-01T00:00:00Z') + s * 1000).toISOString();

function pod(over: Partial<NonNullable<Pod['spec']>> = {}, status?: PodStatus): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { containers: [{ name: 'a', image: 'img:1' }], ...over },
    ...(status ? { status } : {}),
  };
}

const running: ObservedPod['sandboxes'][number] = { id: 'sb', state: 'ready', ips: ['10.244.0.5'], createdAt: T(0), attempt: 0 };

function ctr(name: string, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return { id: `${name}${over.restartCount ?? 0}`, name, kind: 'app', state: 'running', createdAt: T(1), startedAt: T(2), restartCount: 0, image: 'img:1', imageRef: 'docker://sha256:abc', ...over };
}

const cond = (type: string, status: string, extra: Record<string, string> = {}) => ({ type, status, ...extra, lastTransitionTime: '2024-01-01T00:01:00Z' });

test('computePodStatus: new pod without a sandbox is Pending, ContainerCreating', () => {
  const s = computePodStatus({ pod: pod(), observed: { sandboxes: [], containers: [] }, now: NOW, hostIPs: ['192.168.1.10'] });
  assert.deepEqual(s, {
    phase: 'Pending',
    conditions: [
      cond('PodReadyToStartContainers', 'False'),
      cond('Initialized', 'True'),
      cond('Ready', 'False', { reason: 'ContainersNotReady', message: 'containers with unready status: [a]' }),
      cond('ContainersReady', 'False', { reason: 'ContainersNotReady', message: 'containers with unready status: [a]' }),
      cond('PodScheduled', 'True'),
    ],
    hostIP: '192.168.1.10',
    hostIPs: [{ ip: '192.168.1.10' }],
    startTime: '2024-01-01T00:01:00Z',
    containerStatuses: [{ image: 'img:1', imageID: '', lastState: {}, name: 'a', ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ContainerCreating' } } }],
    qosClass: 'BestEffort',
  });
});

test('computePodStatus: running container without probes is ready', () => {
  const s = computePodStatus({ pod: pod(), observed: { sandboxes: [running], containers: [ctr('a')] }, now: NOW, hostIPs: ['192.168.1.10'] });
  assert.equal(s.phase, 'Running');
  assert.equal(s.podIP, '10.244.0.5');
  assert.deepEqual(s.podIPs, [{ ip: '10.244.0.5' }]);
  assert.deepEqual(s.conditions?.map((c) => [c.type, c.status]), [
    ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
  ]);
  assert.deepEqual(s.containerStatuses, [{
    containerID: 'docker://a0', image: 'img:1', imageID: 'docker://sha256:abc', lastState: {}, name: 'a', ready: true, restartCount: 0,
    started: true, state: { running: { startedAt: '2024-01-01T00:00:02Z' } },
  }]);
});

test('computePodStatus: lastTransitionTime and startTime are kept when unchanged', () => {
  const first = computePodStatus({ pod: pod(), observed: { sandboxes: [running], containers: [ctr('a')] }, now: NOW });
  const later = new Date(NOW.getTime() + 60_000);
  const second = computePodStatus({ pod: pod(), observed: { sandboxes: [running], containers: [ctr('a')] }, now: later, previous: first });
  assert.deepEqual(second.conditions, first.conditions);
  assert.equal(second.startTime, first.startTime);
  // Readiness flips: only Ready and ContainersReady move.
  const probes = { get: (_id: string, t: ProbeType): ProbeResult | undefined => (t === 'readiness' ? 'Failure' : undefined) };
  const p = pod({ containers: [{ name: 'a', image: 'img:1', readinessProbe: { exec: { command: ['true'] } } }] });
  const third = computePodStatus({ pod: p, observed: { sandboxes: [running], containers: [ctr('a')] }, now: later, previous: first, probes });
  assert.deepEqual(third.conditions?.map((c) => [c.type, c.status, c.lastTransitionTime]), [
    ['PodReadyToStartContainers', 'True', '2024-01-01T00:01:00Z'],
    ['Initialized', 'True', '2024-01-01T00:01:00Z'],
    ['Ready', 'False', '2024-01-01T00:02:00Z'],
    ['ContainersReady', 'False', '2024-01-01T00:02:00Z'],
    ['PodScheduled', 'True', '2024-01-01T00:01:00Z'],
  ]);
  assert.equal(third.containerStatuses?.[0]?.ready, false);
  assert.equal(third.containerStatuses?.[0]?.started, true);
});

test('computePodStatus: startup probe not yet succeeded: started false, not ready', () => {
  const p = pod({ containers: [{ name: 'a', image: 'img:1', startupProbe: { exec: { command: ['true'] } } }] });
  const s = computePodStatus({ pod: p, observed: { sandboxes: [running], containers: [ctr('a')] }, now: NOW });
  assert.equal(s.containerStatuses?.[0]?.started, false);
  assert.equal(s.containerStatuses?.[0]?.ready, false);
  assert.equal(s.phase, 'Running');
});

test('computePodStatus: CrashLoopBackOff shows the back-off as waiting with the last termination', () => {
  const dead = ctr('a', { id: 'a1', restartCount: 1, state: 'exited', exitCode: 1, reason: 'Error', finishedAt: T(30), startedAt: T(20) });
  const older = ctr('a', { id: 'a0', restartCount: 0, state: 'exited', exitCode: 1, reason: 'Error', finishedAt: T(10), startedAt: T(5) });
  const s = computePodStatus({
    pod: pod(), observed: { sandboxes: [running], containers: [dead, older] }, now: NOW,
    startFailures: new Map([['a', { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=a pod=web_default(u1)' }]]),
  });
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.containerStatuses, [{
    containerID: 'docker://a1', image: 'img:1', imageID: 'docker://sha256:abc',
    lastState: { terminated: { containerID: 'docker://a1', exitCode: 1, finishedAt: '2024-01-01T00:00:30Z', reason: 'Error', startedAt: '2024-01-01T00:00:20Z' } },
    name: 'a', ready: false, restartCount: 1, started: false,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=a pod=web_default(u1)' } },
  }]);
});

test('computePodStatus: OOMKilled with restartPolicy Never fails the pod', () => {
  const p = pod({ restartPolicy: 'Never', containers: [{ name: 'a', image: 'img:1', resources: { limits: { memory: '32Mi' } } }] });
  const s = computePodStatus({ pod: p, observed: { sandboxes: [running], containers: [ctr('a', { state: 'exited', exitCode: 137, reason: 'OOMKilled', finishedAt: T(9) })] }, now: NOW });
  assert.equal(s.phase, 'Failed');
  assert.deepEqual(s.containerStatuses?.[0]?.state, { terminated: { containerID: 'docker://a0', exitCode: 137, finishedAt: '2024-01-01T00:00:09Z', reason: 'OOMKilled', startedAt: '2024-01-01T00:00:02Z' } });
  assert.deepEqual(s.conditions?.find((c) => c.type === 'Ready'), cond('Ready', 'False', { reason: 'PodFailed' }));
  assert.equal(s.qosClass, 'Burstable');
});

test('computePodStatus: OnFailure, exited 0: Succeeded with PodCompleted', () => {
  const p = pod({ restartPolicy: 'OnFailure' });
  const s = computePodStatus({ pod: p, observed: { sandboxes: [running], containers: [ctr('a', { state: 'exited', exitCode: 0, reason: 'Completed', finishedAt: T(9) })] }, now: NOW });
  assert.equal(s.phase, 'Succeeded');
  assert.deepEqual(s.conditions?.filter((c) => c.reason).map((c) => [c.type, c.status, c.reason]), [
    ['Ready', 'False', 'PodCompleted'], ['ContainersReady', 'False', 'PodCompleted'],
  ]);
});

test('computePodStatus: Always, all exited: Running until the pod is terminal', () => {
  const obs = { sandboxes: [running], containers: [ctr('a', { state: 'exited' as const, exitCode: 0, reason: 'Completed', finishedAt: T(9) })] };
  assert.equal(computePodStatus({ pod: pod(), observed: obs, now: NOW }).phase, 'Running');
  assert.equal(computePodStatus({ pod: pod(), observed: obs, now: NOW, podIsTerminal: true }).phase, 'Succeeded');
});

test('computePodStatus: init container running: PodInitializing and Initialized False', () => {
  const p = pod({ initContainers: [{ name: 'i1', image: 'img:1' }, { name: 'i2', image: 'img:1' }] });
  const i1 = ctr('i1', { kind: 'init' });
  const s = computePodStatus({ pod: p, observed: { sandboxes: [running], containers: [i1] }, now: NOW });
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.conditions?.find((c) => c.type === 'Initialized'), cond('Initialized', 'False', { reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [i1 i2]' }));
  assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'PodInitializing' } });
  assert.deepEqual(s.initContainerStatuses?.map((x) => [x.name, x.ready, x.started, Object.keys(x.state ?? {})[0], x.state?.waiting?.reason]), [
    ['i1', false, true, 'running', undefined], ['i2', false, false, 'waiting', 'PodInitializing'],
  ]);
});

test('computePodStatus: init done, app running', () => {
  const p = pod({ initContainers: [{ name: 'i1', image: 'img:1' }] });
  const i1 = ctr('i1', { kind: 'init', state: 'exited', exitCode: 0, reason: 'Completed', finishedAt: T(3) });
  const s = computePodStatus({ pod: p, observed: { sandboxes: [running], containers: [ctr('a'), i1] }, now: NOW });
  assert.equal(s.phase, 'Running');
  assert.deepEqual(s.conditions?.find((c) => c.type === 'Initialized'), cond('Initialized', 'True'));
  assert.equal(s.initContainerStatuses?.[0]?.ready, true);
  assert.equal(s.initContainerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
});

test('computePodStatus: image pull failure shows ErrImagePull waiting; pod stays Pending', () => {
  const s = computePodStatus({
    pod: pod(), observed: { sandboxes: [running], containers: [] }, now: NOW,
    startFailures: new Map([['a', { reason: 'ErrImagePull', message: 'pull access denied for img' }]]),
  });
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.containerStatuses?.[0]?.state, { waiting: { reason: 'ErrImagePull', message: 'pull access denied for img' } });
});

test('computePodStatus: a terminal phase never goes back; pod IP survives the sandbox', () => {
  const prev: PodStatus = { phase: 'Succeeded', podIP: '10.244.0.9', podIPs: [{ ip: '10.244.0.9' }] };
  const s = computePodStatus({ pod: pod({}, prev), observed: { sandboxes: [], containers: [] }, now: NOW });
  assert.equal(s.phase, 'Succeeded');
  assert.equal(s.podIP, '10.244.0.9');
});

test('computePodStatus: readiness gates', () => {
  const p = pod({ readinessGates: [{ conditionType: 'example.com/lb' }] });
  const s = computePodStatus({ pod: p, observed: { sandboxes: [running], containers: [ctr('a')] }, now: NOW });
  assert.deepEqual(s.conditions?.find((c) => c.type === 'Ready'), cond('Ready', 'False', { reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.' }));
  const withGate = pod({ readinessGates: [{ conditionType: 'example.com/lb' }] }, { conditions: [{ type: 'example.com/lb', status: 'True' }] });
  const s2 = computePodStatus({ pod: withGate, observed: { sandboxes: [running], containers: [ctr('a')] }, now: NOW });
  assert.equal(s2.conditions?.[0]?.type, 'example.com/lb');
  assert.equal(s2.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
});

test('computeQOSClass as Kubernetes does', () => {
  const mk = (containers: NonNullable<Pod['spec']>['containers'], initContainers?: NonNullable<Pod['spec']>['initContainers']): Pod =>
    ({ metadata: {}, spec: { containers, ...(initContainers ? { initContainers } : {}) } });
  assert.equal(computeQOSClass(mk([{ name: 'a' }])), 'BestEffort');
  assert.equal(computeQOSClass(mk([{ name: 'a', resources: { limits: { cpu: '500m', memory: '64Mi' } } }])), 'Guaranteed');
  assert.equal(computeQOSClass(mk([{ name: 'a', resources: { requests: { cpu: '0.5', memory: '64Mi' }, limits: { cpu: '500m', memory: '67108864' } } }])), 'Guaranteed');
  assert.equal(computeQOSClass(mk([{ name: 'a', resources: { requests: { cpu: '100m' }, limits: { cpu: '500m', memory: '64Mi' } } }])), 'Burstable');
  assert.equal(computeQOSClass(mk([{ name: 'a', resources: { limits: { cpu: '1' } } }])), 'Burstable');
  assert.equal(computeQOSClass(mk([{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }, { name: 'b' }])), 'Burstable');
  assert.equal(computeQOSClass(mk([{ name: 'a', resources: { requests: { 'ephemeral-storage': '1Gi' } } }])), 'BestEffort');
  assert.equal(computeQOSClass(mk([{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' } } }], [{ name: 'i', resources: { requests: { cpu: '1' } } }])), 'Burstable');
});
