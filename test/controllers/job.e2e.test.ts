/**
 * End to end: a batch/v1 Job (completions 5, parallelism 2, busybox `echo done`) run by
 * skiff-master's job controller and scheduler on one real agent completes; `kubectl get job`
 * shows 5/5 and a pod watch never sees more than 2 active pods at once.
 * Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { AgentNode } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';

const manifest = {
  apiVersion: 'batch/v1', kind: 'Job',
  metadata: { name: 'echo-job', namespace: 'default' },
  spec: {
    completions: 5, parallelism: 2,
    template: {
      spec: {
        restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
        containers: [{ name: 'echo', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['echo', 'done'] }],
      },
    },
  },
};

const isActive = (p: Pod): boolean => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

describe('Job with completions 5 and parallelism 2 on one real agent', { skip }, () => {
  let node: AgentNode;

  before(async () => {
    node = await AgentNode.start();
  });

  after(async () => {
    await node?.stop();
  });

  test('completes 5/5 with never more than 2 active pods', async () => {
    let maxActive = 0;
    const seen = new Set<string>();
    const sample = (): void => {
      let n = 0;
      for (const rec of node.watch.pods.values()) {
        const ref = rec.pod.metadata?.ownerReferences?.find((r) => r.controller);
        if (ref?.kind !== 'Job' || ref.name !== 'echo-job') continue;
        seen.add(rec.pod.metadata!.name!);
        if (!rec.deleted && isActive(rec.pod)) n++;
      }
      maxActive = Math.max(maxActive, n);
    };
    const off = node.watch.onChange(sample);
    try {
      await node.k(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
      const row = await waitFor('kubectl get job echo-job shows 5/5 Complete', async () => {
        const out = (await node.kubectl(['get', 'job', 'echo-job', '--no-headers'])).stdout.trim();
        return /^echo-job\s+Complete\s+5\/5\s/.test(out) ? out : undefined;
      }, 45_000, 500);
      sample();
      assert.match(row, /5\/5/);
      assert.ok(maxActive <= 2, `at most 2 active pods at once, saw ${maxActive}`);
      assert.ok(maxActive >= 1);
      assert.equal(seen.size, 5, `exactly 5 pods were created: ${[...seen].join(',')}`);
      const job = JSON.parse(await node.k(['get', 'job', 'echo-job', '-o', 'json'])) as { metadata: { uid: string }; status: { succeeded: number; active?: number; startTime?: string; completionTime?: string; conditions: { type: string; status: string }[] } };
      assert.equal(job.status.succeeded, 5);
      assert.ok(!job.status.active);
      assert.ok(job.status.startTime && job.status.completionTime);
      assert.ok(job.status.conditions.some((c) => c.type === 'Complete' && c.status === 'True'));
      const pods = JSON.parse(await node.k(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=echo-job', '-o', 'json'])) as { items: Pod[] };
      assert.equal(pods.items.length, 5);
      for (const p of pods.items) {
        assert.equal(p.status?.phase, 'Succeeded');
        assert.equal(p.metadata?.ownerReferences?.[0]?.uid, job.metadata.uid);
      }
      const logs = await node.k(['logs', pods.items[0]!.metadata!.name!]);
      assert.equal(logs.trim(), 'done');
      const events = await node.events('echo-job');
      assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate').length, 5);
    } finally {
      off();
    }
  });
});
