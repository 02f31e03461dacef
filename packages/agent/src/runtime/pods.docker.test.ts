/**
 * Pods on a real Docker Engine (DOCKER_HOST or /var/run/docker.sock), with
 * the images from test/images/build.sh (built here when missing). Every pod
 * is removed at the end and the test checks that nothing labelled is left.
 * Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import { DockerRuntime } from './docker-runtime';
import { MemoryEventRecorder } from '../events';
import { StaticObjectResolver } from '../volumes/object-resolver';
import { PodWorkers } from '../pods/pod-worker';
import { LABEL_POD_UID, LABEL_TYPE } from './labels';

const repo = path.resolve(__dirname, '../../../..');
const skip = process.env.SKIFF_SKIP_DOCKER === '1';
const run = `t${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function readAll(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return Buffer.concat(chunks).toString('utf8');
}

describe('pods on Docker', { skip }, () => {
  let root: string;
  let rt: DockerRuntime;
  let rec: MemoryEventRecorder;
  let workers: PodWorkers;
  const statuses = new Map<string, PodStatus>();
  const uids: string[] = [];

  const mkPod = (name: string, spec: Partial<NonNullable<Pod['spec']>>): Pod => {
    const uid = `${run}-${name}`;
    uids.push(uid);
    return { metadata: { name, namespace: 'skiff-test', uid }, spec: { containers: [], terminationGracePeriodSeconds: 1, ...spec } };
  };
  const status = (p: Pod) => statuses.get(p.metadata!.uid!);

  before(async () => {
    execFileSync('bash', [path.join(repo, 'test/images/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-docker-'));
    rt = new DockerRuntime({ rootDir: root });
    rec = new MemoryEventRecorder();
    workers = new PodWorkers({
      runtime: rt, resolver: new StaticObjectResolver(), recorder: rec,
      onStatus: (p, s) => statuses.set(p.metadata!.uid!, s),
      rootDir: root, network: 'bridge', node: { name: 'node-1', hostIPs: ['127.0.0.1'] },
      dns: { hostResolvConf: 'nameserver 127.0.0.53\nsearch example.internal\n', clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' },
      backoff: { initialMs: 1000, maxMs: 4000 }, resyncIntervalMs: 500,
    });
  });

  after(async () => {
    for (const uid of uids) await workers.removePod(uid).catch(() => undefined);
    workers.shutdown();
    const left = (await rt.list()).filter((o) => uids.includes(o.podUid ?? ''));
    const vols = await rt.docker.listVolumes({ filters: { label: uids.map((u) => `${LABEL_POD_UID}=${u}`) } });
    rt.close();
    await fs.rm(root, { recursive: true, force: true });
    assert.deepEqual(left.map((o) => o.id), [], 'every container and sandbox removed');
    assert.deepEqual((vols.Volumes ?? []).filter((v) => uids.includes(v.Labels?.[LABEL_POD_UID] ?? '')).map((v) => v.Name), [], 'tmpfs volumes removed');
  });

  test('two containers talk over localhost; hostname, /etc/hosts and resolv.conf are the pod\'s', async () => {
    const p = mkPod('duo', {
      containers: [
        { name: 'web', image: 'nginx:1.7.9', ports: [{ containerPort: 80 }] },
        {
          name: 'client', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'for i in $(seq 1 50); do if wget -q -O /tmp/out http://127.0.0.1:80/; then cat /tmp/out; exec sleep 3600; fi; sleep 0.2; done; exit 1'],
        },
      ],
    });
    workers.updatePod(p);
    await waitFor('Ready', () => status(p)?.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    const logs = await waitFor('client output', async () => {
      const out = await readAll(await workers.logs(p.metadata!.uid!, 'client'));
      return out.includes('Welcome to nginx!') ? out : undefined;
    });
    assert.match(logs, /<h1>Welcome to nginx!<\/h1>/);
    const s = status(p)!;
    assert.equal(s.phase, 'Running');
    assert.match(s.podIP ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(s.qosClass, 'BestEffort');
    assert.deepEqual(s.containerStatuses?.map((c) => [c.name, c.image, c.ready, c.started, !!c.state?.running]), [['client', 'skiff/busybox:latest', true, true, true], ['web', 'nginx:1.7.9', true, true, true]]);
    assert.match(s.containerStatuses![1]!.imageID, /^docker:\/\/sha256:[0-9a-f]{64}$/);
    assert.match(s.containerStatuses![1]!.containerID!, /^docker:\/\/[0-9a-f]{64}$/);

    const ex = await workers.exec(p.metadata!.uid!, 'client', { cmd: ['sh', '-c', 'hostname; cat /etc/hosts; cat /etc/resolv.conf'] });
    const [out] = await Promise.all([readAll(ex.stdout), ex.wait()]);
    assert.equal(await ex.wait(), 0);
    assert.match(out, /^duo\n/);
    assert.ok(out.includes(`${s.podIP}\tduo`), out);
    // ClusterFirst: the cluster DNS, the namespace's search path then the host's, ndots:5.
    assert.ok(out.endsWith('search skiff-test.svc.cluster.local svc.cluster.local cluster.local example.internal\nnameserver 10.96.0.10\noptions ndots:5\n'), out);
    assert.deepEqual(rec.events.filter((e) => e.pod === 'skiff-test/duo').map((e) => e.reason), ['Pulled', 'Created', 'Started', 'Pulled', 'Created', 'Started']);

    const sandbox = (await rt.list({ labels: { [LABEL_POD_UID]: p.metadata!.uid!, [LABEL_TYPE]: 'sandbox' } }))[0]!;
    assert.equal(sandbox.labels['io.skiff.pod.name'], 'duo');
    assert.equal(sandbox.labels['io.skiff.pod.namespace'], 'skiff-test');
    assert.equal(sandbox.image, 'skiff/pause:3.9');
  });

  test('init containers run in order before the app container, sharing an emptyDir', async () => {
    const p = mkPod('init', {
      initContainers: [
        { name: 'first', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo one >> /work/log'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
        { name: 'second', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'sleep 0.3; echo two >> /work/log'], volumeMounts: [{ name: 'work', mountPath: '/work' }] },
      ],
      containers: [{ name: 'app', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'cat /work/log; echo three > /mem/x; cat /mem/x; exec sleep 3600'], volumeMounts: [{ name: 'work', mountPath: '/work' }, { name: 'mem', mountPath: '/mem' }] }],
      volumes: [{ name: 'work', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }],
    });
    workers.updatePod(p);
    await waitFor('Running', () => status(p)?.phase === 'Running' && status(p)?.containerStatuses?.[0]?.ready);
    const out = await waitFor('app output', async () => {
      const o = await readAll(await workers.logs(p.metadata!.uid!, 'app'));
      return o.includes('three') ? o : undefined;
    });
    assert.equal(out, 'one\ntwo\nthree\n');
    const s = status(p)!;
    assert.equal(s.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
    assert.deepEqual(s.initContainerStatuses?.map((c) => [c.name, c.state?.terminated?.reason, c.ready]), [['first', 'Completed', true], ['second', 'Completed', true]]);
    const started = rec.events.filter((e) => e.pod === 'skiff-test/init' && e.reason === 'Started').map((e) => e.fieldPath);
    assert.deepEqual(started, ['spec.initContainers{first}', 'spec.initContainers{second}', 'spec.containers{app}']);
    const ex = await workers.exec(p.metadata!.uid!, 'app', { cmd: ['sh', '-c', 'grep " /mem " /proc/mounts'] });
    const [mounts] = await Promise.all([readAll(ex.stdout), ex.wait()]);
    assert.match(mounts, /tmpfs/);
  });

  test('a memory hog is OOMKilled at its limit; cpu and memory limits reach the cgroup settings', async () => {
    const p = mkPod('hog', {
      restartPolicy: 'Never',
      containers: [{ name: 'hog', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['tail', '/dev/zero'], resources: { limits: { memory: '32Mi', cpu: '250m' } } }],
    });
    workers.updatePod(p);
    const s = await waitFor('Failed', () => (status(p)?.phase === 'Failed' ? status(p) : undefined));
    const t = s.containerStatuses?.[0]?.state?.terminated;
    assert.equal(t?.reason, 'OOMKilled');
    assert.equal(t?.exitCode, 137);
    assert.equal(s.qosClass, 'Guaranteed');
    const c = (await rt.list({ labels: { [LABEL_POD_UID]: p.metadata!.uid!, [LABEL_TYPE]: 'container' } }))[0]!;
    const info = await rt.docker.getContainer(c.id).inspect();
    assert.equal(info.HostConfig.Memory, 32 * 2 ** 20);
    assert.equal(info.HostConfig.MemorySwap, 32 * 2 ** 20);
    assert.equal(info.HostConfig.CpuQuota, 25_000);
    assert.equal(info.HostConfig.CpuPeriod, 100_000);
    assert.equal(info.HostConfig.CpuShares, 256);
    assert.match(info.HostConfig.NetworkMode ?? '', /^container:[0-9a-f]{64}$/);
    assert.equal(info.HostConfig.IpcMode, info.HostConfig.NetworkMode);
    assert.equal(info.Config.Labels?.['io.skiff.container.name'], 'hog');
    assert.equal(info.Config.Labels?.['io.skiff.container.restartCount'], '0');
  });

  test('a crashing container restarts with back-off and shows CrashLoopBackOff; logs --previous works', async () => {
    const p = mkPod('crash', {
      containers: [{ name: 'crash', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo "crashing at $(date +%s)"; exit 3'], terminationMessagePolicy: 'FallbackToLogsOnError' }],
    });
    workers.updatePod(p);
    const crash = await waitFor('CrashLoopBackOff', () => {
      const cs = status(p)?.containerStatuses?.[0];
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs.restartCount >= 1 ? cs : undefined;
    });
    assert.match(crash.state!.waiting!.message!, /^back-off \ds restarting failed container=crash pod=crash_skiff-test\(/);
    assert.equal(crash.lastState?.terminated?.exitCode, 3);
    assert.match(crash.lastState?.terminated?.message ?? '', /^crashing at \d+\n$/);
    await waitFor('restart 2', () => (status(p)?.containerStatuses?.[0]?.restartCount ?? 0) >= 2);
    const prev = await readAll(await workers.logs(p.metadata!.uid!, 'crash', { previous: true }));
    assert.match(prev, /^crashing at \d+\n$/);
    assert.ok(rec.events.some((e) => e.pod === 'skiff-test/crash' && e.reason === 'BackOff'));
  });

  test('a readiness exec probe flips the Ready condition both ways', async () => {
    const p = mkPod('ready', {
      containers: [{
        name: 'app', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'],
        readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1 },
      }],
    });
    workers.updatePod(p);
    await waitFor('Running', () => status(p)?.phase === 'Running');
    await waitFor('an Unhealthy event', () => rec.events.find((e) => e.pod === 'skiff-test/ready' && e.reason === 'Unhealthy'));
    assert.equal(status(p)?.conditions?.find((c) => c.type === 'Ready')?.status, 'False');
    const touch = await workers.exec(p.metadata!.uid!, 'app', { cmd: ['touch', '/tmp/ready'] });
    assert.equal(await touch.wait(), 0);
    await waitFor('Ready', () => status(p)?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 10_000);
    const rm = await workers.exec(p.metadata!.uid!, 'app', { cmd: ['rm', '/tmp/ready'] });
    assert.equal(await rm.wait(), 0);
    await waitFor('not Ready', () => status(p)?.conditions?.find((c) => c.type === 'Ready')?.status === 'False', 10_000);
  });

  test('deleting a pod stops it gracefully and ends in a terminal phase', async () => {
    const p = mkPod('bye', { containers: [{ name: 'app', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'] }] });
    workers.updatePod(p);
    await waitFor('Running', () => status(p)?.phase === 'Running');
    workers.updatePod({ ...p, metadata: { ...p.metadata, deletionTimestamp: new Date().toISOString(), deletionGracePeriodSeconds: 5 } });
    const s = await waitFor('terminal', () => (status(p)?.phase === 'Succeeded' ? status(p) : undefined));
    assert.equal(s.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.ok(rec.events.some((e) => e.pod === 'skiff-test/bye' && e.reason === 'Killing'));
  });
});
