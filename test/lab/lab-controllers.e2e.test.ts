/**
 * Acceptance on the lab (issue 4), one bring-up of 3 nodes growing to 4:
 *   - a DaemonSet covers every node, and worker-4 added to the running lab
 *     (`skiff-lab up --nodes 4`) gets its pod;
 *   - `kubectl drain worker-1 --ignore-daemonsets --delete-emptydir-data` moves
 *     its Deployment pods to other nodes, an eviction that would break the
 *     PodDisruptionBudget's minAvailable is refused and retried, then proceeds;
 *   - kill -9 of skiff-master during `kubectl set image` on a 6-replica
 *     Deployment, master restarted: the rollout finishes with the new template,
 *     6 pods, no extra pod;
 *   - node certificates (issued for 60 s by `--node-cert-validity 60s`) are
 *     renewed by the agents over the gateway before they expire, without an
 *     agent restart and without touching a container.
 *
 * Holds /tmp/skiff-lab.lock for the whole file (see lab-harness.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabHarness, labSkipReason, sleep, waitFor } from './lab-harness';

const skip = labSkipReason();

describe('lab acceptance: DaemonSet on every node and a new one, drain with a PDB, master killed mid-rollout', { skip }, () => {
  const h = new LabHarness('skiff-lab-controllers-');
  const figures: string[] = [];

  const nodeCert = (w: string): X509Certificate => new X509Certificate(readFileSync(join(h.home, 'nodes', w, 'agent', 'agent', 'node.crt')));
  const firstCerts = new Map<string, X509Certificate>();
  const agentPids = new Map<string, number | undefined>();

  const live = async (selector: string): Promise<Awaited<ReturnType<LabHarness['pods']>>> => (await h.pods(selector)).filter((p) => !p.deleting);

  before(async () => {
    await h.acquire();
    h.log(`lab state dir: ${h.home}`);
    const ms = await h.up(['--nodes', '3', '--node-monitor-grace-period', '20s', '--pod-eviction-timeout', '10s', '--node-cert-validity', '60s']);
    figures.push(`bring-up (3 etcd, 1 master, 3 nodes): ${(ms / 1000).toFixed(1)} s`);
    for (const w of ['worker-1', 'worker-2', 'worker-3']) {
      firstCerts.set(w, nodeCert(w));
      agentPids.set(w, h.pidOf(w, 'agent'));
    }
  });

  after(async () => {
    process.stderr.write(`figures:\n  ${figures.join('\n  ')}\n`);
    await h.cleanup();
  });

  test('a DaemonSet covers every node, and a node added to the lab gets its pod', async () => {
    await h.apply({
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'node-agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'node-agent' } },
        template: {
          metadata: { labels: { app: 'node-agent' } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '100000'] }] },
        },
      },
    });
    const onNodes = async (): Promise<string[]> => (await live('app=node-agent')).filter((p) => p.phase === 'Running').map((p) => p.node).sort();
    await waitFor('a Running node-agent pod on each of the 3 nodes', async () => {
      const n = await onNodes();
      return n.join(',') === 'worker-1,worker-2,worker-3' ? true : undefined;
    }, 120_000, 1500);

    const t0 = Date.now();
    const out = await h.labOk(['up', '--nodes', '4', '--no-merge-kubeconfig'], 300_000);
    assert.match(out, /already running/);
    figures.push(`worker-4 added to the running lab in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await waitFor('a Running node-agent pod on worker-4 too', async () => {
      const n = await onNodes();
      return n.join(',') === 'worker-1,worker-2,worker-3,worker-4' ? true : undefined;
    }, 120_000, 1500);
    assert.equal((await h.pods('app=node-agent')).length, 4, 'one pod per node, no more');
  });

  test('drain worker-1 moves its deployment pods and respects the PodDisruptionBudget', async () => {
    // All 3 replicas on worker-1 (the others cordoned while they are created), so that draining
    // it needs more evictions than the budget allows at once.
    for (const n of ['worker-2', 'worker-3', 'worker-4']) await h.k(['cordon', n]);
    await h.apply({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 3, selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'web', image: 'skiff/web:latest', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }], readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 } }],
            volumes: [{ name: 'scratch', emptyDir: {} }],
          },
        },
      },
    });
    await waitFor('3 Ready web pods on worker-1', async () => {
      const p = await live('app=web');
      return p.length === 3 && p.every((x) => x.node === 'worker-1' && x.ready) ? true : undefined;
    }, 120_000, 1500);
    for (const n of ['worker-2', 'worker-3', 'worker-4']) await h.k(['uncordon', n]);
    await h.apply({
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    });
    await waitFor('the PDB counts 3 healthy pods', async () => {
      const r = await h.k(['get', 'pdb', 'web', '-o', 'jsonpath={.status.currentHealthy}/{.status.disruptionsAllowed}']);
      return r.trim() === '3/1' ? true : undefined;
    }, 60_000);

    const t0 = Date.now();
    const r = await h.kubectl(['drain', 'worker-1', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout', '240s'], { timeoutMs: 300_000 });
    figures.push(`drain worker-1 (3 pods behind a PDB minAvailable 2): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const text = r.stdout + r.stderr;
    h.log(text.trim());
    assert.equal(r.code, 0, `kubectl drain failed:\n${text}`);
    assert.match(text, /Cannot evict pod as it would violate the pod's disruption budget/, 'at least one eviction was refused by the budget');
    assert.match(text, /node\/worker-1 drained/);
    assert.match(await h.k(['get', 'node', 'worker-1', '--no-headers']), /SchedulingDisabled/);
    await waitFor('3 Ready web pods, none on worker-1', async () => {
      const p = await live('app=web');
      return p.length === 3 && p.every((x) => x.node !== 'worker-1' && x.ready) ? true : undefined;
    }, 120_000, 1500);
    const ds = (await live('app=node-agent')).map((p) => p.node);
    assert.ok(ds.includes('worker-1'), 'the DaemonSet pod stays on the drained node (--ignore-daemonsets)');
    await h.k(['uncordon', 'worker-1']);
  });

  test('kill -9 of skiff-master mid-rollout: the rollout finishes with the new template and 6 pods', async () => {
    const dep = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'roll', namespace: 'default' },
      spec: {
        replicas: 6, selector: { matchLabels: { app: 'roll' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
        template: {
          metadata: { labels: { app: 'roll' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [{ name: 'web', image: 'skiff/web:latest', imagePullPolicy: 'IfNotPresent', ports: [{ containerPort: 80 }], readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2 } }],
          },
        },
      },
    };
    await h.apply(dep);
    await h.k(['rollout', 'status', 'deployment/roll', '--timeout', '180s'], { timeoutMs: 200_000 });
    await h.k(['set', 'image', 'deployment/roll', 'web=nginx:1.7.9']);
    // Kill once the rollout is under way: some new pods exist, not all.
    await waitFor('the rollout under way', async () => {
      const p = await live('app=roll');
      const fresh = p.filter((x) => x.image === 'nginx:1.7.9').length;
      return fresh >= 1 && fresh < 6 ? true : undefined;
    }, 60_000, 300);
    const t0 = Date.now();
    await h.labOk(['node', 'kill', 'master-1']);
    await sleep(2000);
    await h.labOk(['node', 'start', 'master-1']);
    await h.k(['rollout', 'status', 'deployment/roll', '--timeout', '240s'], { timeoutMs: 260_000 });
    figures.push(`rollout finished ${((Date.now() - t0) / 1000).toFixed(1)} s after the master was killed`);
    await waitFor('exactly 6 pods of roll, all on the new template, Ready', async () => {
      const all = await h.pods('app=roll');
      return all.length === 6 && all.every((x) => !x.deleting && x.image === 'nginx:1.7.9' && x.ready) ? true : undefined;
    }, 90_000, 1500);
    const d = await h.json<{ spec: { template: { spec: { containers: { image: string }[] } } }; status: { replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number } }>(['get', 'deployment', 'roll']);
    assert.equal(d.spec.template.spec.containers[0]?.image, 'nginx:1.7.9');
    assert.deepEqual([d.status.replicas, d.status.updatedReplicas, d.status.readyReplicas, d.status.availableReplicas], [6, 6, 6, 6]);
    const rs = await h.json<{ items: { metadata: { name: string }; spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } } }[] }>(['get', 'replicasets', '-l', 'app=roll']);
    const scaled = rs.items.filter((x) => (x.spec.replicas ?? 0) > 0);
    assert.equal(scaled.length, 1, 'one ReplicaSet holds the replicas');
    assert.equal(scaled[0]?.spec.template.spec.containers[0]?.image, 'nginx:1.7.9');
    assert.equal(rs.items.length, 2, 'old and new ReplicaSet, no extra one from the restart');
  });

  test('node certificates are renewed over the gateway before expiry, without restarting agents or pods', async () => {
    const workers = ['worker-1', 'worker-2', 'worker-3'];
    const containers = async (): Promise<string[]> => (await Promise.all(workers.map((w) => h.nodeContainers(w)))).flat().map((c) => c.id).sort();
    const before = await containers();
    const current = new Map(workers.map((w) => [w, nodeCert(w).fingerprint256]));
    // Another renewal on every node from here, and the certificates issued at join time expired.
    const lastExpiry = Math.max(...[...firstCerts.values()].map((c) => Date.parse(c.validTo)));
    const t0 = Date.now();
    await waitFor('a further renewal on every node, past the expiry of the join-time certificates', async () => {
      const renewed = workers.every((w) => nodeCert(w).fingerprint256 !== current.get(w));
      return renewed && Date.now() > lastExpiry + 5000 ? true : undefined;
    }, 180_000, 1000);
    figures.push(`node certificates (60 s validity) renewed on all nodes; waited ${((Date.now() - t0) / 1000).toFixed(1)} s for a further round`);
    for (const w of workers) {
      const c = nodeCert(w);
      assert.notEqual(c.fingerprint256, firstCerts.get(w)!.fingerprint256, `${w} has a new certificate`);
      assert.notEqual(c.publicKey.export({ type: 'spki', format: 'pem' }), firstCerts.get(w)!.publicKey.export({ type: 'spki', format: 'pem' }), `${w} renewed with a new key`);
      assert.match(c.subject, new RegExp(`CN=system:node:${w}`));
      assert.ok(Date.parse(c.validTo) > Date.now(), `${w}: the stored certificate is valid`);
      assert.equal(h.pidOf(w, 'agent'), agentPids.get(w), `${w}: the agent was not restarted`);
    }
    // Still talking to the master with the renewed certificates: node leases renewed after the old ones expired.
    const since = Date.now();
    await waitFor('every node lease renewed with the new certificates', async () => {
      const leases = await h.json<{ items: { metadata: { name: string }; spec: { renewTime?: string } }[] }>(['get', 'leases', '-n', 'kube-node-lease']);
      return workers.every((w) => Date.parse(leases.items.find((l) => l.metadata.name === w)?.spec.renewTime ?? '') > since) ? true : undefined;
    }, 60_000, 1000);
    const nodes = (await h.k(['get', 'nodes', '--no-headers'])).trim().split('\n');
    for (const line of nodes) assert.match(line, /\sReady/, line);
    assert.deepEqual(await containers(), before, 'no container was restarted or recreated');
  });
});
