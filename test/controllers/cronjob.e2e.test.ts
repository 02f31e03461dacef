/**
 * End to end: two batch/v1 CronJobs on `*\/1 * * * *` run by skiff-master's cronjob controller
 * on one real agent, checked with the real kubectl:
 * - `tick` (echo, successfulJobsHistoryLimit 1) runs a Job named `tick-<minutes>` that completes;
 *   `kubectl get cronjob` shows a LAST SCHEDULE; the next run's completion prunes the first Job.
 * - `hold` (sleep, concurrencyPolicy Forbid) keeps its first Job running, so the next minute
 *   starts nothing (JobAlreadyActive) and it still has exactly one Job.
 * Takes two to three minutes (two schedule minutes). Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentNode } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';

function cronJob(name: string, extra: Record<string, unknown>, command: string[]): unknown {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/1 * * * *', ...extra,
      jobTemplate: {
        metadata: { labels: { cron: name } },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
              containers: [{ name: 'c', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command }],
            },
          },
        },
      },
    },
  };
}

interface JobLite { metadata: { name: string; uid: string; annotations?: Record<string, string>; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; uid: string }[] }; status?: { conditions?: { type: string; status: string }[] } }

describe('CronJobs on one real agent', { skip }, () => {
  let node: AgentNode;

  before(async () => {
    node = await AgentNode.start();
  });

  after(async () => {
    if (node) {
      await node.kubectl(['delete', 'cronjob', 'tick', 'hold', '--ignore-not-found', '--wait=false']).catch(() => undefined);
      await node.kubectl(['delete', 'jobs', '--all', '--wait=false']).catch(() => undefined);
    }
    await node?.stop();
  });

  const jobsOf = async (cron: string): Promise<JobLite[]> => {
    const list = JSON.parse(await node.k(['get', 'jobs', '-l', `cron=${cron}`, '-o', 'json'])) as { items: JobLite[] };
    return list.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  };
  const complete = (j: JobLite) => !!j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');

  test('runs Jobs on schedule, prunes history, and Forbid skips while one runs', async () => {
    await node.k(['apply', '-f', '-'], { input: JSON.stringify(cronJob('tick', { successfulJobsHistoryLimit: 1 }, ['echo', 'tick'])) });
    await node.k(['apply', '-f', '-'], { input: JSON.stringify(cronJob('hold', { concurrencyPolicy: 'Forbid' }, ['sleep', '600'])) });
    const cj = JSON.parse(await node.k(['get', 'cronjob', 'tick', '-o', 'json'])) as { metadata: { uid: string }; spec: Record<string, unknown> };
    assert.equal(cj.spec.concurrencyPolicy, 'Allow', 'defaulted');
    assert.equal(cj.spec.suspend, false);

    // 1. the first run completes
    const first = await waitFor('the first tick Job to complete', async () => {
      node.alive();
      return (await jobsOf('tick')).find(complete);
    }, 110_000, 1000);
    assert.match(first.metadata.name, /^tick-\d+$/);
    const minutes = Number(first.metadata.name.slice('tick-'.length));
    assert.equal(first.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    assert.equal(first.metadata.ownerReferences?.[0]?.kind, 'CronJob');
    assert.equal(first.metadata.ownerReferences?.[0]?.uid, cj.metadata.uid);
    const pods = JSON.parse(await node.k(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${first.metadata.name}`, '-o', 'json'])) as { items: { metadata: { name: string } }[] };
    assert.equal((await node.k(['logs', pods.items[0]!.metadata.name])).trim(), 'tick');

    const row = await waitFor('kubectl get cronjob tick with a LAST SCHEDULE', async () => {
      const out = (await node.kubectl(['get', 'cronjob', 'tick'])).stdout;
      const [header, line] = out.trim().split('\n');
      if (!header || !line) return undefined;
      const at = header.indexOf('LAST SCHEDULE');
      const cell = line.slice(at).trim().split(/\s+/)[0];
      return cell && cell !== '<none>' ? { header, line, cell } : undefined;
    }, 20_000, 500);
    assert.match(row.header, /NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE/);
    assert.match(row.line, /^tick\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+\d+\s+/);
    assert.match(row.cell, /^\d+s$|^\d+m\d*s?$/);
    const status = JSON.parse(await node.k(['get', 'cronjob', 'tick', '-o', 'json'])) as { status: { lastScheduleTime?: string; lastSuccessfulTime?: string } };
    assert.equal(status.status.lastScheduleTime !== undefined, true);
    await waitFor('lastSuccessfulTime', async () => {
      const s = JSON.parse(await node.k(['get', 'cronjob', 'tick', '-o', 'json'])) as { status: { lastSuccessfulTime?: string } };
      return s.status.lastSuccessfulTime;
    }, 20_000, 500);

    // 2. hold's first Job is running
    const holdFirst = await waitFor('the hold Job', async () => (await jobsOf('hold'))[0], 30_000, 1000);

    // 3. the next minute: tick runs again and its completion prunes the first Job (limit 1)
    const pruned = await waitFor('a second tick Job completed and the first one pruned', async () => {
      node.alive();
      const jobs = await jobsOf('tick');
      return jobs.length === 1 && jobs[0]!.metadata.name !== first.metadata.name && complete(jobs[0]!) ? jobs[0] : undefined;
    }, 110_000, 1000);
    assert.ok(Number(pruned.metadata.name.slice('tick-'.length)) > minutes);
    const tickEvents = await node.events('tick');
    assert.ok(tickEvents.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${first.metadata.name}`), JSON.stringify(tickEvents.map((e) => `${e.reason}: ${e.message}`)));
    assert.ok(tickEvents.filter((e) => e.reason === 'SuccessfulCreate').length >= 2);
    assert.ok(tickEvents.some((e) => e.reason === 'SawCompletedJob'));

    // 4. Forbid: the same minute passed for hold without a second Job
    await node.waitEvent('hold', 'JobAlreadyActive', /concurrency policy is Forbid/, 30_000);
    const holdJobs = await jobsOf('hold');
    assert.deepEqual(holdJobs.map((j) => j.metadata.name), [holdFirst.metadata.name]);
    const hold = JSON.parse(await node.k(['get', 'cronjob', 'hold', '-o', 'json'])) as { status: { active?: { name: string }[] } };
    assert.deepEqual(hold.status.active?.map((r) => r.name), [holdFirst.metadata.name]);
  });
});
