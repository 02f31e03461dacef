/**
 * Image pulls end to end: the local registries of scripts/registry.sh (an
 * open one and one with basic auth), a real skiff-agent allowed to pull from
 * them only, and kubectl. Set SKIFF_SKIP_DOCKER=1 to skip; skipped too when
 * Debian's docker-registry is not installed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';
import { AgentNode, startLocalRegistries, stopLocalRegistries, type LocalRegistries } from '../lib/agent-node';
import { run, waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1' || !existsSync('/usr/bin/docker-registry');

const idle = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'];

function main(pod: Pod): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === 'main');
}

describe('image pulls from local registries', { skip, concurrency: true }, () => {
  let node: AgentNode;
  let reg: LocalRegistries;

  before(async () => {
    reg = await startLocalRegistries();
    node = await AgentNode.start();
  });

  after(async () => {
    await node?.stop();
    // Untag what the pulls left behind (the same image as skiff/busybox:latest).
    if (reg) await run('docker', ['rmi', `${reg.open}/${reg.image}`, `${reg.auth}/${reg.image}`]);
    if (reg) await stopLocalRegistries();
  });

  const pod = (name: string, image: string, extra: Pod['spec'] = { containers: [] }): Pod => ({
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 2, ...extra, containers: [{ name: 'main', image, imagePullPolicy: 'Always', command: idle }] },
  });

  test('a pod pulls its image from the open local registry', async () => {
    const image = `${reg.open}/${reg.image}`;
    await node.createPod(pod('open-pull', image));
    const p = await node.waitPod('open-pull', 'running', (x) => main(x)?.state?.running && x, 60_000);
    assert.match(main(p)?.imageID ?? '', new RegExp(`^docker-pullable://${reg.open.replace(/\./g, '\\.')}/skiff/busybox@sha256:[0-9a-f]{64}$`));
    assert.equal(main(p)?.image, image);
    await node.waitEvent('open-pull', 'Pulling', new RegExp(`^Pulling image "${image}"$`));
    await node.waitEvent('open-pull', 'Pulled', /^Successfully pulled image ".*" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/);
    assert.match(await node.waitRow('open-pull', /\s1\/1\s+Running\s/, 10_000), /^open-pull\s/);
  });

  test('a pod pulls from the registry with basic auth using an imagePullSecret', async () => {
    await node.k(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${reg.auth}`, `--docker-username=${reg.user}`, `--docker-password=${reg.password}`]);
    const image = `${reg.auth}/${reg.image}`;
    await node.createPod(pod('auth-pull', image, { containers: [], imagePullSecrets: [{ name: 'regcred' }] }));
    const p = await node.waitPod('auth-pull', 'running', (x) => main(x)?.state?.running && x, 60_000);
    assert.match(main(p)?.imageID ?? '', /^docker-pullable:\/\/127\.0\.0\.1:\d+\/skiff\/busybox@sha256:/);
    await node.waitEvent('auth-pull', 'Pulled', /^Successfully pulled image/);
  });

  test('without the imagePullSecret the auth registry refuses the pull: ErrImagePull', async () => {
    const image = `${reg.auth}/${reg.image}`;
    await node.createPod(pod('auth-denied', image));
    const w = await node.waitPod('auth-denied', 'ErrImagePull', (x) => main(x)?.state?.waiting?.reason === 'ErrImagePull' && main(x)!.state!.waiting!, 60_000);
    assert.match(w.message ?? '', /no basic auth credentials|unauthorized|authentication required/i);
    await node.waitEvent('auth-denied', 'Failed', new RegExp(`^Failed to pull image "${image.replace(/\./g, '\\.')}": `));
  });

  test('a missing image shows ErrImagePull, then ImagePullBackOff', async () => {
    const image = `${reg.open}/skiff/does-not-exist:1`;
    await node.createPod(pod('missing', image));
    // ErrImagePull lasts until the next sync (the kubelet's way too): watch for it rather than poll.
    const rows = node.watchRows('missing');
    try {
      const back = await node.waitRow('missing', /\sImagePullBackOff\s/, 60_000);
      assert.match(back, /\s0\/1\s+ImagePullBackOff\s/);
      const reasons = node.watch.get('missing')!.history.map((h) => main(h.pod)?.state?.waiting?.reason).filter(Boolean);
      const firstErr = reasons.indexOf('ErrImagePull');
      assert.ok(firstErr >= 0 && firstErr < reasons.indexOf('ImagePullBackOff'), `ErrImagePull before ImagePullBackOff: ${reasons.join(' ')}`);
      const errState = node.watch.get('missing')!.history.map((h) => main(h.pod)?.state?.waiting).find((w) => w?.reason === 'ErrImagePull');
      assert.match(errState?.message ?? '', /manifest unknown|not found/i, 'the Docker error text');
      await waitFor('kubectl -w to print ErrImagePull and ImagePullBackOff', async () => {
        const r = rows.rows();
        return r.some((l) => /\s0\/1\s+ErrImagePull\s/.test(l)) && r.some((l) => /\sImagePullBackOff\s/.test(l));
      }, 30_000, 300);
    } finally {
      rows.stop();
    }
    const p = await node.getPod('missing');
    assert.equal(p?.status?.phase, 'Pending');
    await node.waitEvent('missing', 'BackOff', new RegExp(`^Back-off pulling image "${image.replace(/\./g, '\\.')}"$`));
    await node.waitEvent('missing', 'Failed', /^Failed to pull image ".*": .*(manifest unknown|not found)/);
  });

  test('a registry outside --allowed-registries is refused without asking the engine', async () => {
    await node.createPod(pod('public', 'docker.io/library/busybox:1.36'));
    const w = await node.waitPod('public', 'ErrImagePull', (x) => main(x)?.state?.waiting?.reason === 'ErrImagePull' && main(x)!.state!.waiting!, 30_000);
    assert.match(w.message ?? '', /registry docker\.io is not in this node's allowed registries/);
  });
});
