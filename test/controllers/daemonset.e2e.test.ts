/**
 * End to end: an apps/v1 DaemonSet (busybox sleep) run by skiff-master's daemonset controller
 * and scheduler on one real agent gets exactly one Running pod on the node (pinned with a
 * matchFields metadata.name node affinity); `kubectl get ds` shows DESIRED 1 CURRENT 1 READY 1;
 * changing the image rolls the pod (old one deleted, a new one with the new image Running).
 * Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { AgentNode } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';

const manifest = (image: string) => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet',
  metadata: { name: 'sleeper', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'sleeper' } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    template: {
      metadata: { labels: { app: 'sleeper' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'sleep', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
      },
    },
  },
});

const isDaemonPod = (p: Pod): boolean => p.metadata?.ownerReferences?.some((r) => r.controller && r.kind === 'DaemonSet' && r.name === 'sleeper') ?? false;

describe('DaemonSet on one real agent', { skip }, () => {
  let node: AgentNode;

  before(async () => {
    node = await AgentNode.start();
  });

  after(async () => {
    await node?.stop();
  });

  const livePods = (): Pod[] => [...node.watch.pods.values()].filter((r) => !r.deleted && isDaemonPod(r.pod) && !r.pod.metadata?.deletionTimestamp).map((r) => r.pod);

  test('one Running pod on the node, DESIRED 1 CURRENT 1 READY 1, an image change rolls the pod', async () => {
    let maxLive = 0;
    const off = node.watch.onChange(() => { maxLive = Math.max(maxLive, livePods().length); });
    try {
      await node.k(['apply', '-f', '-'], { input: JSON.stringify(manifest('skiff/busybox:latest')) });
      const first = await waitFor('one Running daemon pod', async () => {
        const pods = livePods();
        return pods.length === 1 && pods[0]!.status?.phase === 'Running' && pods[0]!.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pods[0] : undefined;
      }, 20_000, 200);
      assert.equal(first.spec?.nodeName, node.nodeName);
      assert.deepEqual(first.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [
        { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node.nodeName] }] },
      ]);
      assert.ok(first.metadata?.labels?.['controller-revision-hash']);
      assert.ok(first.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));

      const row = await waitFor('kubectl get ds shows 1 1 1', async () => {
        const out = (await node.kubectl(['get', 'ds', 'sleeper', '--no-headers'])).stdout.trim();
        return /^sleeper\s+1\s+1\s+1\s+1\s+1\s/.test(out) ? out : undefined;
      }, 10_000, 300);
      assert.match(row, /^sleeper\s+1\s+1\s+1\s/);
      const header = (await node.k(['get', 'ds', 'sleeper'])).split('\n')[0]!;
      assert.match(header, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE/);
      assert.equal(maxLive, 1);

      // Roll: a different local image (busybox-based, so `sleep` exists).
      await node.k(['apply', '-f', '-'], { input: JSON.stringify(manifest('skiff/web:latest')) });
      const second = await waitFor('the pod rolled to the new image', async () => {
        const pods = livePods();
        const p = pods[0];
        return pods.length === 1 && p!.metadata?.uid !== first.metadata?.uid && p!.spec?.containers[0]?.image === 'skiff/web:latest'
          && p!.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      }, 25_000, 200);
      assert.notEqual(second.metadata?.labels?.['controller-revision-hash'], first.metadata?.labels?.['controller-revision-hash']);
      assert.equal(node.watch.get(first.metadata!.name!)?.deleted !== undefined || node.watch.get(first.metadata!.name!)?.pod.metadata?.deletionTimestamp !== undefined, true);
      assert.equal(maxLive, 1, 'never two live daemon pods on the node');
      await waitFor('status updated after the roll', async () => {
        const ds = JSON.parse(await node.k(['get', 'ds', 'sleeper', '-o', 'json'])) as { metadata: { generation: number }; status: Record<string, number> };
        const s = ds.status;
        return s.observedGeneration === ds.metadata.generation && s.desiredNumberScheduled === 1 && s.updatedNumberScheduled === 1 && s.numberReady === 1 && s.numberAvailable === 1 ? s : undefined;
      }, 10_000, 300);
      const events = await node.events('sleeper');
      assert.ok(events.filter((e) => e.reason === 'SuccessfulCreate').length >= 2);
      assert.ok(events.some((e) => e.reason === 'SuccessfulDelete'));
    } finally {
      off();
    }
  });
});
