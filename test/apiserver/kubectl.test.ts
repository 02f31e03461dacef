import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { ControlPlane, run, waitFor } from '../lib/control-plane';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels:
    app: web
    tier: front
spec:
  containers:
  - name: c
    image: skiff/busybox:latest
    command: ["sleep", "3600"]
`;

const DEPLOY = (replicas: number, extra = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  labels:
    app: app
${extra}spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: app
  template:
    metadata:
      labels:
        app: app
    spec:
      containers:
      - name: c
        image: skiff/web:1
        ports:
        - containerPort: 80
`;

describe('kubectl 1.32 against skiff-master', () => {
  let cp: ControlPlane;
  before(async () => { cp = await ControlPlane.start(['--bookmark-interval', '1000']); });
  after(async () => { await cp?.stop(); });

  it('reports Kubernetes minor version 32 and serves discovery', async () => {
    const v = JSON.parse(await cp.k(['version', '-o', 'json'])) as { serverVersion: { major: string; minor: string } };
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
    const res = await cp.k(['api-resources']);
    for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m,
      /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m, /^leases\s+coordination.k8s.io\/v1\s+true\s+Lease$/m,
      /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m,
      /^clusterroles\s+rbac.authorization.k8s.io\/v1\s+false\s+ClusterRole$/m, /^endpointslices\s+discovery.k8s.io\/v1\s+true\s+EndpointSlice$/m,
      /^poddisruptionbudgets\s+pdb\s+policy\/v1\s+true\s+PodDisruptionBudget$/m]) {
      assert.match(res, line);
    }
  });

  it('refuses requests without credentials with a 401 Status', async () => {
    const r = await cp.rawRequest('GET', '/api/v1/namespaces/default/pods', { anonymous: true });
    assert.equal(r.status, 401);
    const s = JSON.parse(r.body) as { kind: string; reason: string; code: number };
    assert.deepEqual([s.kind, s.reason, s.code], ['Status', 'Unauthorized', 401]);
  });

  it('starts with the four system namespaces', async () => {
    const out = await cp.k(['get', 'ns', '-o', 'jsonpath={.items[*].metadata.name}']);
    assert.deepEqual(out.split(' ').sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const table = await cp.k(['get', 'ns']);
    assert.match(table, /^NAME\s+STATUS\s+AGE$/m);
    assert.match(table, /^default\s+Active\s+\d+s$/m);
  });

  it('creates a pod from a file and prints it in every output format', async () => {
    const file = cp.writeFile('pod.yaml', POD);
    assert.match(await cp.k(['create', '-f', file]), /^pod\/web-1 created$/m);
    const table = await cp.k(['get', 'pods']);
    assert.match(table, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    assert.match(table, /^web-1\s+0\/1\s+Pending\s+0\s+\d+s$/m);
    const wide = await cp.k(['get', 'pods', '-o', 'wide']);
    assert.match(wide, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
    const pod = JSON.parse(await cp.k(['get', 'pod', 'web-1', '-o', 'json'])) as Record<string, any>;
    assert.equal(pod.kind, 'Pod');
    assert.match(pod.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(pod.metadata.resourceVersion, /^\d+$/);
    assert.equal(pod.spec.restartPolicy, 'Always', 'defaults applied');
    assert.equal(pod.spec.containers[0].terminationMessagePath, '/dev/termination-log');
    assert.equal(pod.status.phase, 'Pending');
    assert.match(await cp.k(['get', 'pod', 'web-1', '-o', 'yaml']), /^ {2}name: web-1$/m);
    assert.equal((await cp.k(['get', 'pods', '-o', 'name'])).trim(), 'pod/web-1');
    assert.equal(await cp.k(['get', 'pods', '-o', 'jsonpath={.items[0].spec.containers[0].image}']), 'skiff/busybox:latest');
    assert.match(await cp.k(['get', 'pods', '-o', 'custom-columns=N:.metadata.name,T:.metadata.labels.tier']), /^web-1\s+front$/m);
    assert.match(await cp.k(['get', 'pods', '-l', 'app=web', '-o', 'name']), /pod\/web-1/);
    assert.equal((await cp.k(['get', 'pods', '-l', 'app in (db,cache)', '-o', 'name'])).trim(), '');
    assert.equal((await cp.k(['get', 'pods', '-l', '!tier', '-o', 'name'])).trim(), '');
    assert.match(await cp.k(['get', 'pods', '--field-selector', 'metadata.name=web-1', '-o', 'name']), /web-1/);
    assert.equal((await cp.k(['get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name'])).trim(), '');
    const all = await cp.k(['get', 'pods', '-A']);
    assert.match(all, /^NAMESPACE\s+NAME\s+READY/m);
    assert.match(all, /^default\s+web-1\s+0\/1\s+Pending/m);
    assert.match(await cp.k(['get', 'pods', '--show-labels']), /app=web,tier=front/);
  });

  it('answers an existing name with AlreadyExists and a missing one with NotFound', async () => {
    const dup = await cp.kubectl(['create', '-f', cp.writeFile('pod2.yaml', POD)]);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /Error from server \(AlreadyExists\).*pods "web-1" already exists/);
    const missing = await cp.kubectl(['get', 'pod', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): pods "nope" not found/);
  });

  it('rejects invalid objects with 422 and the bad field paths', async () => {
    const bad = POD.replace('name: web-1', 'name: Web_1').replace('    image: skiff/busybox:latest\n', '');
    const r = await cp.kubectl(['create', '-f', cp.writeFile('bad.yaml', bad)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is invalid/);
    assert.match(r.stderr, /metadata.name: Invalid value: "Web_1"/);
    assert.match(r.stderr, /spec.containers\[0\].image: Required value/);
    const unknown = await cp.kubectl(['create', '-f', cp.writeFile('unknown.yaml', POD.replace('name: web-1', 'name: web-9').replace('  containers:', '  bogusField: 1\n  containers:'))]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown field "spec.bogusField"/);
  });

  it('creates objects with the typed generators (protobuf bodies)', async () => {
    assert.match(await cp.k(['create', 'configmap', 'cfg', '--from-literal=a=1', '--from-literal=b=two']), /configmap\/cfg created/);
    assert.equal(await cp.k(['get', 'cm', 'cfg', '-o', 'jsonpath={.data.b}']), 'two');
    assert.match(await cp.k(['create', 'secret', 'generic', 'sec', '--from-literal=pw=hunter2']), /secret\/sec created/);
    assert.equal(Buffer.from(await cp.k(['get', 'secret', 'sec', '-o', 'jsonpath={.data.pw}']), 'base64').toString(), 'hunter2');
    assert.match(await cp.k(['get', 'secret', 'sec']), /^sec\s+Opaque\s+1\s+\d+s$/m);
    assert.match(await cp.k(['create', 'namespace', 'team-a']), /namespace\/team-a created/);
    assert.match(await cp.k(['create', 'deployment', 'gen', '--image=skiff/web:1', '--replicas=2']), /deployment.apps\/gen created/);
    assert.equal(await cp.k(['get', 'deploy', 'gen', '-o', 'jsonpath={.spec.replicas}/{.spec.template.spec.containers[0].image}']), '2/skiff/web:1');
    assert.match(await cp.k(['create', 'service', 'clusterip', 'gen', '--tcp=80:8080']), /service\/gen created/);
    const svc = await cp.k(['get', 'svc', 'gen']);
    assert.match(svc, /^gen\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s$/m);
  });

  it('applies client-side: create, change one field, remove a field', async () => {
    const f = cp.writeFile('deploy.yaml', DEPLOY(2, '  annotations:\n    note: first\n'));
    assert.match(await cp.k(['apply', '-f', f]), /deployment.apps\/app created/);
    const rv1 = await cp.k(['get', 'deploy', 'app', '-o', 'jsonpath={.metadata.resourceVersion}']);
    assert.match(await cp.k(['apply', '-f', f]), /deployment.apps\/app unchanged/);
    assert.equal(await cp.k(['get', 'deploy', 'app', '-o', 'jsonpath={.metadata.resourceVersion}']), rv1);
    // Someone else scales; apply of another field keeps the image and changes only replicas.
    cp.writeFile('deploy.yaml', DEPLOY(4, '  annotations:\n    note: first\n'));
    assert.match(await cp.k(['apply', '-f', f]), /deployment.apps\/app configured/);
    const d = JSON.parse(await cp.k(['get', 'deploy', 'app', '-o', 'json'])) as Record<string, any>;
    assert.equal(d.spec.replicas, 4);
    assert.equal(d.spec.template.spec.containers[0].image, 'skiff/web:1');
    assert.equal(d.metadata.annotations.note, 'first');
    assert.equal(d.metadata.generation, 2);
    cp.writeFile('deploy.yaml', DEPLOY(4));
    await cp.k(['apply', '-f', f]);
    const d2 = JSON.parse(await cp.k(['get', 'deploy', 'app', '-o', 'json'])) as Record<string, any>;
    assert.equal(d2.metadata.annotations.note, undefined, 'removed from the file, removed from the object');
    assert.ok(d2.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  });

  it('diffs, applies server-side, replaces and patches', async () => {
    const f = cp.writeFile('deploy.yaml', DEPLOY(5));
    const diff = await cp.kubectl(['diff', '-f', f]);
    assert.equal(diff.code, 1, diff.stderr);
    assert.match(diff.stdout, /-  replicas: 4\n\+  replicas: 5/);
    const ssaFile = cp.writeFile('ssa.yaml', DEPLOY(3).replace('name: app', 'name: ssa'));
    assert.match(await cp.k(['apply', '--server-side', '-f', ssaFile]), /deployment.apps\/ssa serverside-applied/);
    const mf = JSON.parse(await cp.k(['get', 'deploy', 'ssa', '-o', 'json', '--show-managed-fields'])) as Record<string, any>;
    assert.ok((mf.metadata.managedFields as { manager: string; operation: string }[]).some((m) => m.manager === 'kubectl' && m.operation === 'Apply'));
    const live = JSON.parse(await cp.k(['get', 'deploy', 'ssa', '-o', 'json'])) as Record<string, any>;
    live.spec.replicas = 1;
    assert.match(await cp.k(['replace', '-f', '-'], { input: JSON.stringify(live) }), /deployment.apps\/ssa replaced/);
    assert.equal(await cp.k(['get', 'deploy', 'ssa', '-o', 'jsonpath={.spec.replicas}']), '1');
    await cp.k(['patch', 'deploy', 'ssa', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"skiff/web:2"}]}}}}']);
    await cp.k(['patch', 'deploy', 'ssa', '--type', 'merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
    await cp.k(['patch', 'deploy', 'ssa', '--type', 'json', '-p', '[{"op":"add","path":"/spec/minReadySeconds","value":7}]']);
    const p = JSON.parse(await cp.k(['get', 'deploy', 'ssa', '-o', 'json'])) as Record<string, any>;
    assert.equal(p.spec.template.spec.containers.length, 1);
    assert.equal(p.spec.template.spec.containers[0].image, 'skiff/web:2');
    assert.equal(p.spec.template.spec.containers[0].ports[0].containerPort, 80, 'strategic merge keeps other fields');
    assert.equal(p.metadata.labels.m, '1');
    assert.equal(p.spec.minReadySeconds, 7);
  });

  it('labels, annotates, scales and edits', async () => {
    await cp.k(['label', 'pod', 'web-1', 'env=prod']);
    assert.equal(await cp.k(['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.labels.env}']), 'prod');
    await cp.k(['label', 'pod', 'web-1', 'env-']);
    assert.equal(await cp.k(['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.labels.env}']), '');
    await cp.k(['annotate', 'pod', 'web-1', 'owner=ops']);
    assert.equal(await cp.k(['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.annotations.owner}']), 'ops');
    assert.match(await cp.k(['scale', 'deploy', 'app', '--replicas=7']), /deployment.apps\/app scaled/);
    assert.equal(await cp.k(['get', 'deploy', 'app', '-o', 'jsonpath={.spec.replicas}']), '7');
    const editor = cp.writeFile('editor.sh', '#!/bin/sh\nsed -i "s/replicas: 7/replicas: 6/" "$1"\n');
    chmodSync(editor, 0o755);
    assert.match(await cp.k(['edit', 'deploy', 'app'], { env: { ...process.env, KUBE_EDITOR: editor, EDITOR: editor } }), /deployment.apps\/app edited/);
    assert.equal(await cp.k(['get', 'deploy', 'app', '-o', 'jsonpath={.spec.replicas}']), '6');
  });

  it('explains fields from the OpenAPI documents', async () => {
    const out = await cp.k(['explain', 'pods.spec.containers']);
    assert.match(out, /^KIND:\s+Pod$/m);
    assert.match(out, /^FIELD: containers <\[\]Container>$/m);
    assert.match(out, /image\s+<string>/);
  });

  it('describes a pod with its events', async () => {
    const out = await cp.k(['describe', 'pod', 'web-1']);
    assert.match(out, /^Name:\s+web-1$/m);
    assert.match(out, /^Namespace:\s+default$/m);
    // No node has joined this control plane, so the scheduler says so in an event.
    assert.match(out, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message$/m);
    assert.match(out, /Warning\s+FailedScheduling\s+.*default-scheduler\s+no nodes available to schedule pods/);
  });

  it('watches with -w and sees a new object', async () => {
    const child = spawn('kubectl', ['--kubeconfig', cp.kubeconfig, 'get', 'configmaps', '-w', '--no-headers'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      await waitFor('initial list', async () => out.includes('cfg'));
      await cp.k(['create', 'configmap', 'watched', '--from-literal=x=y']);
      await waitFor('watched configmap in -w output', async () => /^watched\s+1\s+/m.test(out), 15_000);
    } finally {
      child.kill('SIGINT');
    }
  });

  it('deletes by name, by label and by file', async () => {
    assert.match(await cp.k(['delete', 'cm', 'watched']), /configmap "watched" deleted/);
    await cp.k(['create', 'configmap', 'l1', '--from-literal=a=b']);
    await cp.k(['label', 'cm', 'l1', 'group=x']);
    assert.match(await cp.k(['delete', 'cm', '-l', 'group=x']), /configmap "l1" deleted/);
    assert.match(await cp.k(['delete', '-f', cp.writeFile('deploy.yaml', DEPLOY(5))]), /deployment.apps "app" deleted/);
    const gone = await cp.kubectl(['get', 'deploy', 'app']);
    assert.match(gone.stderr, /NotFound/);
  });

  it('refuses objects in a namespace that does not exist and empties a deleted namespace', async () => {
    const r = await cp.kubectl(['create', 'configmap', 'x', '-n', 'nowhere', '--from-literal=a=b']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "nowhere" not found/);
    await cp.k(['create', 'configmap', 'inside', '-n', 'team-a', '--from-literal=a=b']);
    await cp.k(['delete', 'namespace', 'team-a', '--timeout=60s']);
    const ns = await cp.kubectl(['get', 'ns', 'team-a']);
    assert.match(ns.stderr, /NotFound/);
    const cm = await cp.kubectl(['get', 'cm', 'inside', '-n', 'team-a']);
    assert.match(cm.stderr, /NotFound/);
  });

  it('returns 409 Conflict for a stale resourceVersion', async () => {
    const cm = JSON.parse(await cp.k(['get', 'cm', 'cfg', '-o', 'json'])) as Record<string, any>;
    await cp.k(['label', 'cm', 'cfg', 'bump=1']);
    cm.data.a = 'changed';
    const r = await cp.kubectl(['replace', '-f', '-'], { input: JSON.stringify(cm) });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Conflict.*the object has been modified/);
  });

  it('answers a watch from a compacted revision with 410 Expired', async () => {
    const list = JSON.parse((await cp.rawGet('/api/v1/namespaces/default/configmaps')).body) as { metadata: { resourceVersion: string } };
    const old = Number(list.metadata.resourceVersion);
    await cp.k(['create', 'configmap', 'after-compact', '--from-literal=a=b']);
    const rev = JSON.parse((await cp.rawGet('/api/v1/namespaces/default/configmaps')).body) as { metadata: { resourceVersion: string } };
    const c = await run('etcdctl', ['--endpoints', cp.etcd.clientUrl, 'compact', rev.metadata.resourceVersion], { env: { ...process.env, ETCDCTL_API: '3' } });
    assert.equal(c.code, 0, c.stderr);
    const w = await cp.rawGet(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}&timeoutSeconds=2`);
    const ev = JSON.parse(w.body.trim().split('\n')[0]!) as { type: string; object: { code: number; reason: string } };
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object.code, 410);
    assert.equal(ev.object.reason, 'Expired');
  });

  it('pages lists with limit and continue', async () => {
    for (let i = 0; i < 7; i++) await cp.k(['create', 'configmap', `page-${i}`, '--from-literal=a=b']);
    const first = JSON.parse((await cp.rawGet('/api/v1/namespaces/default/configmaps?limit=3&labelSelector=')).body) as { items: unknown[]; metadata: { continue?: string } };
    assert.equal(first.items.length, 3);
    assert.ok(first.metadata.continue);
    let seen = first.items.length;
    let token: string | undefined = first.metadata.continue;
    while (token) {
      const page = JSON.parse((await cp.rawGet(`/api/v1/namespaces/default/configmaps?limit=3&continue=${encodeURIComponent(token)}`)).body) as { items: unknown[]; metadata: { continue?: string } };
      seen += page.items.length;
      token = page.metadata.continue;
    }
    const all = JSON.parse((await cp.rawGet('/api/v1/namespaces/default/configmaps')).body) as { items: unknown[] };
    assert.equal(seen, all.items.length);
  });
});

describe('every served resource through kubectl', () => {
  let cp: ControlPlane;
  before(async () => { cp = await ControlPlane.start(['--bookmark-interval', '500']); });
  after(async () => { await cp?.stop(); });

  it('lists each resource type with its table header, as JSON and by name', async () => {
    const { RESOURCES } = await import('@skiff/api');
    for (const r of RESOURCES) {
      const type = r.group ? `${r.plural}.${r.group}` : r.plural;
      const table = await cp.kubectl(['get', type, '-A']);
      assert.equal(table.code, 0, `${type}: ${table.stderr}`);
      if (table.stdout.trim()) assert.match(table.stdout, /^NAMESPACE\s+NAME\s|^NAME\s/m, `${type} table header`);
      else assert.match(table.stderr, /No resources found/, `${type} empty message`);
      const json = JSON.parse(await cp.k(['get', type, '-A', '-o', 'json'])) as { kind: string; items: unknown[] };
      assert.equal(json.kind, 'List', type);
      assert.ok(Array.isArray(json.items), type);
    }
  });

  it('names objects from generateName and refuses a conflicting server-side apply', async () => {
    const out = await cp.k(['create', '-f', '-', '-o', 'name'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' }, data: { a: 'b' } }) });
    assert.match(out.trim(), /^configmap\/gen-[a-z0-9]{5}$/);
    const cm = (replicas: number): string => JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'owned' }, spec: { replicas, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'skiff/web:1' }] } } } });
    await cp.k(['apply', '--server-side', '--field-manager=team-a', '-f', '-'], { input: cm(2) });
    const conflict = await cp.kubectl(['apply', '--server-side', '--field-manager=team-b', '-f', '-'], { input: cm(5) });
    assert.notEqual(conflict.code, 0);
    assert.match(conflict.stderr, /conflict with "team-a".*\.spec\.replicas/s);
    await cp.k(['apply', '--server-side', '--field-manager=team-b', '--force-conflicts', '-f', '-'], { input: cm(5) });
    assert.equal(await cp.k(['get', 'deploy', 'owned', '-o', 'jsonpath={.spec.replicas}']), '5');
    assert.equal(await cp.k(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}:{.spec.ports[0].port}']), '10.96.0.1:443');
  });

  it('sends bookmarks on a watch that allows them', async () => {
    const list = JSON.parse((await cp.rawGet('/api/v1/namespaces/default/configmaps')).body) as { metadata: { resourceVersion: string } };
    const w = await cp.rawGet(`/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=2`);
    const events = w.body.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { resourceVersion: string } } });
    const bm = events.find((e) => e.type === 'BOOKMARK');
    assert.ok(bm, `no bookmark in ${w.body}`);
    assert.equal(bm.object.kind, 'ConfigMap');
    assert.ok(Number(bm.object.metadata.resourceVersion) >= Number(list.metadata.resourceVersion));
  });

  it('creates with dryRun without storing, deletes with preconditions and deletes collections', async () => {
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' }, data: { a: 'b' } });
    const dry = await cp.rawRequest('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { body });
    assert.equal(dry.status, 201);
    assert.equal((await cp.rawGet('/api/v1/namespaces/default/configmaps/dry')).status, 404);
    await cp.k(['create', 'configmap', 'pre', '--from-literal=a=b']);
    const wrong = await cp.rawRequest('DELETE', '/api/v1/namespaces/default/configmaps/pre', { body: JSON.stringify({ preconditions: { uid: 'not-the-uid' } }) });
    assert.equal(wrong.status, 409, wrong.body);
    assert.match(wrong.body, /Precondition failed: UID in precondition: not-the-uid/);
    for (const n of ['c1', 'c2']) { await cp.k(['create', 'configmap', n, '--from-literal=a=b']); await cp.k(['label', 'cm', n, 'batch=x']); }
    const dc = await cp.rawRequest('DELETE', '/api/v1/namespaces/default/configmaps?labelSelector=batch%3Dx');
    assert.equal(dc.status, 200);
    assert.equal((JSON.parse(dc.body) as { items: unknown[] }).items.length, 2);
    assert.equal((await cp.k(['get', 'cm', '-l', 'batch=x', '-o', 'name'])).trim(), '');
  });

  it('keeps a graceful pod deletion pending with deletionTimestamp until its node confirms', async () => {
    await cp.k(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { nodeName: 'nowhere', containers: [{ name: 'c', image: 'skiff/busybox:1' }] } }) });
    const del = await cp.kubectl(['delete', 'pod', 'bound', '--wait=false']);
    assert.equal(del.code, 0, del.stderr);
    const pod = JSON.parse(await cp.k(['get', 'pod', 'bound', '-o', 'json'])) as { metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number } };
    assert.ok(pod.metadata.deletionTimestamp);
    assert.equal(pod.metadata.deletionGracePeriodSeconds, 30);
    assert.match(await cp.k(['get', 'pod', 'bound']), /Terminating/);
    await cp.k(['delete', 'pod', 'bound', '--grace-period=0', '--force']);
    assert.match((await cp.kubectl(['get', 'pod', 'bound'])).stderr, /NotFound/);
  });
});
