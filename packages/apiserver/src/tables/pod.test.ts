import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import type { KObject } from '@skiff/api';
import { podPrinter, summarizePod } from './pod';

const now = new Date('2024-05-01T12:00:00Z');
const ago = (seconds: number): string => new Date(now.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const running = { running: { startedAt: ago(60) } };
const waiting = (reason: string) => ({ waiting: { reason } });
const terminated = (exitCode: number, reason?: string, signal?: number) => ({
  terminated: { exitCode, ...(reason ? { reason } : {}), ...(signal ? { signal } : {}) },
});

function pod(p: { containers?: string[]; init?: string[]; sidecars?: string[]; status?: Pod['status']; deleting?: boolean }): Pod {
  return {
    metadata: {
      name: 'p', namespace: 'default', creationTimestamp: ago(300),
      ...(p.deleting ? { deletionTimestamp: ago(1) } : {}),
    },
    spec: {
      containers: (p.containers ?? ['app']).map((name) => ({ name, image: 'busybox' })),
      initContainers: [
        ...(p.init ?? []).map((name) => ({ name, image: 'busybox' })),
        ...(p.sidecars ?? []).map((name) => ({ name, image: 'busybox', restartPolicy: 'Always' })),
      ],
    },
    status: p.status ?? {},
  };
}

const status = (p: Parameters<typeof pod>[0]): string => summarizePod(pod(p), now).status;
const cs = (name: string, state: object, extra: object = {}) => ({
  name, image: 'busybox', imageID: '', ready: false, restartCount: 0, state, ...extra,
});

test('READY counts ready running containers', () => {
  const s = summarizePod(pod({
    containers: ['a', 'b'],
    status: { phase: 'Running', containerStatuses: [cs('a', running, { ready: true }), cs('b', running)] },
  }), now);
  assert.equal(s.ready, '1/2');
  assert.equal(s.status, 'Running');
  assert.equal(s.restarts, '0');
});

test('restartable init containers (sidecars) count toward READY', () => {
  const s = summarizePod(pod({
    sidecars: ['proxy'],
    status: {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [cs('proxy', running, { ready: true, started: true })],
      containerStatuses: [cs('app', running, { ready: true })],
    },
  }), now);
  assert.equal(s.ready, '2/2');
  assert.equal(s.status, 'Running');
});

test('init container progress and failures', () => {
  const init = ['one', 'two'];
  assert.equal(status({ init, status: { phase: 'Pending', initContainerStatuses: [cs('one', running), cs('two', waiting('PodInitializing'))] } }), 'Init:0/2');
  assert.equal(status({ init, status: { phase: 'Pending', initContainerStatuses: [cs('one', terminated(0, 'Completed')), cs('two', running)] } }), 'Init:1/2');
  assert.equal(status({ init, status: { phase: 'Pending', initContainerStatuses: [cs('one', terminated(1, 'Error'))] } }), 'Init:Error');
  assert.equal(status({ init, status: { phase: 'Pending', initContainerStatuses: [cs('one', waiting('CrashLoopBackOff'))] } }), 'Init:CrashLoopBackOff');
  assert.equal(status({ init, status: { phase: 'Pending', initContainerStatuses: [cs('one', terminated(3))] } }), 'Init:ExitCode:3');
  assert.equal(status({ init, status: { phase: 'Pending', initContainerStatuses: [cs('one', terminated(137, undefined, 9))] } }), 'Init:Signal:9');
});

test('PodInitializing once init containers are done', () => {
  assert.equal(status({
    init: ['one'],
    status: {
      phase: 'Pending',
      initContainerStatuses: [cs('one', terminated(0, 'Completed'))],
      containerStatuses: [cs('app', waiting('PodInitializing'))],
    },
  }), 'PodInitializing');
});

test('waiting reasons of containers', () => {
  for (const reason of ['ContainerCreating', 'CrashLoopBackOff', 'ErrImagePull', 'ImagePullBackOff']) {
    assert.equal(status({ status: { phase: 'Pending', containerStatuses: [cs('app', waiting(reason))] } }), reason);
  }
});

test('the first container decides when several report reasons', () => {
  assert.equal(status({
    containers: ['a', 'b'],
    status: { phase: 'Pending', containerStatuses: [cs('a', waiting('ErrImagePull')), cs('b', waiting('ContainerCreating'))] },
  }), 'ErrImagePull');
});

test('terminated reasons of containers', () => {
  assert.equal(status({ status: { phase: 'Succeeded', containerStatuses: [cs('app', terminated(0, 'Completed'))] } }), 'Completed');
  assert.equal(status({ status: { phase: 'Failed', containerStatuses: [cs('app', terminated(1, 'Error'))] } }), 'Error');
  assert.equal(status({ status: { phase: 'Running', containerStatuses: [cs('app', terminated(137, 'OOMKilled'))] } }), 'OOMKilled');
  assert.equal(status({ status: { phase: 'Failed', containerStatuses: [cs('app', terminated(0, undefined, 15))] } }), 'Signal:15');
  assert.equal(status({ status: { phase: 'Failed', containerStatuses: [cs('app', terminated(2))] } }), 'ExitCode:2');
});

test('Completed turns back into Running/NotReady while another container runs', () => {
  const statuses = [cs('a', terminated(0, 'Completed')), cs('b', running, { ready: true })];
  assert.equal(status({ containers: ['a', 'b'], status: { phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] } }), 'Running');
  assert.equal(status({ containers: ['a', 'b'], status: { phase: 'Running', containerStatuses: statuses } }), 'NotReady');
});

test('Terminating, NodeLost/Unknown and status.reason', () => {
  const runningStatus = { phase: 'Running', containerStatuses: [cs('app', running, { ready: true })] };
  assert.equal(status({ deleting: true, status: runningStatus }), 'Terminating');
  // A finished pod being deleted keeps its final status.
  assert.equal(status({ deleting: true, status: { phase: 'Succeeded', containerStatuses: [cs('app', terminated(0, 'Completed'))] } }), 'Completed');
  assert.equal(status({ status: { ...runningStatus, reason: 'NodeLost' } }), 'NodeLost');
  assert.equal(status({ deleting: true, status: { ...runningStatus, reason: 'NodeLost' } }), 'Unknown');
  assert.equal(status({ status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } }), 'Evicted');
  assert.equal(status({ status: { phase: 'Pending' } }), 'Pending');
  assert.equal(status({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }), 'SchedulingGated');
});

test('RESTARTS shows when the last restart happened', () => {
  const withTime = summarizePod(pod({
    status: {
      phase: 'Running',
      containerStatuses: [cs('app', waiting('CrashLoopBackOff'), {
        restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(10) } },
      })],
    },
  }), now);
  assert.equal(withTime.restarts, '3 (10s ago)');
  assert.equal(withTime.status, 'CrashLoopBackOff');
  const withoutTime = summarizePod(pod({ status: { phase: 'Running', containerStatuses: [cs('app', running, { restartCount: 2 })] } }), now);
  assert.equal(withoutTime.restarts, '2');
});

test('pod row cells, wide cells and row conditions', () => {
  const p = pod({ status: { phase: 'Running', podIP: '10.244.0.5', containerStatuses: [cs('app', running, { ready: true })] } });
  p.spec = { ...p.spec!, nodeName: 'n1', readinessGates: [{ conditionType: 'example.com/gate' }] };
  p.status!.conditions = [{ type: 'example.com/gate', status: 'True' }];
  const obj = p as unknown as KObject;
  assert.deepEqual(podPrinter.cells(obj, now), ['p', '1/1', 'Running', '0', '5m', '10.244.0.5', 'n1', '<none>', '1/1']);
  assert.equal(podPrinter.conditions?.(obj), undefined);
  const bare = pod({ status: { phase: 'Succeeded' } }) as unknown as KObject;
  assert.deepEqual(podPrinter.cells(bare, now).slice(5), ['<none>', '<none>', '<none>', '<none>']);
  assert.deepEqual(podPrinter.conditions?.(bare), [
    { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
  ]);
  assert.deepEqual(podPrinter.columns.map((c) => [c.name, c.priority]), [
    ['Name', 0], ['Ready', 0], ['Status', 0], ['Restarts', 0], ['Age', 0],
    ['IP', 1], ['Node', 1], ['Nominated Node', 1], ['Readiness Gates', 1],
  ]);
});
