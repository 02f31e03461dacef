import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupSetupFromInfo, containerCgroupPath, expandSlice, podCgroupLeftovers, podCgroupParent, type CgroupSetup } from './cgroup-parent';

const UID = '3f1c9a2e-8b7d-4c1e-9f00-1234567890ab';
const ID = 'c0ffee'.padEnd(64, '0');

test('docker info: the driver and version the engine reports; unknown means cgroupfs v1', () => {
  assert.deepEqual(cgroupSetupFromInfo({ CgroupDriver: 'systemd', CgroupVersion: '2' }), { driver: 'systemd', version: 2 });
  assert.deepEqual(cgroupSetupFromInfo({ CgroupDriver: 'cgroupfs', CgroupVersion: '1' }), { driver: 'cgroupfs', version: 1 });
  assert.deepEqual(cgroupSetupFromInfo({}), { driver: 'cgroupfs', version: 1 });
});

for (const version of [1, 2] as const) {
  test(`cgroupfs, cgroup v${version}: /skiff[/<qos>]/pod<uid>, containers below it`, () => {
    const s: CgroupSetup = { driver: 'cgroupfs', version };
    assert.equal(podCgroupParent(s, 'Guaranteed', UID), `/skiff/pod${UID}`);
    assert.equal(podCgroupParent(s, 'Burstable', UID), `/skiff/burstable/pod${UID}`);
    assert.equal(podCgroupParent(s, 'BestEffort', UID), `/skiff/besteffort/pod${UID}`);
    assert.equal(podCgroupParent(s, 'BestEffort', UID, '/lab/w1/'), `/lab/w1/skiff/besteffort/pod${UID}`);
    assert.equal(containerCgroupPath(s, podCgroupParent(s, 'Burstable', UID), ID), `/skiff/burstable/pod${UID}/${ID}`);
    assert.deepEqual(podCgroupLeftovers(s, UID), [`/skiff/pod${UID}`, `/skiff/burstable/pod${UID}`, `/skiff/besteffort/pod${UID}`]);
  });

  test(`systemd, cgroup v${version}: skiff[-<qos>]-pod<uid_>.slice, containers in docker-<id>.scope`, () => {
    const s: CgroupSetup = { driver: 'systemd', version };
    const u = UID.replace(/-/g, '_');
    assert.equal(podCgroupParent(s, 'Guaranteed', UID), `skiff-pod${u}.slice`);
    assert.equal(podCgroupParent(s, 'Burstable', UID), `skiff-burstable-pod${u}.slice`);
    assert.equal(podCgroupParent(s, 'BestEffort', UID), `skiff-besteffort-pod${u}.slice`);
    assert.equal(podCgroupParent(s, 'Burstable', UID, 'lab.slice'), `lab-skiff-burstable-pod${u}.slice`);
    assert.equal(containerCgroupPath(s, podCgroupParent(s, 'Burstable', UID), ID),
      `/skiff.slice/skiff-burstable.slice/skiff-burstable-pod${u}.slice/docker-${ID}.scope`);
    assert.deepEqual(podCgroupLeftovers(s, UID), []);
  });
}

test('expandSlice', () => {
  assert.equal(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.equal(expandSlice('skiff.slice'), '/skiff.slice');
});

test('auto cgroup root: under the engine\'s own --cgroup-parent, else /', async () => {
  const { autoCgroupRoot, parentOfContainerCgroup } = await import('../runtime/engine-cgroup-parent');
  const fsv1: CgroupSetup = { driver: 'cgroupfs', version: 1 };
  const sd: CgroupSetup = { driver: 'systemd', version: 2 };
  assert.equal(parentOfContainerCgroup(`/docker/${ID}`, ID), '/docker');
  assert.equal(parentOfContainerCgroup(`/skiff-lab/w1/pods/${ID}`, ID), '/skiff-lab/w1/pods');
  assert.equal(parentOfContainerCgroup(`/system.slice/docker-${ID}.scope`, ID), '/system.slice');
  assert.equal(parentOfContainerCgroup('/user.slice/session-1.scope', ID), undefined);
  assert.equal(autoCgroupRoot(fsv1, '/docker'), '/');
  assert.equal(autoCgroupRoot(fsv1, undefined), '/');
  assert.equal(autoCgroupRoot(fsv1, '/skiff-lab/w1/pods'), '/skiff-lab/w1/pods');
  assert.equal(podCgroupParent(fsv1, 'Burstable', UID, autoCgroupRoot(fsv1, '/skiff-lab/w1/pods')), `/skiff-lab/w1/pods/skiff/burstable/pod${UID}`);
  assert.equal(autoCgroupRoot(sd, '/system.slice'), '/');
  assert.equal(autoCgroupRoot(sd, '/lab.slice/lab-w1.slice'), 'lab-w1.slice');
});
