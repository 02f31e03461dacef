import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError, type KObject } from '@skiff/api';
import { channelMessage, exitStatus, offeredProtocols, parseClientMessage, pickProtocol, CHANNEL_PROTOCOLS } from './channel-protocol';
import { checkLogsAvailable, checkNotCompleted, containerOf, nodeOf } from './pod-target';
import { cpuQuantity, memoryQuantity, windowText } from '../metrics/metrics-api';

const pod = (extra: Partial<KObject> = {}): KObject => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }], initContainers: [{ name: 'init' }] },
  ...extra,
});

function badRequest(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StatusError && e.code === 400, String(e));
    return e.message;
  }
  assert.fail('expected BadRequest');
}

test('v5 channel messages: stdin, resize, stdin close; v4 has no close channel', () => {
  assert.deepEqual(parseClientMessage(Buffer.from([0, 104, 105]), 'v5.channel.k8s.io'), { kind: 'stdin', data: Buffer.from('hi') });
  assert.deepEqual(parseClientMessage(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":120,"Height":40}\n')]), 'v5.channel.k8s.io'), { kind: 'resize', width: 120, height: 40 });
  assert.deepEqual(parseClientMessage(Buffer.from([255, 0]), 'v5.channel.k8s.io'), { kind: 'close', channel: 0 });
  assert.deepEqual(parseClientMessage(Buffer.from([255, 0]), 'v4.channel.k8s.io'), { kind: 'ignored' });
  assert.deepEqual(parseClientMessage(Buffer.from([4, 1, 2]), 'v5.channel.k8s.io'), { kind: 'ignored' });
  assert.deepEqual(channelMessage(1, 'ok'), Buffer.from([1, 111, 107]));
  assert.equal(pickProtocol(offeredProtocols('v4.channel.k8s.io, v5.channel.k8s.io'), CHANNEL_PROTOCOLS), 'v5.channel.k8s.io');
  assert.equal(pickProtocol(offeredProtocols(['SPDY/3.1+portforward.k8s.io']), CHANNEL_PROTOCOLS), undefined);
});

test('exit status: Success for 0, NonZeroExitCode with the code as ExitCode cause otherwise', () => {
  assert.deepEqual(exitStatus(0), { metadata: {}, status: 'Success' });
  const s = exitStatus(3) as { status: string; reason: string; details: { causes: { reason: string; message: string }[] } };
  assert.equal(s.status, 'Failure');
  assert.equal(s.reason, 'NonZeroExitCode');
  assert.deepEqual(s.details.causes, [{ reason: 'ExitCode', message: '3' }]);
});

test('container choice and the apiserver\'s and kubelet\'s refusals', () => {
  assert.equal(containerOf(pod(), 'b'), 'b');
  assert.equal(containerOf(pod(), 'init'), 'init');
  assert.equal(containerOf({ metadata: { name: 'q' }, spec: { containers: [{ name: 'only' }] } }, undefined), 'only');
  assert.equal(badRequest(() => containerOf(pod(), undefined)), 'a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [init]');
  assert.equal(badRequest(() => containerOf(pod(), 'zz')), 'container zz is not valid for pod p');
  assert.equal(badRequest(() => nodeOf({ metadata: { name: 'p' }, spec: {} })), 'pod p does not have a host assigned');
  assert.equal(badRequest(() => checkNotCompleted(pod({ status: { phase: 'Succeeded' } }), 'exec')), 'cannot exec into a container in a completed pod; current phase is Succeeded');

  const waiting = pod({ status: { containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ImagePullBackOff' } } }] } });
  assert.equal(badRequest(() => checkLogsAvailable(waiting, 'a', false)), 'container "a" in pod "p" is waiting to start: ImagePullBackOff');
  assert.equal(badRequest(() => checkLogsAvailable(waiting, 'a', true)), 'previous terminated container "a" in pod "p" not found');
  const restarted = pod({ status: { containerStatuses: [{ name: 'a', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } }] } });
  checkLogsAvailable(restarted, 'a', false);
  checkLogsAvailable(restarted, 'a', true);
});

test('metrics quantities', () => {
  assert.equal(cpuQuantity('1234567'), '1234567n');
  assert.equal(cpuQuantity(-5), '0n');
  assert.equal(memoryQuantity(10 * 1024 * 1024), '10240Ki');
  assert.equal(windowText(1.0504), '1.05s');
});
