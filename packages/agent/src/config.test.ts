import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentConfigToFlags } from './config-file';
import { ConfigError, parseAgentFlags } from './config';

const env = {};

test('back-off, resync and cgroup-root flags: defaults as the kubelet\'s', () => {
  const c = parseAgentFlags([], env);
  assert.equal(c.restartBackoffInitialMs, 10_000);
  assert.equal(c.restartBackoffMaxMs, 300_000);
  assert.equal(c.imagePullBackoffInitialMs, 10_000);
  assert.equal(c.imagePullBackoffMaxMs, 300_000);
  assert.equal(c.podResyncIntervalMs, 10_000);
  assert.equal(c.cgroupRoot, 'auto');
});

test('back-off, resync and cgroup-root flags: values and their errors name the flag', () => {
  const c = parseAgentFlags(['--restart-backoff-initial', '2s', '--restart-backoff-max=20s', '--image-pull-backoff-initial', '500ms',
    '--image-pull-backoff-max', '1m', '--pod-resync-interval', '3s', '--cgroup-root', '/lab/w1'], env);
  assert.deepEqual([c.restartBackoffInitialMs, c.restartBackoffMaxMs, c.imagePullBackoffInitialMs, c.imagePullBackoffMaxMs, c.podResyncIntervalMs, c.cgroupRoot],
    [2000, 20_000, 500, 60_000, 3000, '/lab/w1']);
  assert.throws(() => parseAgentFlags(['--restart-backoff-initial', 'soon'], env), (e: Error) => e instanceof ConfigError && /--restart-backoff-initial: want a duration/.test(e.message));
  assert.throws(() => parseAgentFlags(['--restart-backoff-initial', '30s', '--restart-backoff-max', '10s'], env), /--restart-backoff-max: must be at least --restart-backoff-initial/);
  assert.throws(() => parseAgentFlags(['--image-pull-backoff-initial', '0s'], env), /--image-pull-backoff-initial: must be more than 0/);
  assert.throws(() => parseAgentFlags(['--cgroup-root', 'relative/path'], env), /--cgroup-root: want an absolute cgroup path/);
  assert.equal(parseAgentFlags(['--cgroup-root', 'lab.slice'], env).cgroupRoot, 'lab.slice');
});

test('the config file takes the same settings in camelCase', () => {
  const flags = agentConfigToFlags('restartBackoffInitial: 2s\nrestartBackoffMax: 1m\nimagePullBackoffInitial: 5\npodResyncInterval: 5s\ncgroupRoot: engine\n', '/etc/skiff/agent.yaml');
  const c = parseAgentFlags(flags, env);
  assert.deepEqual([c.restartBackoffInitialMs, c.restartBackoffMaxMs, c.imagePullBackoffInitialMs, c.podResyncIntervalMs, c.cgroupRoot], [2000, 60_000, 5000, 5000, 'engine']);
  assert.throws(() => agentConfigToFlags('cgroupRoot: not/absolute\n', '/etc/skiff/agent.yaml'), /agent\.yaml: cgroupRoot: must be an absolute cgroup path/);
});
