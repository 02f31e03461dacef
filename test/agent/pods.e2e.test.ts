/**
 * Pods end to end on one node: a real etcd, skiff-master and skiff-agent on
 * the local Docker engine, driven with the real kubectl. Most behaviours run
 * concurrently (each has its own pod) to keep the file short; the agent
 * restart runs alone at the end. Set SKIFF_SKIP_DOCKER=1 to skip.
 *
 * Timing assumptions: the agent runs with a short restart back-off
 * (--restart-backoff-initial 5s, doubling up to 60s; the default is 10s up to
 * 5m) and the default pod resync (10 s). Probes
 * that must not fail by accident get timeoutSeconds 5: a docker exec can take
 * over a second on a loaded 2-core machine.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { AgentNode, cgroupOfPid } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';
/** The agent's restart back-off base in these tests (seconds). */
const BACKOFF_S = 5;

const BB = { image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent' } as const;
/** A shell that exits on SIGTERM (PID 1 ignores it otherwise) and idles. */
const idle = (pre = ''): string[] => ['sh', '-c', `${pre}trap "exit 0" TERM; while true; do sleep 1; done`];

function status(pod: Pod, name: string, init = false): ContainerStatus | undefined {
  return (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses)?.find((c) => c.name === name);
}

function condition(pod: Pod, type: string): string | undefined {
  return pod.status?.conditions?.find((c) => c.type === type)?.status;
}

function containerId(pod: Pod, name: string, init = false): string {
  const id = status(pod, name, init)?.containerID ?? '';
  return id.replace(/^docker:\/\//, '');
}

const running = (pod: Pod): Pod | undefined => pod.status?.phase === 'Running' && (pod.spec?.containers ?? []).every((c) => status(pod, c.name)?.state?.running) ? pod : undefined;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** CPU time (ns) the container's cgroup has used (its path from /proc/<pid>/cgroup): cgroup v1 cpuacct, else v2 cpu.stat. */
function cgroupCpuNs(id: string, pid: number): number {
  const v1 = cgroupOfPid(pid, 'cpuacct');
  for (const f of [`/sys/fs/cgroup/cpuacct${v1}/cpuacct.usage`, `/sys/fs/cgroup/cpu,cpuacct${v1}/cpuacct.usage`]) if (existsSync(f)) return Number(readFileSync(f, 'utf8').trim());
  const v2 = [`/sys/fs/cgroup${cgroupOfPid(pid)}/cpu.stat`];
  for (const f of v2) {
    if (!existsSync(f)) continue;
    const m = /usage_usec (\d+)/.exec(readFileSync(f, 'utf8'));
    if (m) return Number(m[1]) * 1000;
  }
  throw new Error(`no cgroup cpu accounting found for container ${id}`);
}

describe('pods on a joined skiff-agent', { skip }, () => {
  let node: AgentNode;

  before(async () => {
    node = await AgentNode.start({ agentFlags: ['--restart-backoff-initial', `${BACKOFF_S}s`, '--restart-backoff-max', '60s'] });
  });

  after(async () => {
    await node?.stop();
  });

  describe('container behaviour (concurrent)', { concurrency: true }, () => {
    test('two containers of a pod talk over localhost', async () => {
      await node.createPod({
        metadata: { name: 'duo' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            { name: 'web', image: 'skiff/web:latest', imagePullPolicy: 'IfNotPresent' },
            { name: 'client', ...BB, command: idle() },
          ],
        },
      });
      const pod = await node.waitPod('duo', 'both containers running', running, 45_000);
      assert.match(await node.waitRow('duo', /\s2\/2\s+Running\s/, 20_000), /^duo\s/);
      const r = await node.dockerExec(containerId(pod, 'client'), ['timeout', '5', 'wget', '-q', '-O', '-', 'http://127.0.0.1:80/']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Welcome to nginx!/);
      // And the other way round: the web container sees the client's listener on localhost.
      await node.dockerExec(containerId(pod, 'client'), ['sh', '-c', 'mkdir -p /tmp/www && echo from-client > /tmp/www/index.html && httpd -p 127.0.0.1:8081 -h /tmp/www']);
      const back = await node.dockerExec(containerId(pod, 'web'), ['timeout', '5', 'wget', '-q', '-O', '-', 'http://127.0.0.1:8081/']);
      assert.equal(back.stdout.trim(), 'from-client', back.stderr);
    });

    test('init containers run to completion in order, then the app (Init:0/2 then Running)', async () => {
      await node.createPod({
        metadata: { name: 'inits' },
        spec: {
          terminationGracePeriodSeconds: 2,
          initContainers: [
            { name: 'first', ...BB, command: ['sh', '-c', 'sleep 4'] },
            { name: 'second', ...BB, command: ['sh', '-c', 'sleep 2'] },
          ],
          containers: [{ name: 'app', ...BB, command: idle() }],
        },
      });
      const initRow = await node.waitRow('inits', /\sInit:0\/2\s/, 20_000);
      assert.match(initRow, /\s0\/1\s+Init:0\/2\s/);
      const pod = await node.waitPod('inits', 'the app running', running, 45_000);
      assert.match(await node.waitRow('inits', /\s1\/1\s+Running\s/, 15_000), /^inits\s/);

      const first = status(pod, 'first', true)?.state?.terminated;
      const second = status(pod, 'second', true)?.state?.terminated;
      assert.equal(first?.exitCode, 0);
      assert.equal(first?.reason, 'Completed');
      assert.equal(second?.exitCode, 0);
      const appStarted = Date.parse(status(pod, 'app')?.state?.running?.startedAt ?? '');
      assert.ok(Date.parse(first!.finishedAt!) <= Date.parse(second!.startedAt!), 'second init started after the first finished');
      assert.ok(Date.parse(second!.finishedAt!) <= appStarted, 'the app started after the last init finished');
      // Nothing was ever seen running out of order.
      for (const { pod: p } of node.watch.get('inits')!.history) {
        if (status(p, 'second', true)?.state?.running) assert.ok(status(p, 'first', true)?.state?.terminated, 'second ran while first had not finished');
        if (status(p, 'app')?.state?.running) assert.ok(status(p, 'second', true)?.state?.terminated, 'app ran before init finished');
      }
      assert.equal(condition(pod, 'Initialized'), 'True');
    });

    test('a memory hog is OOMKilled at its limit', async () => {
      await node.createPod({
        metadata: { name: 'hog' },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'hog', ...BB, command: ['sh', '-c', 'x=0123456789abcdef; while true; do x="$x$x"; done'], resources: { limits: { memory: '32Mi' } } }],
        },
      });
      const term = await node.waitPod('hog', 'the container terminated', (p) => status(p, 'hog')?.state?.terminated, 45_000);
      assert.equal(term.reason, 'OOMKilled');
      assert.equal(term.exitCode, 137);
      const row = await node.waitRow('hog', /\sOOMKilled\s/, 15_000);
      assert.match(row, /\s0\/1\s+OOMKilled\s/);
      const pod = await node.waitPod('hog', 'phase Failed', (p) => p.status?.phase === 'Failed' && p, 15_000);
      assert.equal(pod.status?.qosClass, 'Burstable');
      const mem = (await node.k(['get', 'pod', 'hog', '-o', 'jsonpath={.status.containerStatuses[0].state.terminated.reason}'])).trim();
      assert.equal(mem, 'OOMKilled');
    });

    test('a CPU burner is held to its cpu limit (200m)', async () => {
      await node.createPod({
        metadata: { name: 'burner' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'burn', ...BB, command: ['sh', '-c', 'trap "exit 0" TERM; while :; do :; done'], resources: { limits: { cpu: '200m', memory: '64Mi' } } }],
        },
      });
      const pod = await node.waitPod('burner', 'running', running, 45_000);
      const id = containerId(pod, 'burn');
      const pid = await node.containerPid(id);
      await sleep(1000);
      // Over the limit fails at once; under it may be the host's contention
      // (the burner's CpuShares are small), so that is measured again.
      const seen: string[] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        const t0 = process.hrtime.bigint();
        const u0 = cgroupCpuNs(id, pid);
        await sleep(4000);
        const u1 = cgroupCpuNs(id, pid);
        const t1 = process.hrtime.bigint();
        const cores = (u1 - u0) / Number(t1 - t0);
        seen.push(cores.toFixed(3));
        assert.ok(cores <= 0.3, `cpu use ${cores.toFixed(3)} cores over a 200m limit (want 0.2 ± 50%)`);
        if (cores >= 0.1) break;
      }
      const last = Number(seen[seen.length - 1]);
      assert.ok(last >= 0.1, `cpu use ${seen.join(', ')} cores, want 0.2 ± 50%`);
      process.stdout.write(`# cpu burner with a 200m limit used ${seen.join(', ')} cores\n`);
      const inspect = JSON.parse((await node.docker(['inspect', id])).stdout) as { HostConfig: { CpuQuota: number; CpuPeriod: number; Memory: number } }[];
      assert.equal(inspect[0]?.HostConfig.CpuQuota, 20_000);
      assert.equal(inspect[0]?.HostConfig.CpuPeriod, 100_000);
      assert.equal(inspect[0]?.HostConfig.Memory, 64 * 1024 * 1024);
    });

    test('a failing liveness probe restarts the container (restartCount grows, Unhealthy event)', async () => {
      await node.createPod({
        metadata: { name: 'liveness' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'main', ...BB, command: idle(),
            livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
          }],
        },
      });
      const first = await node.waitPod('liveness', 'running', running, 45_000);
      const firstId = containerId(first, 'main');
      const pod = await node.waitPod('liveness', 'restartCount >= 2', (p) => (status(p, 'main')?.restartCount ?? 0) >= 2 && p, 60_000);
      assert.notEqual(containerId(pod, 'main'), firstId);
      const ev = await node.waitEvent('liveness', 'Unhealthy', /^Liveness probe failed/);
      assert.equal(ev.type, 'Warning');
      assert.equal(ev.involvedObject.fieldPath, 'spec.containers{main}');
      await node.waitEvent('liveness', 'Killing', /Container main failed liveness probe, will be restarted/);
      // It never passed a probe: the event suggests a startupProbe.
      const hint = await node.waitEvent('liveness', 'ProbeWarning', /before it ever became ready; .*add a startupProbe/);
      assert.equal(hint.type, 'Warning');
      const restarts = (await node.k(['get', 'pod', 'liveness', '--no-headers'])).trim().split(/\s+/)[3] ?? '';
      assert.ok(Number(restarts) >= 2, `RESTARTS column ${restarts}`);
    });

    test('a failing readiness probe flips Ready to False and back without a restart', async () => {
      await node.createPod({
        metadata: { name: 'readiness' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'main', ...BB, command: idle('touch /tmp/ready; '),
            readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1, failureThreshold: 1, successThreshold: 1, timeoutSeconds: 5 },
          }],
        },
      });
      const ready = await node.waitPod('readiness', 'Ready', (p) => condition(p, 'Ready') === 'True' && p, 45_000);
      assert.match(await node.podRow('readiness'), /\s1\/1\s+Running\s/);
      const id = containerId(ready, 'main');
      assert.equal((await node.dockerExec(id, ['rm', '/tmp/ready'])).code, 0);
      const notReady = await node.waitPod('readiness', 'Ready=False', (p) => condition(p, 'Ready') === 'False' && p, 20_000);
      assert.equal(status(notReady, 'main')?.ready, false);
      assert.equal(condition(notReady, 'ContainersReady'), 'False');
      assert.match(await node.waitRow('readiness', /\s0\/1\s+Running\s/, 10_000), /^readiness\s/);
      assert.equal((await node.dockerExec(id, ['touch', '/tmp/ready'])).code, 0);
      const back = await node.waitPod('readiness', 'Ready again', (p) => condition(p, 'Ready') === 'True' && p, 20_000);
      assert.equal(status(back, 'main')?.restartCount, 0);
      assert.equal(containerId(back, 'main'), id);
      await node.waitEvent('readiness', 'Unhealthy', /^Readiness probe failed/);
    });

    test('a startup probe gates liveness and readiness until it succeeds', async () => {
      await node.createPod({
        metadata: { name: 'startup' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'main', ...BB, command: ['sh', '-c', 'trap "exit 0" TERM; sleep 5; touch /tmp/started; while true; do sleep 1; done'],
            startupProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 30, timeoutSeconds: 5 },
            // Would kill the container at once if it ran before the startup probe passed.
            livenessProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 5 },
            readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1, timeoutSeconds: 5 },
          }],
        },
      });
      const gated = await node.waitPod('startup', 'running, not started', (p) => status(p, 'main')?.state?.running && p, 45_000);
      const st = status(gated, 'main')!;
      assert.equal(st.started, false);
      assert.equal(st.ready, false);
      const startedAt = Date.parse(st.state!.running!.startedAt!);
      const ready = await node.waitPod('startup', 'started and ready', (p) => status(p, 'main')?.ready && p, 30_000);
      const rs = status(ready, 'main')!;
      assert.equal(rs.started, true);
      assert.equal(rs.restartCount, 0, 'liveness did not run before startup succeeded');
      const readyAt = Date.parse(ready.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
      assert.ok(readyAt - startedAt >= 4000, `Ready ${readyAt - startedAt} ms after start, want >= 4 s (startup gate)`);
      const unhealthy = (await node.events('startup')).filter((e) => e.reason === 'Unhealthy');
      assert.ok(unhealthy.every((e) => /^Startup probe failed/.test(e.message ?? '')), JSON.stringify(unhealthy.map((e) => e.message)));
    });

    test('restart back-off grows between restarts (CrashLoopBackOff)', async () => {
      await node.createPod({
        metadata: { name: 'crasher' },
        spec: { containers: [{ name: 'crash', ...BB, command: ['sh', '-c', 'exit 3'] }] },
      });
      // CrashLoopBackOff shows in kubectl while the back-off runs.
      const row = await node.waitRow('crasher', /\sCrashLoopBackOff\s/, 40_000);
      assert.match(row, /\s0\/1\s+CrashLoopBackOff\s/);
      const finishes = (): number[] => {
        const seen = new Set<string>();
        for (const { pod } of node.watch.get('crasher')!.history) {
          const s = status(pod, 'crash');
          for (const t of [s?.state?.terminated, s?.lastState?.terminated]) if (t?.finishedAt && t.containerID) seen.add(`${t.finishedAt}|${t.containerID}`);
        }
        return [...new Set([...seen].map((x) => Date.parse(x.split('|')[0]!)))].sort((a, b) => a - b);
      };
      await node.waitPod('crasher', '5 terminations', () => finishes().length >= 5, 120_000);
      const f = finishes();
      const gaps = f.slice(1).map((t, i) => (t - f[i]!) / 1000);
      process.stdout.write(`# gaps between terminations with a ${BACKOFF_S}s back-off base: ${gaps.join(', ')} s\n`);
      // The first restart is immediate (its gap is only start-up time, seconds on a loaded host); the back-off doubles from the second.
      assert.ok(gaps[2]! > gaps[1]! && gaps[3]! > gaps[2]!, `gaps between terminations should grow: ${gaps.join(', ')} s`);
      // base, 2*base, 4*base (the first restart is immediate), less a little for clock skew.
      assert.ok(gaps[1]! >= 0.8 * BACKOFF_S && gaps[2]! >= 1.6 * BACKOFF_S && gaps[3]! >= 3.2 * BACKOFF_S, `gaps ~${BACKOFF_S} s, ~${2 * BACKOFF_S} s, ~${4 * BACKOFF_S} s: ${gaps.join(', ')} s`);
      const pod = (await node.getPod('crasher'))!;
      const s = status(pod, 'crash')!;
      assert.equal(s.lastState?.terminated?.exitCode, 3);
      assert.equal(s.lastState?.terminated?.reason, 'Error');
      assert.ok(s.restartCount >= 3);
      await node.waitEvent('crasher', 'BackOff', /^Back-off restarting failed container crash/);
    });

    test('configMap, secret and downwardAPI volumes have the right content; a configMap update appears', async () => {
      await node.k(['create', 'configmap', 'vol-cm', '--from-literal=greeting=hello', '--from-literal=other=x']);
      await node.k(['create', 'secret', 'generic', 'vol-secret', '--from-literal=password=s3cr3t']);
      await node.createPod({
        metadata: { name: 'volumes', labels: { app: 'vol', tier: 'test' }, annotations: { note: 'n1' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'main', ...BB, command: idle(), resources: { limits: { memory: '64Mi', cpu: '250m' } },
            volumeMounts: [
              { name: 'cm', mountPath: '/etc/cm' }, { name: 'sec', mountPath: '/etc/sec' }, { name: 'info', mountPath: '/etc/info' },
              { name: 'cm-items', mountPath: '/etc/cm-items' },
            ],
          }],
          volumes: [
            { name: 'cm', configMap: { name: 'vol-cm' } },
            { name: 'cm-items', configMap: { name: 'vol-cm', items: [{ key: 'greeting', path: 'sub/hi.txt' }] } },
            { name: 'sec', secret: { secretName: 'vol-secret', defaultMode: 0o400 } },
            {
              name: 'info', downwardAPI: {
                items: [
                  { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                  { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                  { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
                  { path: 'mem', resourceFieldRef: { containerName: 'main', resource: 'limits.memory', divisor: '1Mi' } },
                  { path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' } },
                ],
              },
            },
          ],
        },
      });
      const pod = await node.waitPod('volumes', 'running', running, 45_000);
      const id = containerId(pod, 'main');
      const cat = async (path: string): Promise<string> => {
        const r = await node.dockerExec(id, ['cat', path]);
        assert.equal(r.code, 0, `cat ${path}: ${r.stderr}`);
        return r.stdout;
      };
      assert.equal(await cat('/etc/cm/greeting'), 'hello');
      assert.equal(await cat('/etc/cm/other'), 'x');
      assert.equal(await cat('/etc/cm-items/sub/hi.txt'), 'hello');
      assert.equal(await cat('/etc/sec/password'), 's3cr3t');
      const mode = await node.dockerExec(id, ['stat', '-L', '-c', '%a', '/etc/sec/password']);
      assert.equal(mode.stdout.trim(), '400');
      assert.equal(await cat('/etc/info/name'), 'volumes');
      assert.equal(await cat('/etc/info/labels'), 'app="vol"\ntier="test"');
      assert.match(await cat('/etc/info/annotations'), /^note="n1"$/m);
      assert.equal(await cat('/etc/info/mem'), '64');
      assert.equal(await cat('/etc/info/cpu'), '250');

      await node.k(['patch', 'configmap', 'vol-cm', '--type', 'merge', '-p', JSON.stringify({ data: { greeting: 'updated' } })]);
      const t0 = Date.now();
      await waitFor('the configMap update inside the container', async () => {
        node.alive();
        const r = await node.dockerExec(id, ['cat', '/etc/cm/greeting']);
        return r.stdout === 'updated';
      }, 45_000, 500);
      assert.equal(await cat('/etc/cm-items/sub/hi.txt'), 'updated');
      process.stdout.write(`# configMap update visible in the volume after ${Date.now() - t0} ms\n`);
    });

    test('graceful delete runs preStop, then SIGTERM', async () => {
      const dir = node.hostDir();
      chmodSync(dir, 0o777);
      writeFileSync(join(dir, 'log'), '');
      chmodSync(join(dir, 'log'), 0o666);
      await node.createPod({
        metadata: { name: 'graceful' },
        spec: {
          terminationGracePeriodSeconds: 20,
          containers: [{
            name: 'main', ...BB,
            command: ['sh', '-c', 'trap "echo term >> /out/log; exit 0" TERM; echo started >> /out/log; while true; do sleep 1; done'],
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop >> /out/log'] } } },
            volumeMounts: [{ name: 'out', mountPath: '/out' }],
          }],
          volumes: [{ name: 'out', hostPath: { path: dir, type: 'Directory' } }],
        },
      });
      const pod = await node.waitPod('graceful', 'running', running, 45_000);
      const uid = pod.metadata!.uid!;
      const t0 = Date.now();
      const del = await node.kubectl(['delete', 'pod', 'graceful', '--timeout=40s'], { timeoutMs: 50_000 });
      const took = Date.now() - t0;
      assert.equal(del.code, 0, del.stderr);
      assert.equal(readFileSync(join(dir, 'log'), 'utf8'), 'started\nprestop\nterm\n');
      assert.ok(took < 15_000, `graceful delete took ${took} ms; the container exits on SIGTERM within ~1 s`);
      await waitFor('the pod\'s Docker objects removed', async () => node.dockerIds(uid).length === 0, 20_000);
      const kill = (await node.events('graceful')).find((e) => e.reason === 'Killing');
      assert.match(kill?.message ?? '', /Stopping container main/);
    });

    test('--grace-period=0 --force removes the pod at once', async () => {
      await node.createPod({
        metadata: { name: 'forced' },
        // sleep as PID 1 ignores SIGTERM: a graceful stop would take the whole minute.
        spec: { terminationGracePeriodSeconds: 60, containers: [{ name: 'main', ...BB, command: ['sleep', '3600'] }] },
      });
      const pod = await node.waitPod('forced', 'running', running, 45_000);
      const uid = pod.metadata!.uid!;
      const t0 = Date.now();
      const del = await node.kubectl(['delete', 'pod', 'forced', '--grace-period=0', '--force'], { timeoutMs: 30_000 });
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stderr, /Immediate deletion does not wait for confirmation/);
      assert.equal(await node.getPod('forced'), undefined, 'gone from the API at once');
      await waitFor('the pod\'s containers removed', async () => node.dockerIds(uid).length === 0, 15_000, 200);
      const took = Date.now() - t0;
      assert.ok(took < 10_000, `force delete took ${took} ms to clear Docker`);
    });
  });

  describe('agent restarts', () => {
    test('kill -9 and restart of the agent: pods keep running, same containers, restart counts unchanged', async () => {
      await node.createPod({
        metadata: { name: 'steady' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            { name: 'a', ...BB, command: idle(), readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1, timeoutSeconds: 5 } },
            { name: 'b', ...BB, command: idle() },
          ],
        },
      });
      const before = await node.waitPod('steady', 'ready', (p) => condition(p, 'Ready') === 'True' && p, 45_000);
      const uid = before.metadata!.uid!;
      const ids = node.dockerIds(uid);
      const restarts = (p: Pod) => (p.status?.containerStatuses ?? []).map((c) => `${c.name}=${c.restartCount}:${c.containerID}`).sort();
      const others = new Map<string, string[]>();
      for (const name of ['duo', 'volumes', 'readiness', 'startup']) {
        const p = await node.getPod(name);
        if (p?.status?.phase === 'Running') others.set(name, restarts(p));
      }
      const syncs = node.syncCount();

      await node.killAgent();
      assert.equal(node.agent?.proc.signalCode, 'SIGKILL');
      await sleep(1000);
      node.startAgent();
      await waitFor('the restarted agent in sync', async () => { node.alive(); return node.syncCount() > syncs; }, 30_000);
      await sleep(2000);

      assert.deepEqual(node.dockerIds(uid), ids, 'the same Docker objects');
      const afterPod = await node.waitPod('steady', 'ready after the restart', (p) => condition(p, 'Ready') === 'True' && p, 20_000);
      assert.deepEqual(restarts(afterPod), restarts(before));
      assert.match(await node.podRow('steady'), /\s2\/2\s+Running\s+0\s/);
      for (const [name, want] of others) {
        const p = await node.getPod(name);
        const evs = (await node.events(name)).map((e) => `${e.lastTimestamp ?? ''} ${e.reason}: ${e.message ?? ''}`).join('\n');
        assert.deepEqual(restarts(p!), want, `${name} untouched by the agent restart; its events:\n${evs}`);
      }
      assert.match(node.agentLog(100_000), /using stored node credentials/);

      // The re-adopted pod is still managed: a killed container is restarted by the new agent.
      await node.docker(['kill', containerId(afterPod, 'b')]);
      const restarted = await node.waitPod('steady', 'b restarted', (p) => status(p, 'b')?.restartCount === 1 && status(p, 'b')?.state?.running && p, 30_000);
      assert.equal(status(restarted, 'a')?.restartCount, 0);
    });
  });
});

