import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNode } from './node-object';
import type { HostFacts } from './host-facts';
import { parseAgentFlags, ConfigError } from '../config';

const facts: HostFacts = {
  hostname: 'host-1', cpus: 4, memoryBytes: 8 * 1024 ** 3, ephemeralStorageBytes: 100 * 1024 ** 3, kernelVersion: '6.1.0',
  osImage: 'Debian GNU/Linux 12 (bookworm)', architecture: 'amd64', operatingSystem: 'linux', containerRuntimeVersion: 'docker://24.0.7',
  machineID: 'm', systemUUID: 'u', bootID: 'b',
};

test('buildNode reports capacity, addresses, node info and the four conditions', () => {
  const n = buildNode('node-1', '192.168.56.11', facts, { runtimeUp: true }, new Date('2024-01-01T00:00:00Z'));
  assert.deepEqual(n.status?.capacity, { cpu: '4', memory: '8388608Ki', pods: '110', 'ephemeral-storage': '104857600Ki' });
  assert.deepEqual(n.status?.allocatable, n.status?.capacity);
  assert.deepEqual(n.status?.addresses, [{ type: 'InternalIP', address: '192.168.56.11' }, { type: 'Hostname', address: 'host-1' }]);
  assert.equal(n.status?.nodeInfo?.kubeletVersion, 'v1.32.0-skiff');
  assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'node-1');
  assert.deepEqual(n.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']);
});

test('buildNode keeps lastTransitionTime while a condition holds and moves it when it flips', () => {
  const t0 = buildNode('n', '10.0.0.1', facts, { runtimeUp: true }, new Date('2024-01-01T00:00:00Z'));
  const t1 = buildNode('n', '10.0.0.1', facts, { runtimeUp: true }, new Date('2024-01-01T00:01:00Z'), t0.status?.conditions);
  const ready1 = t1.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready1?.lastTransitionTime, '2024-01-01T00:00:00Z');
  assert.equal(ready1?.lastHeartbeatTime, '2024-01-01T00:01:00Z');
  const t2 = buildNode('n', '10.0.0.1', facts, { runtimeUp: false, runtimeError: 'EOF' }, new Date('2024-01-01T00:02:00Z'), t1.status?.conditions);
  const ready2 = t2.status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready2?.status, 'False');
  assert.equal(ready2?.lastTransitionTime, '2024-01-01T00:02:00Z');
  assert.match(ready2?.message ?? '', /container runtime is down: EOF/);
});

test('parseAgentFlags: defaults, both flag spellings, and errors that name the flag', () => {
  const c = parseAgentFlags(['--join', '10.0.0.1:9443', '--token=abcdef.0123456789abcdef', '--node-name', 'Node-A', '--home', '/tmp/x'], {});
  assert.equal(c.join, '10.0.0.1:9443');
  assert.equal(c.token, 'abcdef.0123456789abcdef');
  assert.equal(c.nodeName, 'node-a');
  assert.equal(c.leaseRenewIntervalMs, 10_000);
  assert.equal(c.podNetwork, 'bridge');
  assert.throws(() => parseAgentFlags(['--join', 'nohost'], {}), (e: Error) => e instanceof ConfigError && /--join/.test(e.message));
  assert.throws(() => parseAgentFlags(['--ca-hash', 'md5:x'], {}), /--ca-hash/);
  assert.throws(() => parseAgentFlags(['--bogus', '1'], {}), /unknown flag: --bogus/);
});
