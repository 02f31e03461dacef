/**
 * End to end with the real kubectl, a real etcd and skiff-master, one real skiff-agent on the
 * local Docker engine, and the scheduler and controllers of @skiff/controllers: a Deployment
 * comes up, scales, rolls a new image within maxSurge/maxUnavailable (sampled from a watch),
 * rolls back with `rollout undo`, and `rollout status`/`history` print kubectl's messages.
 * Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findByKind, type KObject } from '@skiff/api';
import { ControlPlane, REPO, waitFor } from '../lib/control-plane';
import { InProcessLoops, joinAgent, removePodContainers, type JoinedAgent } from './harness';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';
const suffix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const NODE = `ctrl-node-${suffix}`;
const NS = `deploy-${suffix}`;
/** 10 is the Kubernetes tutorial's number; each pod is a pause and an httpd container. */
const SCALE_UP = Number(process.env.SKIFF_E2E_SCALE_UP ?? 10);

const manifest = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'nginx-deployment', labels: { app: 'nginx' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'nginx' } },
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'nginx', image: 'nginx:1.7.9', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }] }] },
    },
  },
};

interface PodView { deleting: boolean; ready: boolean; phase: string }

describe('Deployment with kubectl, the scheduler and one real agent', { skip }, () => {
  let cp: ControlPlane;
  let loops: InProcessLoops;
  let agent: JoinedAgent | undefined;

  const k = (args: string[], input?: string) => cp.k(['-n', NS, ...args], input === undefined ? {} : { input });
  const readyPods = async (): Promise<number> => {
    const out = await k(['get', 'pods', '-l', 'app=nginx', '--no-headers']);
    return out.split('\n').filter((l) => /\s1\/1\s+Running\s/.test(l)).length;
  };
  const rolloutStatus = async (timeout = '120s') => {
    const r = await cp.kubectl(['-n', NS, 'rollout', 'status', 'deployment/nginx-deployment', `--timeout=${timeout}`], { timeoutMs: 150_000 });
    return r;
  };

  before(async () => {
    execFileSync('bash', [join(REPO, 'test/images/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    cp = await ControlPlane.start();
    loops = await InProcessLoops.start(cp, join(cp.dir, 'loops.log'));
    agent = await joinAgent(cp, loops.registry, NODE);
    await cp.k(['create', 'namespace', NS]);
  });

  after(async () => {
    await agent?.stop();
    removePodContainers(NS);
    await loops?.stop();
    const keep = process.env.SKIFF_KEEP_LOGS;
    if (keep && cp) for (const f of ['loops.log', 'master.log']) if (existsSync(join(cp.dir, f))) copyFileSync(join(cp.dir, f), join(keep, `${suffix}-${f}`));
    if (keep && agent && existsSync(join(agent.home, 'agent.log'))) copyFileSync(join(agent.home, 'agent.log'), join(keep, `${suffix}-agent.log`));
    if (agent && !process.env.SKIFF_KEEP_AGENT_HOME) rmSync(agent.home, { recursive: true, force: true });
    await cp?.stop();
  });

  test('nginx-deployment comes up: 3 pods scheduled, running and ready; rollout status succeeds', async () => {
    await k(['apply', '-f', '-'], JSON.stringify(manifest));
    const r = await rolloutStatus();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment "nginx-deployment" successfully rolled out/);
    assert.equal(await readyPods(), 3);
    const wide = await k(['get', 'pods', '-o', 'wide', '--no-headers']);
    for (const line of wide.trim().split('\n')) assert.ok(line.includes(NODE), line);
    const row = (await k(['get', 'deployment', 'nginx-deployment', '--no-headers'])).trim();
    assert.match(row, /^nginx-deployment\s+3\/3\s+3\s+3\s/);
    const rs = JSON.parse(await k(['get', 'rs', '-o', 'json'])) as { items: KObject[] };
    assert.equal(rs.items.length, 1);
    assert.equal(rs.items[0]!.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.match(rs.items[0]!.metadata.name!, /^nginx-deployment-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const events = await k(['get', 'events', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, /ScalingReplicaSet: Scaled up replica set nginx-deployment-\w+ from 0 to 3/);
    assert.match(events, /SuccessfulCreate: Created pod: nginx-deployment-/);
    assert.match(events, /Scheduled: Successfully assigned .+ to ctrl-node-/);
  });

  test(`kubectl scale 3 -> ${SCALE_UP} -> 2`, async () => {
    await k(['scale', 'deployment/nginx-deployment', `--replicas=${SCALE_UP}`]);
    await waitFor(`${SCALE_UP} ready pods`, async () => (await readyPods()) === SCALE_UP, 120_000, 500);
    const r = await rolloutStatus();
    assert.equal(r.code, 0, r.stderr);
    await k(['scale', 'deployment/nginx-deployment', '--replicas=2']);
    await waitFor('2 pods left', async () => {
      const out = await k(['get', 'pods', '-l', 'app=nginx', '--no-headers']);
      return out.trim().split('\n').filter(Boolean).length === 2;
    }, 60_000, 500);
    const st = JSON.parse(await k(['get', 'deployment', 'nginx-deployment', '-o', 'json'])) as { status: Record<string, number> };
    assert.equal(st.status.replicas, 2);
    const history = await k(['rollout', 'history', 'deployment/nginx-deployment']);
    assert.match(history, /^1\s/m, 'scaling makes no new revision');
    assert.doesNotMatch(history, /^2\s/m);
  });

  test('kubectl set image rolls within maxSurge/maxUnavailable; rollout status prints kubectl\'s messages', async () => {
    // 2 replicas with the 25% defaults: maxSurge 1, maxUnavailable 0.
    const replicas = 2;
    const maxSurge = 1;
    const maxUnavailable = 0;
    // Start from a steady state: both pods ready (survivors of the scale-down included).
    await waitFor('2 ready pods before the rollout', async () => (await readyPods()) === replicas, 30_000, 300);
    const pods = new Map<string, PodView>();
    const samples: { total: number; ready: number }[] = [];
    const POD = findByKind('v1', 'Pod')!;
    const listed = await loops.registry.list(POD, NS, { labelSelector: 'app=nginx' });
    const view = (p: KObject): PodView => ({
      deleting: !!p.metadata.deletionTimestamp,
      phase: (p.status as { phase?: string } | undefined)?.phase ?? 'Pending',
      ready: ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    });
    for (const p of listed.items) pods.set(p.metadata.name!, view(p));
    const trace: string[] = [];
    const sample = () => {
      const live = [...pods.values()].filter((p) => !p.deleting && p.phase !== 'Succeeded' && p.phase !== 'Failed');
      samples.push({ total: live.length, ready: live.filter((p) => p.ready).length });
    };
    sample();
    const w = await loops.registry.watch(POD, NS, { labelSelector: 'app=nginx', resourceVersion: listed.resourceVersion }, (ev) => {
      if (ev.type === 'DELETED') pods.delete(ev.object.metadata.name!);
      else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') pods.set(ev.object.metadata.name!, view(ev.object));
      sample();
      const last = samples[samples.length - 1]!;
      trace.push(`${ev.type} ${ev.object.metadata.name} deleting=${!!ev.object.metadata.deletionTimestamp} ready=${view(ev.object).ready} -> total=${last.total} ready=${last.ready}`);
    }, () => undefined);
    try {
      await k(['set', 'image', 'deployment/nginx-deployment', 'nginx=skiff/web:latest']);
      const r = await rolloutStatus();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Waiting for deployment "nginx-deployment" rollout to finish: /);
      assert.match(r.stdout, /deployment "nginx-deployment" successfully rolled out\n$/);
      await waitFor('old pods gone', async () => [...pods.values()].length === replicas, 30_000);
    } finally {
      w.close();
    }
    const maxTotal = Math.max(...samples.map((s) => s.total));
    const minReady = Math.min(...samples.map((s) => s.ready));
    assert.ok(samples.length > 5, `sampled ${samples.length} events`);
    assert.ok(maxTotal <= replicas + maxSurge, `at most ${replicas + maxSurge} pods, saw ${maxTotal}:\n${trace.join('\n')}`);
    assert.ok(minReady >= replicas - maxUnavailable, `at least ${replicas - maxUnavailable} ready pods, saw ${minReady}:\n${trace.join('\n')}`);
    const images = await k(['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].spec.containers[0].image}']);
    assert.deepEqual(images.split(' ').sort(), ['skiff/web:latest', 'skiff/web:latest']);
    const history = await k(['rollout', 'history', 'deployment/nginx-deployment']);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE/m);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    const desc = await k(['describe', 'deployment', 'nginx-deployment']);
    assert.match(desc, /NewReplicaSet:\s+nginx-deployment-\w+ \(2\/2 replicas created\)/);
    assert.match(desc, /Progressing\s+True\s+NewReplicaSetAvailable/);
  });

  test('kubectl rollout undo restores the previous template as revision 3', async () => {
    await k(['rollout', 'undo', 'deployment/nginx-deployment']);
    const r = await rolloutStatus();
    assert.equal(r.code, 0, r.stderr);
    const image = await k(['get', 'deployment', 'nginx-deployment', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    assert.equal(image, 'nginx:1.7.9');
    await waitFor('pods back on nginx:1.7.9', async () => {
      const imgs = (await k(['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].spec.containers[0].image}'])).split(' ').filter(Boolean);
      return imgs.length === 2 && imgs.every((i) => i === 'nginx:1.7.9');
    }, 60_000, 500);
    const history = await k(['rollout', 'history', 'deployment/nginx-deployment']);
    assert.match(history, /^2\s/m);
    assert.match(history, /^3\s/m);
    assert.doesNotMatch(history, /^1\s/m, 'revision 1 became revision 3');
    const rev = await k(['get', 'deployment', 'nginx-deployment', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}']);
    assert.equal(rev, '3');
  });

  test('rollout pause holds a template change; resume and restart roll it', async () => {
    await k(['rollout', 'pause', 'deployment/nginx-deployment']);
    await k(['set', 'image', 'deployment/nginx-deployment', 'nginx=skiff/web:latest']);
    await new Promise((r) => setTimeout(r, 1500));
    const rsCount = (await k(['get', 'rs', '--no-headers'])).trim().split('\n').length;
    assert.equal(rsCount, 2, 'no new replica set while paused');
    const cond = await k(['get', 'deployment', 'nginx-deployment', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}']);
    assert.equal(cond, 'DeploymentPaused');
    await k(['rollout', 'resume', 'deployment/nginx-deployment']);
    let r = await rolloutStatus();
    assert.equal(r.code, 0, r.stderr);
    await k(['rollout', 'restart', 'deployment/nginx-deployment']);
    r = await rolloutStatus();
    assert.equal(r.code, 0, r.stderr);
    const history = await k(['rollout', 'history', 'deployment/nginx-deployment']);
    assert.match(history, /^5\s/m);
  });

  test('the namespace got its default ServiceAccount', async () => {
    await waitFor('serviceaccount default', async () => (await cp.kubectl(['-n', NS, 'get', 'serviceaccount', 'default'])).code === 0, 15_000);
  });

  test('kubectl expose: Endpoints and an EndpointSlice list the ready pods', async () => {
    await k(['expose', 'deployment', 'nginx-deployment', '--port', '8080', '--target-port', '80']);
    // Pods of the restart's old replica set may still be terminating.
    const ips = await waitFor('2 pods', async () => {
      const got = (await k(['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ').filter(Boolean).sort();
      return got.length === 2 ? got : undefined;
    }, 30_000, 300);
    await waitFor('endpoints with the pod IPs', async () => {
      const got = (await k(['get', 'endpoints', 'nginx-deployment', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).split(' ').filter(Boolean).sort();
      return JSON.stringify(got) === JSON.stringify(ips);
    }, 20_000, 300);
    const port = await k(['get', 'endpoints', 'nginx-deployment', '-o', 'jsonpath={.subsets[0].ports[0].port}']);
    assert.equal(port, '80');
    const slice = JSON.parse(await k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=nginx-deployment', '-o', 'json'])) as { items: { addressType: string; endpoints: { addresses: string[]; conditions: { ready: boolean } }[]; ports: { port: number }[] }[] };
    assert.equal(slice.items.length, 1);
    assert.equal(slice.items[0]!.addressType, 'IPv4');
    assert.deepEqual(slice.items[0]!.endpoints.map((e) => e.addresses[0]).sort(), ips);
    assert.ok(slice.items[0]!.endpoints.every((e) => e.conditions.ready));
  });

  test('kubectl delete deployment: the garbage collector removes its replica sets and pods', async () => {
    await k(['delete', 'deployment', 'nginx-deployment']);
    await waitFor('replica sets gone', async () => (await k(['get', 'rs', '--no-headers'])).trim() === '', 30_000, 500);
    await waitFor('pods gone', async () => (await k(['get', 'pods', '--no-headers'])).trim() === '', 60_000, 500);
  });
});
