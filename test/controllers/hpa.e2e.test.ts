/**
 * End to end: an autoscaling/v2 HorizontalPodAutoscaler on a Deployment, run by skiff-master's
 * HPA controller (sync period 3 s) from the metrics the real agent reports (what
 * `kubectl top` reads). The pods (cpu request 100m, limit 200m) burn CPU in a busybox loop
 * until a `stop` file appears in a hostPath directory the test owns: the HPA (target 50%,
 * max 3) scales the Deployment up to 3; once the test creates the file it scales back down to
 * 1 (scaleDown.stabilizationWindowSeconds: 0). Replica counts are asserted, not timings.
 * Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentNode } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';

// Burn one second at a time (bounded by the 200m limit) unless /load/stop exists.
const BURNER = 'while true; do if [ -e /load/stop ]; then sleep 1; else timeout 1 sh -c "while :; do :; done"; fi; done';

function deployment(loadDir: string): unknown {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'burner', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'burner' } },
      template: {
        metadata: { labels: { app: 'burner' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'burn', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', BURNER],
            resources: { requests: { cpu: '100m' }, limits: { cpu: '200m' } },
            volumeMounts: [{ name: 'load', mountPath: '/load' }],
          }],
          volumes: [{ name: 'load', hostPath: { path: loadDir, type: 'Directory' } }],
        },
      },
    },
  };
}

const hpa = {
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'burner', namespace: 'default' },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burner' },
    minReplicas: 1, maxReplicas: 3,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
  },
};

interface HpaLite {
  spec: { behavior?: { scaleUp?: { stabilizationWindowSeconds?: number }; scaleDown?: { stabilizationWindowSeconds?: number; policies?: unknown[] } } };
  status?: { currentReplicas?: number; desiredReplicas?: number; lastScaleTime?: string; currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[]; conditions?: { type: string; status: string; reason: string }[] };
}

describe('HorizontalPodAutoscaler on one real agent', { skip }, () => {
  let node: AgentNode;
  let loadDir: string;

  before(async () => {
    loadDir = mkdtempSync(join(tmpdir(), 'skiff-hpa-load-'));
    node = await AgentNode.start({ masterFlags: ['--horizontal-pod-autoscaler-sync-period=3s'] });
  });

  after(async () => {
    // Stop the burners first, whatever happened.
    if (loadDir) writeFileSync(join(loadDir, 'stop'), '');
    if (node) await node.kubectl(['delete', 'hpa,deployment', 'burner', '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await node?.stop();
    if (loadDir) rmSync(loadDir, { recursive: true, force: true });
  });

  const replicas = async (): Promise<number> => (JSON.parse(await node.k(['get', 'deployment', 'burner', '-o', 'json'])) as { spec: { replicas: number } }).spec.replicas;
  const getHpa = async (): Promise<HpaLite> => JSON.parse(await node.k(['get', 'hpa', 'burner', '-o', 'json'])) as HpaLite;

  test('scales up under CPU load and back down when it stops', async (t) => {
    const t0 = Date.now();
    await node.k(['apply', '-f', '-'], { input: JSON.stringify(deployment(loadDir)) });
    await node.k(['apply', '-f', '-'], { input: JSON.stringify(hpa) });
    const created = await getHpa();
    assert.equal(created.spec.behavior?.scaleUp?.stabilizationWindowSeconds, 0, 'scaleUp defaulted');
    assert.ok(created.spec.behavior?.scaleDown?.policies?.length, 'scaleDown policies defaulted');

    // kubectl top sees the burner (the same metrics the HPA reads)
    await waitFor('kubectl top pods shows the burner', async () => {
      node.alive();
      const r = await node.kubectl(['top', 'pods', '-l', 'app=burner', '--no-headers']);
      const m = /burner-\S+\s+(\d+)m/.exec(r.stdout);
      return m && Number(m[1]) >= 60 ? m[0] : undefined;
    }, 90_000, 2000);

    await waitFor('the Deployment scaled to 3 by the HPA', async () => {
      node.alive();
      return (await replicas()) === 3 ? true : undefined;
    }, 150_000, 2000);
    t.diagnostic(`scaled 1 -> 3 ${((Date.now() - t0) / 1000).toFixed(1)} s after the Deployment was applied (sync period 3 s)`);
    const up = await node.waitEvent('burner', 'SuccessfulRescale', /^New size: \d; reason: cpu resource utilization \(percentage of request\) above target$/, 20_000);
    assert.ok(up);
    const upStatus = await waitFor('HPA status with 3 current replicas', async () => {
      const h = await getHpa();
      return h.status?.currentReplicas === 3 ? h : undefined;
    }, 30_000, 1000);
    assert.equal(upStatus.status!.desiredReplicas, 3);
    assert.ok(upStatus.status!.lastScaleTime);
    const conds = Object.fromEntries((upStatus.status!.conditions ?? []).map((c) => [c.type, c]));
    assert.equal(conds.AbleToScale?.status, 'True');
    assert.equal(conds.ScalingActive?.status, 'True');
    assert.equal(conds.ScalingActive?.reason, 'ValidMetricFound');
    assert.ok(conds.ScalingLimited, 'ScalingLimited condition present');
    const row = (await node.kubectl(['get', 'hpa', 'burner', '--no-headers'])).stdout.trim();
    assert.match(row, /^burner\s+Deployment\/burner\s+cpu: \d+%\/50%\s+1\s+3\s+3\s+/);

    // load off: back down to minReplicas
    writeFileSync(join(loadDir, 'stop'), '');
    const t1 = Date.now();
    await waitFor('the Deployment scaled back to 1', async () => {
      node.alive();
      return (await replicas()) === 1 ? true : undefined;
    }, 150_000, 2000);
    t.diagnostic(`scaled back to 1 ${((Date.now() - t1) / 1000).toFixed(1)} s after the load stopped`);
    await node.waitEvent('burner', 'SuccessfulRescale', /^New size: 1; reason: All metrics below target$/, 20_000);
    const down = await waitFor('HPA status with 1 current replica', async () => {
      const h = await getHpa();
      return h.status?.currentReplicas === 1 ? h : undefined;
    }, 30_000, 1000);
    assert.ok((down.status!.currentMetrics?.[0]?.resource?.current?.averageUtilization ?? 100) < 50);
  });
});
