/**
 * The DockerRuntime on its own against a real engine: the pause sandbox,
 * logs, exec with stdin and tty, stats and events. Cleans up what it creates.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DockerRuntime } from './docker-runtime';
import type { RuntimeEvent } from './runtime';

const repo = path.resolve(__dirname, '../../../..');
const skip = process.env.SKIFF_SKIP_DOCKER === '1';

async function readAll(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

describe('DockerRuntime', { skip }, () => {
  let root: string;
  let rt: DockerRuntime;
  const pod = { uid: `rt-${process.pid}-${Date.now().toString(36)}`, name: 'rt', namespace: 'skiff-test' };
  const created: string[] = [];

  before(async () => {
    execFileSync('bash', [path.join(repo, 'test/images/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-rt-'));
    rt = new DockerRuntime({ rootDir: root });
  });

  after(async () => {
    for (const id of created.reverse()) await rt.removeContainer(id).catch(() => undefined);
    rt.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  test('sandbox, container, logs, exec, stats, events', async () => {
    const events: RuntimeEvent[] = [];
    const unsubscribe = rt.onEvent((e) => { if (e.podUid === pod.uid) events.push(e); });
    const sb = await rt.createSandbox({ pod, hostname: 'rt-host', network: 'bridge', resolvConf: 'nameserver 10.96.0.10\n' });
    created.push(sb);
    await rt.startSandbox(sb);
    const sbInfo = await rt.inspect(sb);
    assert.equal(sbInfo?.type, 'sandbox');
    assert.equal(sbInfo?.state, 'running');
    assert.equal(sbInfo?.ips?.length, 1);
    await rt.writePodHosts(sb, { podIPs: sbInfo!.ips!, hostname: 'rt-host' });

    const id = await rt.createContainer({
      pod, sandboxId: sb, name: 'main', kind: 'app', image: 'skiff/busybox:latest',
      command: ['sh', '-c', 'echo out; echo err >&2; cat /etc/resolv.conf; exec sleep 3600'], env: [{ name: 'GREETING', value: 'hi there' }],
      workingDir: '/tmp', mounts: [], limits: { cpuShares: 2, pidsLimit: 64 }, restartCount: 0,
    });
    created.push(id);
    await rt.startContainer(id);
    await new Promise((r) => setTimeout(r, 300));
    const logs = await readAll(await rt.logs(id));
    // stdout and stderr are separate pipes: their relative order is not kept.
    assert.deepEqual(logs.split('\n').sort(), ['', 'err', 'nameserver 10.96.0.10', 'out']);
    assert.equal(await readAll(await rt.logs(id, { tail: 1 })), 'nameserver 10.96.0.10\n');
    assert.match(await readAll(await rt.logs(id, { tail: 1, timestamps: true })), /^\d{4}-\d\d-\d\dT[\d:.]+Z nameserver 10.96.0.10\n$/);

    const ex = await rt.exec(id, { cmd: ['sh', '-c', 'read line; echo "$GREETING: $line in $(pwd) as $(hostname)"; exit 4'], stdin: true });
    ex.stdin!.end('ping\n');
    const [out, code] = await Promise.all([readAll(ex.stdout), ex.wait()]);
    assert.equal(out, 'hi there: ping in /tmp as rt-host\n');
    assert.equal(code, 4);

    const tty = await rt.exec(id, { cmd: ['sh', '-c', 'stty size; tty >/dev/null && echo is-a-tty'], tty: true });
    const ttyOut = await readAll(tty.stdout);
    assert.match(ttyOut, /is-a-tty/);
    assert.equal(await tty.wait(), 0);

    const st = await rt.stats(id);
    assert.ok(st.memoryUsageBytes > 0);
    assert.ok(st.cpuUsageCoreNanoSeconds > 0);
    assert.equal(typeof st.pids, 'number');

    const info = await rt.docker.getContainer(id).inspect();
    assert.equal(info.HostConfig.PidsLimit, 64);
    assert.equal(info.HostConfig.CpuShares, 2);

    const t0 = Date.now();
    await rt.stopContainer(id, 1);
    await rt.stopSandbox(sb, 10);
    assert.ok(Date.now() - t0 < 5000, 'pause stops on SIGTERM at once');
    const dead = await rt.inspect(sb);
    assert.equal(dead?.state, 'exited');
    assert.equal(dead?.exitCode, 0, 'pause exits 0 on SIGTERM');
    const c = await rt.inspect(id);
    assert.equal(c?.exitCode, 137, 'sleep ignores SIGTERM as PID 1 and gets SIGKILL');
    for (let i = 0; i < 40 && !events.some((e) => e.action === 'die' && e.id === id); i++) await new Promise((r) => setTimeout(r, 50));
    unsubscribe();
    assert.ok(events.some((e) => e.action === 'start' && e.containerName === 'main'));
    assert.ok(events.some((e) => e.action === 'die' && e.id === id));

    assert.equal(await rt.inspect('0'.repeat(64)), undefined);
    assert.deepEqual((await rt.list({ labels: { 'io.skiff.pod.uid': pod.uid } })).map((o) => o.type).sort(), ['container', 'sandbox']);
    await rt.removeContainer(id);
    await rt.removeSandbox(sb);
    assert.deepEqual(await rt.list({ labels: { 'io.skiff.pod.uid': pod.uid } }), []);
  });

  test('agents sharing an engine see only their own objects (and legacy ones whose pod directory they hold)', async () => {
    const otherRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-rt-other-'));
    const other = new DockerRuntime({ rootDir: otherRoot });
    try {
      const theirs = { ...pod, uid: `${pod.uid}-other` };
      const sb = await other.createSandbox({ pod: theirs, hostname: 'other', network: 'none', resolvConf: '' });
      created.push(sb);
      assert.equal((await other.list({ labels: { 'io.skiff.pod.uid': theirs.uid } })).length, 1);
      assert.deepEqual(await rt.list({ labels: { 'io.skiff.pod.uid': theirs.uid } }), [], 'not ours');
      assert.equal((await rt.list()).some((o) => o.id === sb), false);

      // Made before the owner label existed: ours only when we hold the pod's directory.
      const legacy = { ...pod, uid: `${pod.uid}-legacy` };
      const c = await rt.docker.createContainer({
        Image: 'skiff/pause:3.9', HostConfig: { NetworkMode: 'none' },
        Labels: { 'io.skiff.managed': 'true', 'io.skiff.pod.uid': legacy.uid, 'io.skiff.pod.name': 'rt', 'io.skiff.pod.namespace': 'skiff-test', 'io.skiff.type': 'sandbox', 'io.skiff.container.name': 'POD' },
      });
      created.push(c.id);
      assert.deepEqual(await rt.list({ labels: { 'io.skiff.pod.uid': legacy.uid } }), []);
      await fs.mkdir(rt.podDir(legacy.uid), { recursive: true });
      assert.deepEqual((await rt.list({ labels: { 'io.skiff.pod.uid': legacy.uid } })).map((o) => o.id), [c.id]);
    } finally {
      other.close();
      await fs.rm(otherRoot, { recursive: true, force: true });
    }
  });

  test('pulling from an unreachable registry fails with the engine\'s text', async () => {
    // 127.0.0.1:9 (discard) refuses at once: no outside registry is contacted.
    await assert.rejects(rt.pullImage('127.0.0.1:9/nothing:1'), (err: Error) => err.name === 'ImagePullError' && /127\.0\.0\.1:9/.test(err.message));
  });
});
