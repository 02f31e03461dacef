import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { computePodActions, type PodActions, type PodActionsInput } from './compute-pod-actions';
import type { ObservedContainer, ObservedPod, ObservedSandbox } from './observed-pod';
import { backoffKey } from './compute-pod-actions';
import { containerHash } from './container-hash';
import { backoffNext, type BackoffEntry } from './backoff';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function pod(over: Partial<NonNullable<Pod['spec']>> = {}, meta: Partial<NonNullable<Pod['metadata']>> = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', ...meta },
    spec: { containers: [{ name: 'a', image: 'img' }], ...over },
  };
}

const sandbox = (over: Partial<ObservedSandbox> = {}): ObservedSandbox => ({ id: 'sb1', state: 'ready', ips: ['10.0.0.5'], createdAt: '2024-01-01T00:00:00Z', attempt: 0, ...over });

function ctr(p: Pod, name: string, over: Partial<ObservedContainer> = {}): ObservedContainer {
  const spec = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])].find((c) => c.name === name)!;
  const kind = p.spec?.initContainers?.some((c) => c.name === name) ? 'init' : 'app';
  return {
    id: `${name}-${over.restartCount ?? 0}`, name, kind, state: 'running', createdAt: '2024-01-01T00:00:01Z',
    restartCount: 0, image: spec.image ?? '', imageRef: 'docker://sha256:1', hash: containerHash(spec), ...over,
  };
}

function exited(p: Pod, name: string, exitCode: number, over: Partial<ObservedContainer> = {}): ObservedContainer {
  return ctr(p, name, { state: 'exited', exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: new Date(T0).toISOString(), ...over });
}

function plan(p: Pod, observed: ObservedPod, extra: Partial<PodActionsInput> = {}): PodActions {
  return computePodActions({ pod: p, observed, nowMs: T0 + 1000, backoff: new Map(), ...extra });
}

/** Only the interesting fields, so that each case reads as data. */
function brief(a: PodActions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (a.killPod) out.killPod = true;
  if (a.createSandbox) out.createSandbox = true;
  if (a.podDone) out.podDone = true;
  if (a.createSandbox || a.killPod) out.attempt = a.attempt;
  if (a.nextInitContainer) out.init = `${a.nextInitContainer.name}#${a.nextInitContainer.restartCount}`;
  if (a.containersToStart.length) out.start = a.containersToStart.map((c) => `${c.name}#${c.restartCount}`);
  if (a.containersToKill.length) out.kill = a.containersToKill.map((c) => `${c.name}: ${c.message}`);
  if (a.backOff.length) out.backOff = a.backOff.map((b) => b.message);
  if (a.containersToRemove.length) out.remove = a.containersToRemove;
  if (a.staleSandboxes.length) out.staleSandboxes = a.staleSandboxes;
  return out;
}

const two = pod({ containers: [{ name: 'a', image: 'img' }, { name: 'b', image: 'img' }] });
const withInit = pod({ initContainers: [{ name: 'i1', image: 'img' }, { name: 'i2', image: 'img' }] });

const cases: { name: string; pod: Pod; observed: ObservedPod; extra?: Partial<PodActionsInput>; want: Record<string, unknown> }[] = [
  { name: 'new pod: create sandbox and start all containers', pod: two, observed: { sandboxes: [], containers: [] },
    want: { killPod: true, createSandbox: true, attempt: 0, start: ['a#0', 'b#0'] } },
  { name: 'new pod with init containers: sandbox then first init', pod: withInit, observed: { sandboxes: [], containers: [] },
    want: { killPod: true, createSandbox: true, attempt: 0, init: 'i1#0' } },
  { name: 'steady state: nothing to do', pod: two, observed: { sandboxes: [sandbox()], containers: [ctr(two, 'a'), ctr(two, 'b')] },
    want: {} },
  { name: 'one container missing: start it', pod: two, observed: { sandboxes: [sandbox()], containers: [ctr(two, 'a')] },
    want: { start: ['b#0'] } },
  { name: 'sandbox died: kill and re-create with attempt+1', pod: two,
    observed: { sandboxes: [sandbox({ state: 'notready' })], containers: [ctr(two, 'a'), ctr(two, 'b')] },
    want: { killPod: true, createSandbox: true, attempt: 1, start: ['a#1', 'b#1'], staleSandboxes: ['sb1'] } },
  { name: 'sandbox without IP is re-created', pod: two,
    observed: { sandboxes: [sandbox({ ips: [] })], containers: [] },
    want: { killPod: true, createSandbox: true, attempt: 1, start: ['a#0', 'b#0'], staleSandboxes: ['sb1'] } },
  { name: 'restartPolicy Never, sandbox died after containers ran: pod done', pod: pod({ restartPolicy: 'Never' }),
    observed: { sandboxes: [sandbox({ state: 'notready' })], containers: [exited(pod(), 'a', 0)] },
    want: { killPod: true, podDone: true, attempt: 1 } },
  { name: 'init 1 running: wait', pod: withInit, observed: { sandboxes: [sandbox()], containers: [ctr(withInit, 'i1')] },
    want: {} },
  { name: 'init 1 done: start init 2', pod: withInit, observed: { sandboxes: [sandbox()], containers: [exited(withInit, 'i1', 0)] },
    want: { init: 'i2#0' } },
  { name: 'all init done: start app containers', pod: withInit,
    observed: { sandboxes: [sandbox()], containers: [exited(withInit, 'i2', 0), exited(withInit, 'i1', 0)] },
    want: { start: ['a#0'] } },
  { name: 'init failed, policy Always: restart it', pod: withInit,
    observed: { sandboxes: [sandbox()], containers: [exited(withInit, 'i1', 1)] },
    want: { init: 'i1#1' } },
  { name: 'init failed, policy Never: kill the pod', pod: { ...withInit, spec: { ...withInit.spec!, restartPolicy: 'Never' } },
    observed: { sandboxes: [sandbox()], containers: [exited(withInit, 'i1', 1)] },
    want: { killPod: true, podDone: true, attempt: 0 } },
  { name: 'init OOMKilled counts as failed even with exit 0', pod: withInit,
    observed: { sandboxes: [sandbox()], containers: [exited(withInit, 'i1', 0, { reason: 'OOMKilled' })] },
    want: { init: 'i1#1' } },
  { name: 'app running means init done even if init containers are gone', pod: withInit,
    observed: { sandboxes: [sandbox()], containers: [ctr(withInit, 'a')] },
    want: {} },
  { name: 'Always: exited 0 is restarted', pod: pod(), observed: { sandboxes: [sandbox()], containers: [exited(pod(), 'a', 0)] },
    want: { start: ['a#1'] } },
  { name: 'OnFailure: exited 0 is not restarted and the pod is done', pod: pod({ restartPolicy: 'OnFailure' }),
    observed: { sandboxes: [sandbox()], containers: [exited(pod(), 'a', 0)] },
    want: { killPod: true, podDone: true, attempt: 0 } },
  { name: 'OnFailure: exited 2 is restarted', pod: pod({ restartPolicy: 'OnFailure' }),
    observed: { sandboxes: [sandbox()], containers: [exited(pod(), 'a', 2)] },
    want: { start: ['a#1'] } },
  { name: 'Never: one exited, one running: keep', pod: { ...two, spec: { ...two.spec!, restartPolicy: 'Never' } },
    observed: { sandboxes: [sandbox()], containers: [exited(two, 'a', 1), ctr(two, 'b')] },
    want: {} },
  { name: 'Never: all exited: pod done', pod: { ...two, spec: { ...two.spec!, restartPolicy: 'Never' } },
    observed: { sandboxes: [sandbox()], containers: [exited(two, 'a', 1), exited(two, 'b', 0)] },
    want: { killPod: true, podDone: true, attempt: 0 } },
  { name: 'created but never started: start again', pod: pod(),
    observed: { sandboxes: [sandbox()], containers: [ctr(pod(), 'a', { state: 'created' })] },
    want: { start: ['a#1'] } },
  { name: 'liveness failure: kill and restart', pod: pod(),
    observed: { sandboxes: [sandbox()], containers: [ctr(pod(), 'a')] },
    extra: { probeFailures: new Map([['a-0', 'liveness' as const]]) },
    want: { start: ['a#1'], kill: ['a: Container a failed liveness probe, will be restarted'] } },
  { name: 'liveness failure with Never: kill only, pod done', pod: pod({ restartPolicy: 'Never' }),
    observed: { sandboxes: [sandbox()], containers: [ctr(pod(), 'a')] },
    extra: { probeFailures: new Map([['a-0', 'liveness' as const]]) },
    want: { killPod: true, podDone: true, attempt: 0, kill: ['a: Container a failed liveness probe'] } },
  { name: 'startup failure: kill and restart', pod: pod(),
    observed: { sandboxes: [sandbox()], containers: [ctr(pod(), 'a')] },
    extra: { probeFailures: new Map([['a-0', 'startup' as const]]) },
    want: { start: ['a#1'], kill: ['a: Container a failed startup probe, will be restarted'] } },
  { name: 'spec changed (image): restart even with Never', pod: pod({ restartPolicy: 'Never' }),
    observed: { sandboxes: [sandbox()], containers: [ctr(pod(), 'a', { hash: 'old' })] },
    want: { start: ['a#1'], kill: ['a: Container a definition changed, will be restarted'] } },
  { name: 'deleted pod: kill, nothing starts', pod: pod({}, { deletionTimestamp: '2024-01-01T00:00:00Z' }),
    observed: { sandboxes: [sandbox()], containers: [ctr(pod(), 'a')] },
    want: { killPod: true, podDone: true, attempt: 0 } },
  { name: 'old dead instances beyond the previous one are removed', pod: pod(),
    observed: { sandboxes: [sandbox()], containers: [ctr(pod(), 'a', { restartCount: 2, id: 'a-2' }), exited(pod(), 'a', 1, { restartCount: 1, id: 'a-1' }), exited(pod(), 'a', 1, { id: 'a-0' })] },
    want: { remove: ['a-0'] } },
  { name: 'two ready sandboxes: re-create', pod: pod(),
    observed: { sandboxes: [sandbox({ id: 'sb2', attempt: 1 }), sandbox()], containers: [ctr(pod(), 'a')] },
    want: { killPod: true, createSandbox: true, attempt: 2, start: ['a#1'], staleSandboxes: ['sb1', 'sb2'] } },
];

for (const c of cases) {
  test(`computePodActions: ${c.name}`, () => {
    assert.deepEqual(brief(plan(c.pod, c.observed, c.extra)), c.want);
  });
}

test('computePodActions: back-off: first restart immediate, then wait the current back-off', () => {
  const p = pod();
  const key = backoffKey(p, p.spec!.containers[0]!);
  const cfg = { initialMs: 10_000, maxMs: 300_000 };
  const state = new Map<string, BackoffEntry>();
  const obs: ObservedPod = { sandboxes: [sandbox()], containers: [exited(p, 'a', 1)] };

  const first = plan(p, obs, { backoff: state, backoffConfig: cfg });
  assert.deepEqual(brief(first), { start: ['a#1'] });
  assert.equal(first.containersToStart[0]!.backoffEventMs, T0);
  backoffNext(state, key, T0, T0 + 1000, cfg);

  // The restarted instance dies at T0+2s; 10s back-off from its finish.
  const obs2: ObservedPod = { sandboxes: [sandbox()], containers: [exited(p, 'a', 1, { id: 'a-1', restartCount: 1, finishedAt: new Date(T0 + 2000).toISOString() }), exited(p, 'a', 1)] };
  const waiting = computePodActions({ pod: p, observed: obs2, nowMs: T0 + 5000, backoff: state, backoffConfig: cfg });
  assert.deepEqual(brief(waiting), { backOff: ['back-off 10s restarting failed container=a pod=web_default(u1)'] });
  assert.equal(waiting.requeueAfterMs, 7000);

  const later = computePodActions({ pod: p, observed: obs2, nowMs: T0 + 12_001, backoff: state, backoffConfig: cfg });
  assert.deepEqual(brief(later), { start: ['a#2'] });
  backoffNext(state, key, T0 + 2000, T0 + 12_001, cfg);
  assert.equal(state.get(key)!.backoffMs, 20_000);
});

test('backoff doubles to the cap and formats like Go', async () => {
  const { formatGoDuration } = await import('./backoff');
  const cfg = { initialMs: 10_000, maxMs: 300_000 };
  const state = new Map<string, BackoffEntry>();
  const seen: string[] = [];
  for (let i = 0; i < 7; i++) seen.push(formatGoDuration(backoffNext(state, 'k', T0 + i, T0 + i, cfg).backoffMs));
  assert.deepEqual(seen, ['10s', '20s', '40s', '1m20s', '2m40s', '5m0s', '5m0s']);
  // An event long after the last update starts over.
  assert.equal(backoffNext(state, 'k', T0 + 700_000, T0 + 700_000, cfg).backoffMs, 10_000);
});
