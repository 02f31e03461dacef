/**
 * Acceptance on the lab (issue 6), one bring-up: `skiff-lab up --nodes 3
 * --masters 2` with a 20 s node-monitor grace period, then with the real
 * kubectl:
 *   - 3 Ready nodes with lab addresses, Docker versions and pod ranges;
 *   - one etcd member stopped: reads and writes go on; started again it catches
 *     up (same revision as the others, `etcdctl endpoint status`);
 *   - kill -9 of an agent and restart: its pods keep running, same containers;
 *   - kill -9 of the leading master: the other serves, takes the Lease, a new
 *     Deployment comes up with exactly its replicas, the nodes stay Ready
 *     (agents failed over to the other master's gateway);
 *   - `node kill worker-2`: NotReady/Unknown, its pods recreated elsewhere after
 *     their toleration; `node start worker-2`: Ready again, old pods gone, no
 *     duplicates and no container left that no pod owns.
 *
 * Holds /tmp/skiff-lab.lock for the whole file (see lab-harness.ts). Skipped
 * with SKIFF_SKIP_LAB=1 or when not root.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LabHarness, labSkipReason, MASTER_ADDRESSES, sleeperDeployment, sleep, waitFor } from './lab-harness';

const skip = labSkipReason();

interface NodeJson { metadata: { name: string }; spec?: { podCIDR?: string }; status?: { conditions?: { type: string; status: string; lastHeartbeatTime?: string }[] } }

describe('lab acceptance: nodes, etcd member loss, agent restart, master fail-over, node loss', { skip }, () => {
  const h = new LabHarness('skiff-lab-failover-');
  const figures: string[] = [];

  const readyNodes = async (master?: number): Promise<Map<string, string>> => {
    const list = await h.json<{ items: NodeJson[] }>(['get', 'nodes'], master);
    return new Map(list.items.map((n) => [n.metadata.name, n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown']));
  };

  const runningPods = async (app: string): Promise<Awaited<ReturnType<LabHarness['pods']>>> =>
    (await h.pods(`app=${app}`)).filter((p) => !p.deleting);

  const waitDeploymentReady = async (app: string, replicas: number, timeoutMs = 180_000): Promise<void> => {
    await waitFor(`${replicas} Running Ready pods of ${app}`, async () => {
      const pods = await runningPods(app);
      return pods.length === replicas && pods.every((p) => p.phase === 'Running' && p.ready) ? true : undefined;
    }, timeoutMs, 1500);
  };

  before(async () => {
    await h.acquire();
    h.log(`lab state dir: ${h.home}`);
    const ms = await h.up(['--nodes', '3', '--masters', '2', '--node-monitor-grace-period', '20s', '--pod-eviction-timeout', '10s']);
    figures.push(`bring-up (3 etcd, 2 masters, 3 nodes): ${(ms / 1000).toFixed(1)} s`);
  });

  after(async () => {
    process.stderr.write(`figures:\n  ${figures.join('\n  ')}\n`);
    await h.cleanup();
  });

  test('kubectl get nodes -o wide: 3 Ready nodes, lab addresses, docker versions, pod ranges', async () => {
    const out = await h.k(['get', 'nodes', '-o', 'wide', '--no-headers']);
    h.log(out.trim());
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    assert.equal(rows.length, 3, out);
    for (const [i, row] of rows.entries()) {
      assert.equal(row[0], `worker-${i + 1}`);
      assert.equal(row[1], 'Ready');
      assert.equal(row[5], `10.250.0.${101 + i}`, `INTERNAL-IP of ${row[0]}`);
      assert.match(row[row.length - 1]!, /^docker:\/\/\d+\.\d+/);
    }
    const cidrs = (await h.k(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR}{"\\n"}{end}'])).trim().split('\n');
    assert.equal(cidrs.length, 3);
    const ranges = cidrs.map((l) => l.split('=')[1] ?? '');
    for (const r of ranges) assert.match(r, /^10\.244\.\d+\.0\/24$/, `pod range ${r}`);
    // The range the master records is the one the node's pods really get (docker0 of worker-i is 10.244.i.1/24).
    for (const l of cidrs) assert.equal(l, `${l.split('=')[0]}=10.244.${l.split('=')[0]!.replace('worker-', '')}.0/24`, 'node.spec.podCIDR matches the node\'s bridge');
    assert.equal(new Set(ranges).size, 3, 'every node has its own pod range');
  });

  test('etcd member stopped: reads and writes go on; restarted, it catches up', async () => {
    await h.labOk(['node', 'stop', 'etcd-2']);
    const revBefore = (await h.etcdRevisions(['10.250.0.11']))?.get('http://10.250.0.11:2379') ?? 0;
    for (let i = 0; i < 5; i++) {
      await h.k(['create', 'configmap', `while-etcd2-down-${i}`, `--from-literal=i=${i}`]);
    }
    assert.equal((await h.k(['get', 'configmap', 'while-etcd2-down-4', '-o', 'jsonpath={.data.i}'])).trim(), '4', 'a write made with etcd-2 down reads back');
    const revs = await h.etcdRevisions();
    assert.ok(!revs.has('http://10.250.0.12:2379'), 'etcd-2 does not answer while stopped');
    assert.ok((revs.get('http://10.250.0.11:2379') ?? 0) >= revBefore + 5, `the cluster moved on (${revBefore} -> ${revs.get('http://10.250.0.11:2379')})`);

    const t0 = Date.now();
    await h.labOk(['node', 'start', 'etcd-2']);
    const final = await waitFor('etcd-2 at the same revision as etcd-1 and etcd-3', async () => {
      const r = await h.etcdRevisions();
      const v = [...r.values()];
      return v.length === 3 && v.every((x) => x === v[0]) ? v[0] : undefined;
    }, 60_000, 500);
    figures.push(`etcd-2 caught up to revision ${final} ${((Date.now() - t0) / 1000).toFixed(1)} s after node start`);
    assert.ok(final >= (revs.get('http://10.250.0.11:2379') ?? 0));
  });

  test('kill -9 of an agent and restart: its pods keep running with the same containers', async () => {
    await h.apply(sleeperDeployment('keep', 6));
    await waitDeploymentReady('keep', 6);
    const onW1 = (await runningPods('keep')).filter((p) => p.node === 'worker-1');
    assert.ok(onW1.length >= 1, 'the scheduler spread the 6 pods so worker-1 runs some');
    const before = (await h.nodeContainers('worker-1')).filter((c) => onW1.some((p) => p.uid === c.podUid)).map((c) => c.id).sort();
    assert.ok(before.length >= onW1.length);

    const pid = h.pidOf('worker-1', 'agent');
    assert.ok(pid, 'worker-1 agent pid');
    process.kill(pid, 'SIGKILL');
    await waitFor('the agent gone', async () => (h.pidOf('worker-1', 'agent') === undefined ? true : undefined), 10_000, 200);
    assert.ok(h.pidOf('worker-1', 'dockerd'), 'dockerd of worker-1 still runs');
    await h.labOk(['node', 'start', 'worker-1']);
    await waitDeploymentReady('keep', 6);
    const afterPods = (await runningPods('keep')).filter((p) => p.node === 'worker-1');
    assert.deepEqual(afterPods.map((p) => p.uid).sort(), onW1.map((p) => p.uid).sort(), 'the same pods on worker-1');
    const afterIds = (await h.nodeContainers('worker-1')).filter((c) => onW1.some((p) => p.uid === c.podUid)).map((c) => c.id).sort();
    assert.deepEqual(afterIds, before, 'the same containers run (none restarted or recreated)');
  });

  test('kill -9 of the leading master: the other serves, takes the lease, runs a deployment end to end', async () => {
    const holder = await h.leaseHolder();
    const m = /^master-(\d)_/.exec(holder);
    assert.ok(m, `lease holder names a lab master: "${holder}"`);
    const leader = Number(m[1]) - 1;
    const other = 1 - leader;
    const leaseDuration = Number((await h.k(['get', 'lease', '-n', 'kube-system', 'skiff-controller-manager', '-o', 'jsonpath={.spec.leaseDurationSeconds}'])).trim()) || 15;
    h.master = other;
    const t0 = Date.now();
    await h.labOk(['node', 'kill', `master-${leader + 1}`]);
    const apiUp = await waitFor(`master-${other + 1} answers`, async () => ((await h.kubectl(['get', '--raw', '/readyz'])).code === 0 ? Date.now() - t0 : undefined), 30_000, 250);
    const newHolder = await waitFor(`master-${other + 1} holds the lease`, async () => {
      const x = await h.leaseHolder();
      return x.startsWith(`master-${other + 1}_`) ? x : undefined;
    }, (leaseDuration + 60) * 1000, 500);
    const tookMs = Date.now() - t0;
    figures.push(`master fail-over: API on ${MASTER_ADDRESSES[other]} answered ${(apiUp / 1000).toFixed(1)} s, lease taken ${(tookMs / 1000).toFixed(1)} s after kill -9 (lease duration ${leaseDuration} s)`);
    h.log(`new leader ${newHolder}`);

    await h.apply(sleeperDeployment('after-failover', 4));
    await waitDeploymentReady('after-failover', 4);
    await sleep(3000);
    const pods = await h.pods('app=after-failover');
    assert.equal(pods.length, 4, `exactly 4 pods, no duplicates: ${pods.map((p) => p.name).join(' ')}`);
    assert.equal((await runningPods('keep')).length, 6, 'the earlier deployment neither lost nor gained pods');
    // The agents' logs/exec tunnels followed them to the surviving master.
    for (const p of pods) {
      const r = await h.kubectl(['logs', p.name, '--tail', '1']);
      assert.equal(r.code, 0, `kubectl logs ${p.name} (on ${p.node}) through master-${other + 1}: ${r.stderr}`);
    }
    // The agents were on the dead master's gateway or not: all nodes keep a fresh Ready heartbeat.
    await waitFor('every node renews its status through the surviving master', async () => {
      const list = await h.json<{ items: NodeJson[] }>(['get', 'nodes']);
      const ok = list.items.filter((n) => {
        const c = n.status?.conditions?.find((x) => x.type === 'Ready');
        return c?.status === 'True';
      });
      return ok.length === 3 ? true : undefined;
    }, 30_000);
    for (const [name, st] of await readyNodes()) assert.equal(st, 'True', `${name} stays Ready`);
    const leases = await h.json<{ items: { metadata: { name: string }; spec: { renewTime?: string } }[] }>(['get', 'leases', '-n', 'kube-node-lease']);
    const renewT0 = new Map(leases.items.map((l) => [l.metadata.name, l.spec.renewTime ?? '']));
    await waitFor('node leases renewed after the fail-over', async () => {
      const now = await h.json<{ items: { metadata: { name: string }; spec: { renewTime?: string } }[] }>(['get', 'leases', '-n', 'kube-node-lease']);
      return now.items.filter((l) => l.metadata.name.startsWith('worker-') && l.spec.renewTime !== renewT0.get(l.metadata.name)).length === 3 ? true : undefined;
    }, 40_000);

    await h.labOk(['node', 'start', `master-${leader + 1}`]);
    await h.k(['delete', 'deployment', 'after-failover', '--wait=false']);
  });

  test('node kill worker-2: NotReady, its pods recreated elsewhere; node start: Ready, old pods cleaned up', async () => {
    await waitDeploymentReady('keep', 6);
    const lost = (await runningPods('keep')).filter((p) => p.node === 'worker-2');
    assert.ok(lost.length >= 1, 'worker-2 runs pods of keep');
    const t0 = Date.now();
    await h.labOk(['node', 'kill', 'worker-2']);
    const notReadyMs = await waitFor('worker-2 NotReady/Unknown', async () => ((await readyNodes()).get('worker-2') !== 'True' ? Date.now() - t0 : undefined), 120_000, 1000);
    figures.push(`worker-2 not Ready ${(notReadyMs / 1000).toFixed(1)} s after node kill (grace period 20 s)`);
    const recreatedMs = await waitFor('keep back to 6 Running pods, none on worker-2', async () => {
      const pods = (await runningPods('keep')).filter((p) => p.node !== 'worker-2');
      return pods.length === 6 && pods.every((p) => p.phase === 'Running' && p.ready) ? Date.now() - t0 : undefined;
    }, 180_000, 1500);
    figures.push(`worker-2 pods recreated on other nodes ${(recreatedMs / 1000).toFixed(1)} s after node kill (tolerationSeconds 5)`);

    await h.labOk(['node', 'start', 'worker-2']);
    assert.equal((await readyNodes()).get('worker-2'), 'True');
    await waitFor('the old worker-2 pods gone from the API', async () => {
      const pods = await h.pods('app=keep');
      return pods.length === 6 && !pods.some((p) => lost.some((l) => l.uid === p.uid)) ? true : undefined;
    }, 120_000, 1500);
    const pods = await h.pods('app=keep');
    assert.equal(pods.filter((p) => p.phase === 'Running').length, 6, 'exactly 6 pods, no duplicates');
    await waitFor('no container of a vanished pod left on worker-2', async () => {
      const live = new Set((await h.pods(undefined, 'default')).map((p) => p.uid));
      const stray = (await h.nodeContainers('worker-2', true)).filter((c) => !live.has(c.podUid));
      return stray.length === 0 ? true : undefined;
    }, 90_000, 2000);
  });
});
