/**
 * End to end: an apps/v1 StatefulSet `web` (3 replicas, a volumeClaimTemplate `www`) behind a
 * headless service, run by skiff-master's statefulset, volume-binding and scheduler loops on
 * one real agent, driven with the real kubectl:
 * - pods are created in order, each only after the previous one is Running and Ready;
 * - each pod gets PVC www-web-<i>, bound to a provisioned local PV pinned to the node, and
 *   writes its hostname into it; the headless service's endpoints carry the hostnames;
 * - a deleted web-1 comes back with the same name and the same volume content;
 * - an image change rolls the pods in reverse ordinal order; `kubectl rollout status` succeeds;
 *   `kubectl rollout history` lists the ControllerRevisions and `rollout undo` goes back;
 * - scaling to 1 deletes web-2, then web-1, and the PVCs stay;
 * - static PVs: a claim binds to a pre-created hostPath PV on the node; a pod whose claim is
 *   bound to a PV pinned to another node fails scheduling with `volume node affinity conflict`.
 * The provisioned host directories (/var/lib/skiff/volumes/pvc-<uid>) are removed at the end.
 * Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { AgentNode } from '../lib/agent-node';
import { waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';
const VOLUME_DIR = '/var/lib/skiff/volumes';

const service = {
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'web', port: 80 }] },
};

const statefulSet = (image: string, replicas = 3) => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    serviceName: 'web', replicas,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'app', image, imagePullPolicy: 'IfNotPresent',
          // The first start writes the hostname; every start appends it (so a reused volume shows two lines).
          command: ['sh', '-c', '[ -f /data/first ] || hostname > /data/first; hostname >> /data/starts; exec sleep 3600'],
          volumeMounts: [{ name: 'www', mountPath: '/data' }],
          readinessProbe: { exec: { command: ['test', '-f', '/data/first'] }, periodSeconds: 1 },
        }],
      },
    },
    volumeClaimTemplates: [{
      metadata: { name: 'www' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Mi' } } },
    }],
  },
});

const isReady = (p: Pod | undefined): boolean => !!p && p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp
  && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

describe('StatefulSet with local persistent volumes on one real agent', { skip }, () => {
  let node: AgentNode;
  const pvNames = new Set<string>();
  /** Pod name -> order of first appearance (creation), and when each pod (uid) first turned Ready / terminating. */
  const created: string[] = [];
  const seenUids = new Set<string>();
  const readyAt = new Map<string, number>();
  const terminating: string[] = [];
  let seq = 0;

  before(async () => {
    node = await AgentNode.start({ agentFlags: ['--pod-resync-interval', '1s'] });
    node.watch.onChange((_key, rec) => {
      const p = rec.pod;
      const name = p.metadata?.name ?? '';
      const uid = p.metadata?.uid ?? '';
      if (!name.startsWith('web-')) return;
      if (!seenUids.has(uid)) { seenUids.add(uid); created.push(name); }
      if (isReady(p) && !readyAt.has(uid)) readyAt.set(uid, ++seq);
      if (p.metadata?.deletionTimestamp && !terminating.includes(uid)) terminating.push(uid);
    });
  });

  after(async () => {
    if (node) {
      await node.kubectl(['delete', 'statefulset', 'web', '--wait=false']).catch(() => undefined);
      await node.kubectl(['delete', 'pvc', '--all', '--wait=false']).catch(() => undefined);
      const pvs = await node.kubectl(['get', 'pv', '-o', 'json']).catch(() => undefined);
      for (const pv of (JSON.parse(pvs?.stdout || '{"items":[]}') as { items: PersistentVolume[] }).items) pvNames.add(pv.metadata!.name!);
      await node.stop();
    }
    for (const pv of pvNames) if (/^pvc-[0-9a-f-]+$/.test(pv)) rmSync(`${VOLUME_DIR}/${pv}`, { recursive: true, force: true });
    // The base directories too, when nothing else lives there.
    for (const d of [VOLUME_DIR, '/var/lib/skiff']) try { rmdirSync(d); } catch { /* not empty or not there */ }
  });

  const pod = (name: string): Pod | undefined => {
    for (const rec of node.watch.pods.values()) if (!rec.deleted && rec.pod.metadata?.name === name && rec.pod.metadata.namespace === 'default') return rec.pod;
    return undefined;
  };
  const uidOf = (name: string): string => pod(name)?.metadata?.uid ?? '';
  const readFromPod = async (name: string, file: string): Promise<string> => {
    const id = pod(name)?.status?.containerStatuses?.[0]?.containerID ?? '';
    const r = await node.dockerExec(id, ['cat', file]);
    assert.equal(r.code, 0, `cat ${file} in ${name}: ${r.stderr}`);
    return r.stdout;
  };
  const claim = async (name: string): Promise<PersistentVolumeClaim> => JSON.parse(await node.k(['get', 'pvc', name, '-o', 'json'])) as PersistentVolumeClaim;
  const waitAllReady = (what: string, names: string[], extra: (p: Pod) => boolean = () => true) => waitFor(what, async () =>
    names.every((n) => isReady(pod(n)) && extra(pod(n)!)) || undefined, 120_000, 300);

  test('ordered creation, stable identity and storage, reverse-order rolling update, ordered scale down', async (t) => {
    const t0 = Date.now();
    await node.k(['apply', '-f', '-'], { input: JSON.stringify(service) });
    await node.k(['apply', '-f', '-'], { input: JSON.stringify(statefulSet('skiff/busybox:latest')) });
    await waitAllReady('web-0..2 Running and Ready', ['web-0', 'web-1', 'web-2']);
    t.diagnostic(`3 ordered replicas with provisioned volumes Ready after ${Date.now() - t0} ms`);

    // Creation order: web-0, web-1, web-2, each created after the previous one was Ready.
    assert.deepEqual(created.slice(0, 3), ['web-0', 'web-1', 'web-2']);
    const r0 = readyAt.get(uidOf('web-0'))!;
    const r1 = readyAt.get(uidOf('web-1'))!;
    assert.ok(r0 < r1, 'web-0 was Ready before web-1');
    for (let i = 1; i < 3; i++) {
      const prevUid = uidOf(`web-${i - 1}`);
      const firstSeen = node.watch.pods.get(`default/web-${i}`)?.history[0]?.at ?? 0;
      const prevReady = node.watch.pods.get(`default/web-${i - 1}`)?.history.find((h) => h.pod.metadata?.uid === prevUid && isReady(h.pod))?.at ?? Infinity;
      assert.ok(prevReady <= firstSeen, `web-${i} created after web-${i - 1} was Ready`);
    }

    // Identity: hostname/subdomain, labels; storage: www-web-<i> bound to a local PV on this node holding the hostname.
    for (let i = 0; i < 3; i++) {
      const p = pod(`web-${i}`)!;
      assert.equal(p.spec?.hostname, `web-${i}`);
      assert.equal(p.spec?.subdomain, 'web');
      assert.equal(p.spec?.nodeName, node.nodeName);
      assert.equal(p.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], `web-${i}`);
      assert.equal(p.metadata?.labels?.['apps.kubernetes.io/pod-index'], String(i));
      assert.match(p.metadata?.labels?.['controller-revision-hash'] ?? '', /^web-/);
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'StatefulSet');
      assert.equal(p.spec?.volumes?.find((v) => v.name === 'www')?.persistentVolumeClaim?.claimName, `www-web-${i}`);
      const pvc = await claim(`www-web-${i}`);
      assert.equal(pvc.status?.phase, 'Bound');
      assert.equal(pvc.metadata?.ownerReferences, undefined, 'claims are not owned (Retain)');
      const pv = JSON.parse(await node.k(['get', 'pv', pvc.spec!.volumeName!, '-o', 'json'])) as PersistentVolume;
      pvNames.add(pv.metadata!.name!);
      assert.equal(pv.metadata?.name, `pvc-${pvc.metadata?.uid}`);
      assert.equal(pv.status?.phase, 'Bound');
      assert.equal(pv.spec?.claimRef?.name, `www-web-${i}`);
      assert.deepEqual(pv.spec?.nodeAffinity?.required?.nodeSelectorTerms?.[0]?.matchExpressions?.[0]?.values, [node.nodeName]);
      assert.equal(pv.spec?.local?.path, `${VOLUME_DIR}/${pv.metadata?.name}`);
      assert.equal((await readFromPod(`web-${i}`, '/data/first')).trim(), `web-${i}`);
      assert.equal(readFileSync(`${pv.spec!.local!.path}/first`, 'utf8').trim(), `web-${i}`);
    }
    // The headless service's endpoints carry the pods' hostnames: what `<pod>.<service>` DNS names answer from.
    const hostnames = await waitFor('endpoints of web with the three hostnames', async () => {
      const ep = JSON.parse(await node.k(['get', 'endpoints', 'web', '-o', 'json'])) as { subsets?: { addresses?: { hostname?: string }[] }[] };
      const names = (ep.subsets ?? []).flatMap((ss) => (ss.addresses ?? []).map((a) => a.hostname ?? '')).sort();
      return names.length === 3 ? names : undefined;
    }, 30_000, 300);
    assert.deepEqual(hostnames, ['web-0', 'web-1', 'web-2']);
    const rows = await node.k(['get', 'pvc', '--no-headers']);
    assert.equal(rows.trim().split('\n').filter((l) => /^www-web-\d\s+Bound\s+pvc-/.test(l)).length, 3, rows);
    const events = await node.k(['get', 'events', '--field-selector', 'involvedObject.name=web,involvedObject.kind=StatefulSet', '-o', 'jsonpath={range .items[*]}{.reason} {.message}{"\\n"}{end}']);
    assert.match(events, /SuccessfulCreate create Pod web-0 in StatefulSet web successful/);
    assert.match(events, /SuccessfulCreate create Claim www-web-1 Pod web-1 in StatefulSet web success/);

    const initial = await node.kubectl(['rollout', 'status', 'statefulset/web', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(initial.code, 0, initial.stderr);

    // Delete web-1: it comes back with the same name and finds its data.
    const oldUid = uidOf('web-1');
    const pvOfWeb1 = (await claim('www-web-1')).spec?.volumeName;
    const t1 = Date.now();
    await node.k(['delete', 'pod', 'web-1', '--wait=false']);
    await waitFor('web-1 back, Ready, with a new uid', async () => {
      const p = pod('web-1');
      return p && p.metadata?.uid !== oldUid && isReady(p) ? p : undefined;
    }, 120_000, 300);
    t.diagnostic(`web-1 deleted and back Ready after ${Date.now() - t1} ms`);
    assert.equal((await readFromPod('web-1', '/data/first')).trim(), 'web-1');
    assert.deepEqual((await readFromPod('web-1', '/data/starts')).trim().split('\n'), ['web-1', 'web-1'], 'the volume was reused');
    assert.equal((await claim('www-web-1')).spec?.volumeName, pvOfWeb1, 'same claim, same volume');

    // Rolling update: reverse ordinal order.
    const beforeRoll = new Map([0, 1, 2].map((i) => [uidOf(`web-${i}`), `web-${i}`]));
    const termBefore = terminating.length;
    const t2 = Date.now();
    await node.k(['set', 'image', 'statefulset/web', 'app=skiff/web:latest']);
    const rolled = await node.kubectl(['rollout', 'status', 'statefulset/web', '--timeout=240s'], { timeoutMs: 260_000 });
    assert.equal(rolled.code, 0, rolled.stderr + rolled.stdout);
    t.diagnostic(`rolling update of 3 pods done (kubectl rollout status) after ${Date.now() - t2} ms`);
    // partition defaults to 0, so kubectl words it as a partitioned roll out (as against Kubernetes).
    assert.match(rolled.stdout, /partitioned roll out complete: 3 new pods have been updated/);
    await waitAllReady('all pods on the new image', ['web-0', 'web-1', 'web-2'], (p) => p.spec?.containers[0]?.image === 'skiff/web:latest');
    const order = terminating.slice(termBefore).map((u) => beforeRoll.get(u)).filter(Boolean);
    assert.deepEqual(order, ['web-2', 'web-1', 'web-0']);
    const sts = JSON.parse(await node.k(['get', 'statefulset', 'web', '-o', 'json'])) as { status: Record<string, unknown> };
    assert.equal(sts.status.currentRevision, sts.status.updateRevision);
    assert.equal(sts.status.updatedReplicas, 3);
    assert.equal(pod('web-2')?.metadata?.labels?.['controller-revision-hash'], sts.status.updateRevision);
    assert.equal((await readFromPod('web-2', '/data/first')).trim(), 'web-2', 'data survives the update');
    const revisions = await node.k(['get', 'controllerrevisions', '--no-headers']);
    assert.equal(revisions.trim().split('\n').filter((l) => l.startsWith('web-')).length, 2, revisions);
    const history = await node.k(['rollout', 'history', 'statefulset/web']);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE$/m);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);

    // Undo: kubectl patches the template back from revision 1, which becomes revision 3.
    await node.k(['rollout', 'undo', 'statefulset/web']);
    const undone = await node.kubectl(['rollout', 'status', 'statefulset/web', '--timeout=240s'], { timeoutMs: 260_000 });
    assert.equal(undone.code, 0, undone.stderr + undone.stdout);
    await waitAllReady('all pods back on the old image', ['web-0', 'web-1', 'web-2'], (p) => p.spec?.containers[0]?.image === 'skiff/busybox:latest');
    const crs = JSON.parse(await node.k(['get', 'controllerrevisions', '-o', 'json'])) as { items: { metadata: { name: string }; revision: number }[] };
    const firstRev = sts.status.currentRevision as string;
    const numbers = Object.fromEntries(crs.items.map((c) => [c.metadata.name, c.revision]));
    assert.equal(Object.keys(numbers).length, 2);
    assert.equal(Math.max(...Object.values(numbers)), 3);
    assert.equal(numbers[firstRev], 2, 'the update revision is now the older one');

    // Scale to 1: web-2 goes first, then web-1; the claims stay.
    const u1 = uidOf('web-1');
    const u2 = uidOf('web-2');
    const termScale = terminating.length;
    const t3 = Date.now();
    await node.k(['scale', 'statefulset/web', '--replicas=1']);
    await waitFor('web-1 and web-2 gone', async () => (!pod('web-1') && !pod('web-2')) || undefined, 120_000, 300);
    t.diagnostic(`scale 3 -> 1 done after ${Date.now() - t3} ms`);
    assert.deepEqual(terminating.slice(termScale).filter((u) => u === u1 || u === u2), [u2, u1]);
    assert.ok(isReady(pod('web-0')));
    for (let i = 0; i < 3; i++) assert.equal((await claim(`www-web-${i}`)).status?.phase, 'Bound', `www-web-${i} kept`);
    for (const pv of pvNames) assert.ok(existsSync(`${VOLUME_DIR}/${pv}/first`), `${pv} directory kept`);
    const scaled = await node.kubectl(['rollout', 'status', 'statefulset/web', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(scaled.code, 0, scaled.stderr);
  });

  test('static PVs: a claim binds to a pre-created hostPath PV on this node; a PV pinned elsewhere blocks scheduling', async () => {
    const dir = node.hostDir('skiff-e2e-static-pv-');
    const pinned = (n: string) => ({ required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [n] }] }] } });
    const pvs = [
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'e2e-static-here' },
        spec: { capacity: { storage: '100Mi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', hostPath: { path: dir, type: 'Directory' }, nodeAffinity: pinned(node.nodeName) } },
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'e2e-static-elsewhere' },
        spec: { capacity: { storage: '100Mi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'manual', local: { path: '/nonexistent' }, nodeAffinity: pinned('no-such-node') } },
    ];
    const claimOf = (name: string, o: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'manual', resources: { requests: { storage: '50Mi' } }, ...o } });
    const podOf = (name: string, claimName: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: { terminationGracePeriodSeconds: 1, volumes: [{ name: 'v', persistentVolumeClaim: { claimName } }],
        containers: [{ name: 'c', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'echo static > /v/mark; exec sleep 3600'], volumeMounts: [{ name: 'v', mountPath: '/v' }] }] } });
    try {
      await node.k(['apply', '-f', '-'], { input: [...pvs, claimOf('static-claim'), claimOf('pinned-claim', { volumeName: 'e2e-static-elsewhere' }), podOf('static-user', 'static-claim'), podOf('pinned-user', 'pinned-claim')].map((o) => JSON.stringify(o)).join('\n') });
      await waitFor('static-user Running', async () => (pod('static-user')?.status?.phase === 'Running') || undefined, 120_000, 300);
      const c = await claim('static-claim');
      assert.equal(c.spec?.volumeName, 'e2e-static-here');
      assert.equal(c.status?.phase, 'Bound');
      await waitFor('the mark file in the static PV directory', async () => existsSync(`${dir}/mark`) || undefined, 30_000, 300);
      assert.equal(readFileSync(`${dir}/mark`, 'utf8').trim(), 'static');
      const ev = await node.waitEvent('pinned-user', 'FailedScheduling', /volume node affinity conflict/, 60_000);
      assert.equal(ev.message, '0/1 nodes are available: 1 node(s) had volume node affinity conflict.');
      assert.equal(pod('pinned-user')?.spec?.nodeName, undefined);
    } finally {
      await node.kubectl(['delete', 'pod', 'static-user', 'pinned-user', '--wait=false']).catch(() => undefined);
      await node.kubectl(['delete', 'pvc', 'static-claim', 'pinned-claim', '--wait=false']).catch(() => undefined);
      await node.kubectl(['delete', 'pv', 'e2e-static-here', 'e2e-static-elsewhere', '--wait=false']).catch(() => undefined);
    }
  });
});
