/**
 * End to end: the node lifecycle controller, run in this process with short timeouts
 * (grace 6 s, eviction 5 s) next to skiff-master's own loops, on one real agent. Killing the
 * agent makes the node Ready=Unknown with the unreachable NoExecute taint; the pod goes after
 * its toleration; restarting the agent clears the taint.
 * Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { EtcdStorage, NamespaceCache, Registry } from '@skiff/apiserver';
import { createLogger } from '@skiff/logging';
import { startControlPlaneLoops } from '@skiff/controllers';
import { AgentNode } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

interface NodeView { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] }; spec?: { taints?: { key: string; effect: string; timeAdded?: string }[] } }

describe('node lifecycle: a stopped agent, its pods and its return', { skip }, () => {
  let node: AgentNode;
  let etcd: Etcd3;
  let ns: NamespaceCache;
  let loops: { stop(): Promise<void> } | undefined;

  const getNode = async (): Promise<NodeView> => {
    const r = await node.cp.rawGet(`/api/v1/nodes/${node.nodeName}`);
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as NodeView;
  };

  before(async () => {
    node = await AgentNode.start({ agentFlags: ['--lease-renew-interval', '1s', '--node-status-interval', '2s'] });
    etcd = new Etcd3({ hosts: [node.cp.etcd.clientUrl], dialTimeout: 5000 });
    ns = new NamespaceCache();
    const log = createLogger({ file: join(node.cp.dir, 'node-lifecycle-loops.log'), console: false, level: 'debug' });
    const registry = new Registry(new EtcdStorage(etcd), ns);
    await ns.start(registry, log);
    loops = await startControlPlaneLoops({
      registry, log, leaderElection: false, controllers: ['nodelifecycle'],
      nodeMonitorGracePeriodMs: 6000, podEvictionTimeoutMs: 5000,
    });
  });

  after(async () => {
    await loops?.stop();
    ns?.close();
    etcd?.close();
    await node?.stop();
  });

  test('killed agent: Ready Unknown + unreachable taint, pod evicted after 5 s; restarted agent: taint removed', async () => {
    await node.createPod({
      metadata: { name: 'victim' },
      spec: {
        terminationGracePeriodSeconds: 1,
        // A pod without its own toleration gets DefaultTolerationSeconds' 300 s; this one asks for 5 s.
        tolerations: [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }],
        containers: [{ name: 'main', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
      },
    });
    await node.waitPod('victim', 'Running and ready', (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 20_000);
    assert.ok(!(await getNode()).spec?.taints?.some((t) => t.key === UNREACHABLE));

    const killedAt = Date.now();
    await node.killAgent();

    const tainted = await waitFor('node Ready=Unknown with the unreachable taint', async () => {
      const n = await getNode();
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      const taint = n.spec?.taints?.find((t) => t.key === UNREACHABLE && t.effect === 'NoExecute');
      return ready?.status === 'Unknown' && taint ? { ready, taint } : undefined;
    }, 20_000, 250);
    const taintedAt = Date.now();
    assert.ok(taintedAt - killedAt >= 5000, `not before the grace period (${taintedAt - killedAt} ms)`);
    assert.equal(tainted.ready.reason, 'NodeStatusUnknown');
    assert.equal(tainted.ready.message, 'Kubelet stopped posting node status.');
    const row = (await node.kubectl(['get', 'nodes', node.nodeName, '--no-headers'])).stdout;
    assert.match(row, /\sNotReady\s/);
    await node.watch.until('victim', 'Ready=False', (rec) => rec.pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False'), 10_000);

    const deletedAt = await node.watch.until('victim', 'deletionTimestamp set (evicted)', (rec) => (rec.pod.metadata?.deletionTimestamp || rec.deleted ? Date.now() : undefined), 15_000);
    const taintTime = Date.parse(tainted.taint.timeAdded ?? '') || taintedAt;
    assert.ok(deletedAt - taintTime >= 4000, `evicted after the 5 s toleration (${deletedAt - taintTime} ms after the taint)`);
    const events = await node.events('victim');
    assert.ok(events.some((e) => e.reason === 'TaintManagerEviction'), events.map((e) => e.reason).join(','));
    const nodeEvents = await node.events(node.nodeName);
    assert.ok(nodeEvents.some((e) => e.reason === 'NodeNotReady'), nodeEvents.map((e) => e.reason).join(','));

    node.startAgent();
    await node.waitNodeReady(20_000);
    await waitFor('the unreachable taint removed', async () => !(await getNode()).spec?.taints?.some((t) => t.key === UNREACHABLE), 10_000, 250);
    await node.watch.until('victim', 'the evicted pod gone', (rec) => rec.deleted !== undefined, 20_000);
  });
});
