import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killExecProcessTree, parentPidFromStat, processTree } from './exec-kill';

test('parentPidFromStat copes with spaces and parentheses in the command name', () => {
  assert.equal(parentPidFromStat('42 (sleep) S 7 42 42 0 -1'), 7);
  assert.equal(parentPidFromStat('43 (a b) c)) R 9 43 43 0 -1'), 9);
  assert.equal(parentPidFromStat('garbage'), undefined);
});

test('processTree: the root, then its descendants, not its siblings', () => {
  const parents = new Map([[10, 1], [11, 10], [12, 11], [13, 10], [20, 1], [21, 20]]);
  assert.deepEqual(processTree(10, parents), [10, 11, 13, 12]);
  assert.deepEqual(processTree(99, parents), [99]);
});

test('a PID whose cgroup does not name the container is never signalled', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'exec-kill-'));
  try {
    // A fake /proc where the real child's cgroup names another container.
    mkdirSync(join(dir, String(child.pid)));
    writeFileSync(join(dir, String(child.pid), 'cgroup'), '0::/docker/bbbbbbbbbbbbbbbbbbbbbbbb\n');
    writeFileSync(join(dir, String(child.pid), 'stat'), `${child.pid} (sleep) S 1 0 0`);
    assert.equal(await killExecProcessTree(child.pid!, 'aaaaaaaaaaaaaaaaaaaaaaaa', dir), 0);
    assert.equal(child.exitCode, null);
    assert.equal(child.signalCode, null);
    // Named: killed, with its tree.
    writeFileSync(join(dir, String(child.pid), 'cgroup'), '0::/docker/aaaaaaaaaaaaaaaaaaaaaaaa\n');
    const exited = new Promise<string | null>((r) => child.once('exit', (_c, sig) => r(sig)));
    assert.equal(await killExecProcessTree(child.pid!, 'aaaaaaaaaaaaaaaaaaaaaaaa', dir), 1);
    assert.equal(await exited, 'SIGKILL');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
