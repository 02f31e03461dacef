import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ancestors, cgroupCapacity } from './cgroup-capacity';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cgcap-'));
  for (const [f, v] of Object.entries(files)) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), `${v}\n`);
  }
  return root;
}

test('ancestors, the root excluded', () => {
  assert.deepEqual(ancestors('/a/b/c'), ['/a/b/c', '/a/b', '/a']);
  assert.deepEqual(ancestors('/'), []);
});

test('cgroup v2: the tightest memory.max and cpu.max over the cgroup and its ancestors', async () => {
  const root = tree({
    'lab/memory.max': String(2 * 1024 ** 3), 'lab/cpu.max': '150000 100000',
    'lab/w1/memory.max': 'max', 'lab/w1/cpu.max': 'max 100000',
    'lab/w1/daemons/memory.max': String(1024 ** 3), 'lab/w1/daemons/cpu.max': 'max 100000',
  });
  try {
    assert.deepEqual(await cgroupCapacity('0::/lab/w1/daemons\n', root), { memoryBytes: 1024 ** 3, cpus: 1.5 });
    assert.deepEqual(await cgroupCapacity('0::/\n', root), {});
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('cgroup v1: memory.limit_in_bytes (huge = none) and cfs quota/period', async () => {
  const root = tree({
    'memory/lab/memory.limit_in_bytes': '9223372036854771712', 'memory/lab/w1/memory.limit_in_bytes': String(512 * 1024 ** 2),
    'cpu,cpuacct/lab/cpu.cfs_quota_us': '-1', 'cpu,cpuacct/lab/cpu.cfs_period_us': '100000',
    'cpu,cpuacct/lab/w1/cpu.cfs_quota_us': '50000', 'cpu,cpuacct/lab/w1/cpu.cfs_period_us': '100000',
  });
  try {
    const text = '12:memory:/lab/w1\n5:cpu,cpuacct:/lab/w1\n1:name=systemd:/\n';
    assert.deepEqual(await cgroupCapacity(text, root), { memoryBytes: 512 * 1024 ** 2, cpus: 0.5 });
    assert.deepEqual(await cgroupCapacity('12:memory:/\n5:cpu,cpuacct:/\n', root), {});
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
