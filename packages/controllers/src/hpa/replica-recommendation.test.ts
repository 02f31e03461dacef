import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeDesiredReplicas, recordScaleEvent, resourceReplicas, scaleDownLimit, scaleUpLimit, withDefaults, type History, type PodSample,
} from './replica-recommendation';

const NOW = Date.parse('2024-01-01T01:00:00Z');
const OLD = NOW - 3600_000;

/** A ready pod running for an hour with a 100m request and `usage` millicores. */
function pod(name: string, usage: number | undefined, o: Partial<PodSample> = {}): PodSample {
  return {
    name, phase: 'Running', deleting: false, startTime: OLD, ready: { status: 'True', lastTransitionTime: OLD + 5000 }, requestMilli: 100,
    ...(usage !== undefined ? { metric: { usageMilli: usage, timestamp: NOW - 1000, windowMs: 15_000 } } : {}),
    ...o,
  };
}

const cpu = (current: number, pods: PodSample[], utilization = 50) => resourceReplicas(current, pods, { utilization }, true, NOW);
const empty = (): History => ({ recommendations: [], scaleUps: [], scaleDowns: [] });

describe('resourceReplicas', () => {
  test('desired = ceil(current * usage / target)', () => {
    assert.deepEqual(cpu(2, [pod('a', 100), pod('b', 100)]), { replicas: 4, utilization: 100, averageMilli: 100 });
    assert.equal(cpu(4, [pod('a', 10), pod('b', 10), pod('c', 10), pod('d', 10)]).replicas, 1);
    assert.equal(cpu(3, [pod('a', 90), pod('b', 80), pod('c', 70)]).replicas, 5);
  });

  test('no change within the 10% tolerance', () => {
    assert.equal(cpu(2, [pod('a', 54), pod('b', 55)]).replicas, 2);
    assert.equal(cpu(2, [pod('a', 46), pod('b', 45)]).replicas, 2);
    assert.equal(cpu(2, [pod('a', 60), pod('b', 60)]).replicas, 3);
  });

  test('AverageValue targets', () => {
    assert.deepEqual(resourceReplicas(2, [pod('a', 300), pod('b', 300)], { averageMilli: 200 }, true, NOW), { replicas: 3, averageMilli: 300 });
  });

  test('pods without metrics: zero on scale up, their request on scale down', () => {
    // a and b are hot, c has no metrics yet: as if c used nothing -> (200+200+0)/300 = 133% of 50 -> ceil(2.66*3) = 8
    assert.equal(cpu(3, [pod('a', 200), pod('b', 200), pod('c', undefined)]).replicas, 8);
    // cold pods, one missing: it counts at 100% of its request, which flips the ratio: no change
    assert.equal(cpu(3, [pod('a', 10), pod('b', 10), pod('c', undefined)]).replicas, 3);
    // against 90%: (10+10+100)/300 = 40% -> ratio 0.44 -> ceil(0.44*3) = 2
    assert.equal(cpu(3, [pod('a', 10), pod('b', 10), pod('c', undefined)], 90).replicas, 2);
  });

  test('not-ready, pending, failed and deleting pods are ignored; unready ones count as zero on scale up', () => {
    const fresh = pod('new', 500, { startTime: NOW - 10_000, ready: { status: 'False', lastTransitionTime: NOW - 10_000 } });
    // two hot ready pods at 100%, one unready: ratio 2 -> with the unready at 0: (100+100+0)/300 = 66% -> ratio 1.33 -> ceil(1.33*3) = 4
    assert.equal(cpu(3, [pod('a', 100), pod('b', 100), fresh]).replicas, 4);
    const ignored = [pod('f', 900, { phase: 'Failed' }), pod('d', 900, { deleting: true })];
    assert.equal(cpu(2, [pod('a', 100), pod('b', 100), ...ignored]).replicas, 4);
    // a pending pod counts as unready: zero on scale up -> (100+100+0)/300 = 66% -> ceil(1.33*3) = 4
    assert.equal(cpu(2, [pod('a', 100), pod('b', 100), pod('p', undefined, { phase: 'Pending' }), ...ignored]).replicas, 4);
    // a pod started within the CPU initialization period whose metric predates its readiness window
    const warming = pod('w', 900, { startTime: NOW - 20_000, ready: { status: 'True', lastTransitionTime: NOW - 5000 } });
    assert.equal(cpu(2, [pod('a', 50), pod('b', 50), warming]).replicas, 2);
  });

  test('errors: no pods, no usable metrics, a missing request', () => {
    assert.throws(() => cpu(1, []), /no pods returned by selector/);
    assert.throws(() => cpu(1, [pod('a', undefined)]), /did not receive metrics for targeted pods/);
    assert.throws(() => cpu(1, [pod('a', 10, { requestMilli: undefined, missingRequestContainer: 'web' })]), /missing request for cpu in container web of Pod a/);
  });
});

describe('scaling policies', () => {
  const d = withDefaults(undefined);

  test('defaults: up by max(4 pods, 100%) per 15 s, down 100% per 15 s after a 300 s window', () => {
    assert.equal(d.scaleDown.stabilizationWindowSeconds, 300);
    assert.equal(scaleUpLimit(1, empty(), d.scaleUp, NOW), 5);
    assert.equal(scaleUpLimit(10, empty(), d.scaleUp, NOW), 20);
    assert.equal(scaleDownLimit(10, empty(), d.scaleDown, NOW), 0);
  });

  test('changes within the period count against the limit; Min and Disabled', () => {
    const h = { scaleUps: [{ at: NOW - 5000, change: 3 }], scaleDowns: [] };
    // started the period at 2: 2 + 4 pods or 2 * 2
    assert.equal(scaleUpLimit(5, h, d.scaleUp, NOW), 6);
    assert.equal(scaleUpLimit(5, { scaleUps: [{ at: NOW - 20_000, change: 3 }], scaleDowns: [] }, d.scaleUp, NOW), 10);
    assert.equal(scaleUpLimit(5, h, { ...d.scaleUp, selectPolicy: 'Min' }, NOW), 4);
    assert.equal(scaleUpLimit(5, h, { ...d.scaleUp, selectPolicy: 'Disabled' }, NOW), 5);
    const pods1 = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] };
    assert.equal(scaleDownLimit(5, { scaleUps: [], scaleDowns: [{ at: NOW - 30_000, change: 1 }] }, pods1, NOW), 5);
  });
});

describe('normalizeDesiredReplicas', () => {
  const run = (a: Partial<Parameters<typeof normalizeDesiredReplicas>[0]>) => normalizeDesiredReplicas({ current: 2, desired: 2, min: 1, max: 10, history: empty(), now: NOW, ...a });

  test('scale down waits for the stabilization window: the highest recent recommendation wins', () => {
    const h: History = { ...empty(), recommendations: [{ at: NOW - 60_000, replicas: 6 }, { at: NOW - 30_000, replicas: 5 }] };
    const n = run({ current: 6, desired: 2, history: h });
    assert.equal(n.desired, 6);
    assert.equal(n.ableToScale.reason, 'ScaleDownStabilized');
    assert.deepEqual(n.recommendations.at(-1), { at: NOW, replicas: 2 });
    // with a zero window it goes at once
    assert.equal(run({ current: 6, desired: 2, history: h, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }).desired, 2);
    // recommendations older than the window no longer hold it
    const old: History = { ...empty(), recommendations: [{ at: NOW - 301_000, replicas: 6 }] };
    assert.equal(run({ current: 6, desired: 2, history: old }).desired, 2);
  });

  test('scale up with a window takes the lowest recent recommendation', () => {
    const h: History = { ...empty(), recommendations: [{ at: NOW - 10_000, replicas: 3 }] };
    const n = run({ current: 2, desired: 8, history: h, behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } });
    assert.equal(n.desired, 3);
    assert.equal(n.ableToScale.reason, 'ScaleUpStabilized');
    // without a window (the default) only the rate limit applies: max(2 + 4 pods, 2 * 200%) = 6
    assert.equal(run({ current: 2, desired: 8, history: h }).desired, 6);
  });

  test('rate limits and min/max set ScalingLimited', () => {
    const fast = run({ current: 1, desired: 9 });
    assert.deepEqual([fast.desired, fast.limited.status, fast.limited.reason], [5, 'True', 'ScaleUpLimit']);
    const capped = run({ current: 4, desired: 9, max: 6 });
    assert.deepEqual([capped.desired, capped.limited.reason], [6, 'TooManyReplicas']);
    const floor = run({ current: 4, desired: 1, min: 2, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } });
    assert.deepEqual([floor.desired, floor.limited.reason], [2, 'TooFewReplicas']);
    const slow = run({ current: 8, desired: 1, behavior: { scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] } } });
    assert.deepEqual([slow.desired, slow.limited.reason], [6, 'ScaleDownLimit']);
    const within = run({ current: 4, desired: 6 });
    assert.deepEqual([within.desired, within.limited.status, within.limited.reason], [6, 'False', 'DesiredWithinRange']);
  });

  test('recordScaleEvent keeps events for the longest policy period', () => {
    let h = recordScaleEvent(empty(), undefined, 2, 5, NOW - 20_000);
    h = recordScaleEvent(h, undefined, 5, 7, NOW);
    assert.deepEqual(h.scaleUps, [{ at: NOW, change: 2 }]);
    h = recordScaleEvent(h, undefined, 7, 3, NOW);
    assert.deepEqual(h.scaleDowns, [{ at: NOW, change: 4 }]);
  });
});
