import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resolveFenceposts, newReplicaSetReplicas, scaleDownOldReplicaSets, proportionalScale, isComplete, RSCounts, RolloutParams } from './rollout-math';

describe('resolveFenceposts', () => {
  test('percentages: surge rounds up, unavailable rounds down; defaults 25%', () => {
    assert.deepEqual(resolveFenceposts(undefined, undefined, 3), { surge: 1, unavailable: 0 });
    assert.deepEqual(resolveFenceposts(undefined, undefined, 10), { surge: 3, unavailable: 2 });
    assert.deepEqual(resolveFenceposts('50%', '50%', 5), { surge: 3, unavailable: 2 });
    assert.deepEqual(resolveFenceposts(2, 1, 10), { surge: 2, unavailable: 1 });
    assert.deepEqual(resolveFenceposts(0, 0, 10), { surge: 0, unavailable: 1 }, 'both zero would stall');
    assert.deepEqual(resolveFenceposts('0%', '10%', 3), { surge: 0, unavailable: 1 });
  });
});

/**
 * Simulates a whole rollout: at each step the controller scales the new set up, then the old
 * ones down; then one pod becomes ready (new pods) or goes away (old pods). The invariants
 * are checked after every change, i.e. at every instant the world can observe.
 */
function simulate(desired: number, surge: number, unavailable: number, oldReplicas = desired): { steps: string[] } {
  const p: RolloutParams = { desired, surge, unavailable };
  const newRS: RSCounts = { name: 'new', replicas: 0, available: 0, created: 2 };
  const old: RSCounts = { name: 'old', replicas: oldReplicas, available: oldReplicas, created: 1 };
  const steps: string[] = [];
  const check = (when: string) => {
    const total = Math.max(newRS.replicas, newRS.available) + Math.max(old.replicas, old.available);
    const avail = newRS.available + old.available;
    assert.ok(total <= desired + surge, `${when}: ${total} pods > ${desired}+${surge}`);
    assert.ok(avail >= Math.min(oldReplicas, desired - unavailable), `${when}: ${avail} available < ${desired}-${unavailable}`);
  };
  for (let i = 0; i < 100; i++) {
    const up = newReplicaSetReplicas(p, newRS, [old]);
    if (up !== newRS.replicas) { newRS.replicas = up; check(`scale up to ${up}`); }
    const down = scaleDownOldReplicaSets(p, newRS, [old]);
    const o = down.get('old');
    if (o !== undefined) {
      old.replicas = o;
      // pods of the old set go away right away (their availability with them)
      old.available = Math.min(old.available, o);
      check(`scale down to ${o}`);
    }
    steps.push(`new=${newRS.replicas}/${newRS.available} old=${old.replicas}/${old.available}`);
    if (newRS.available < newRS.replicas) { newRS.available++; check('a new pod became available'); continue; }
    if (newRS.replicas === desired && old.replicas === 0) break;
  }
  assert.equal(newRS.replicas, desired);
  assert.equal(newRS.available, desired);
  assert.equal(old.replicas, 0);
  return { steps };
}

describe('rolling update arithmetic', () => {
  test('3 replicas, surge 1, unavailable 0: one new pod at a time', () => {
    const { steps } = simulate(3, 1, 0);
    assert.deepEqual(steps, [
      'new=1/0 old=3/3', 'new=1/1 old=2/2', 'new=2/1 old=2/2', 'new=2/2 old=1/1', 'new=3/2 old=1/1', 'new=3/3 old=0/0',
    ]);
  });
  test('10 replicas with the 25% defaults (surge 3, unavailable 2)', () => {
    const { steps } = simulate(10, 3, 2);
    assert.equal(steps[0], 'new=3/0 old=8/8');
  });
  test('surge 0, unavailable 1: kill one, then start one', () => {
    const { steps } = simulate(3, 0, 1);
    assert.equal(steps[0], 'new=0/0 old=2/2');
  });
  test('many combinations keep the bounds at every step', () => {
    for (const d of [1, 2, 3, 5, 10]) for (const s of [0, 1, 2]) for (const u of [0, 1, 2]) {
      if (s === 0 && u === 0) continue;
      if (u > d) continue;
      simulate(d, s, u);
    }
  });
  test('unhealthy old replicas are cleaned up first without touching availability', () => {
    const p = { desired: 3, surge: 1, unavailable: 0 };
    const down = scaleDownOldReplicaSets(p, { name: 'new', replicas: 3, available: 3, created: 3 }, [
      { name: 'a', replicas: 2, available: 0, created: 1 }, { name: 'b', replicas: 1, available: 1, created: 2 },
    ]);
    assert.deepEqual([...down], [['a', 0], ['b', 0]]);
    const none = scaleDownOldReplicaSets(p, { name: 'new', replicas: 1, available: 0, created: 3 }, [{ name: 'a', replicas: 3, available: 3, created: 1 }]);
    assert.deepEqual([...none], []);
  });
  test('the new set is scaled down when the deployment shrinks', () => {
    assert.equal(newReplicaSetReplicas({ desired: 2, surge: 1, unavailable: 0 }, { name: 'n', replicas: 6, available: 6, created: 1 }, []), 2);
  });
});

describe('proportional scaling', () => {
  test('a scale-up mid-rollout is shared by size', () => {
    const r = proportionalScale(20, 5, [
      { name: 'old', replicas: 8, available: 8, created: 1 }, { name: 'new', replicas: 5, available: 0, created: 2 },
    ]);
    // allowed 25, current 13: +12 shared 8:5 -> old +7, new +4, leftover 1 to the largest (old)
    assert.deepEqual(Object.fromEntries(r), { old: 16, new: 9 });
  });
  test('a scale-down mid-rollout is shared too, never below zero', () => {
    const r = proportionalScale(2, 1, [
      { name: 'old', replicas: 4, available: 4, created: 1 }, { name: 'new', replicas: 2, available: 0, created: 2 },
    ]);
    const total = [...r.values()].reduce((a, b) => a + b, 0);
    assert.equal(total, 3);
  });
});

test('isComplete', () => {
  assert.ok(isComplete(3, { updatedReplicas: 3, replicas: 3, availableReplicas: 3, observedGeneration: 2 }, 2));
  assert.ok(!isComplete(3, { updatedReplicas: 3, replicas: 4, availableReplicas: 3, observedGeneration: 2 }, 2));
  assert.ok(!isComplete(3, { updatedReplicas: 3, replicas: 3, availableReplicas: 3, observedGeneration: 1 }, 2));
});
