import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO, run } from '../lib/control-plane';

/** Alive and not a zombie (a reparented child may linger as one where PID 1 does not reap). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * `npm run up` / `npm run down` as a user runs them (the scripts themselves), in a private
 * SKIFF_HOME and HOME on free ports so a cluster the developer started is left alone.
 */
describe('npm run up / down', () => {
  const home = mkdtempSync(join(tmpdir(), 'skiff-up-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, SKIFF_HOME: join(home, '.skiff'), SKIFF_AGENT: '0', KUBECONFIG: '' };
  delete env.KUBECONFIG;
  const kubeconfig = join(home, '.kube', 'config');
  const kubectl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache'), ...args], { env });
  after(async () => {
    await run('bash', [join(REPO, 'scripts/down.sh')], { env, timeoutMs: 60_000 });
    rmSync(home, { recursive: true, force: true });
  });

  it('starts etcd and the master, merges the kubeconfig, stops by PID and resumes with the data', async () => {
    env.SKIFF_API_PORT = String(await freePort());
    env.SKIFF_GATEWAY_PORT = String(await freePort());
    env.SKIFF_ETCD_PORT = String(await freePort());
    env.SKIFF_ETCD_PEER_PORT = String(await freePort());
    // Another context in ~/.kube/config must survive the merge.
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: other\n  context:\n    cluster: other\n    user: other\nusers:\n- name: other\n  user:\n    token: x\ncurrent-context: other\n');

    const up = await run('bash', [join(REPO, 'scripts/up.sh')], { env, timeoutMs: 300_000 });
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.match(up.stdout + up.stderr, /master started \(pid \d+\)/);
    assert.match(up.stdout + up.stderr, /logs:/);
    assert.ok(existsSync(join(home, '.skiff', 'admin.kubeconfig')));
    const contexts = await kubectl(['config', 'get-contexts', '-o', 'name']);
    assert.deepEqual(contexts.stdout.trim().split('\n').sort(), ['other', 'skiff']);
    assert.equal((await kubectl(['config', 'current-context'])).stdout.trim(), 'skiff');
    const ns = await kubectl(['get', 'ns']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.match(ns.stdout, /^default\s+Active/m);
    assert.equal((await kubectl(['create', 'configmap', 'survives', '--from-literal=a=b'])).code, 0);

    const again = await run('bash', [join(REPO, 'scripts/up.sh')], { env, timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout + again.stderr, /master already running/);

    const masterPid = Number(readFileSync(join(home, '.skiff', 'run', 'master.pid'), 'utf8').split('\n')[0]);
    const down = await run('bash', [join(REPO, 'scripts/down.sh')], { env, timeoutMs: 60_000 });
    assert.equal(down.code, 0, down.stderr);
    assert.equal(running(masterPid), false, 'master stopped');

    // A killed run leaves a stale pid file behind; up must recover.
    writeFileSync(join(home, '.skiff', 'run', 'master.pid'), `${masterPid}\nnode stale\n`);
    const up2 = await run('bash', [join(REPO, 'scripts/up.sh')], { env, timeoutMs: 300_000 });
    assert.equal(up2.code, 0, up2.stdout + up2.stderr);
    const cm = await kubectl(['get', 'configmap', 'survives', '-o', 'jsonpath={.data.a}']);
    assert.equal(cm.stdout, 'b', cm.stderr);
  });
});
