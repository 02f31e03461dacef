import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLabArgs, UsageError } from './config';

test('up: master flags are passed through in order, durations checked', () => {
  const cli = parseLabArgs(['up', '--nodes', '4', '--masters', '2', '--node-monitor-grace-period', '20s', '--pod-eviction-timeout=10s', '--node-cert-validity', '2m']);
  assert.deepEqual(cli.command, {
    kind: 'up', workers: 4, masters: 2, mergeKubeconfig: true, json: false,
    masterFlags: ['--node-monitor-grace-period', '20s', '--pod-eviction-timeout', '10s', '--node-cert-validity', '2m'],
  });
  assert.equal((parseLabArgs(['up']).command as { masterFlags?: string[] }).masterFlags, undefined);
  assert.throws(() => parseLabArgs(['up', '--pod-eviction-timeout', 'soon']), (e: unknown) => e instanceof UsageError && /--pod-eviction-timeout: want a duration/.test(e.message));
  assert.throws(() => parseLabArgs(['status', '--node-cert-validity', '1m']), UsageError);
});
