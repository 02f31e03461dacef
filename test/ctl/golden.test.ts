/**
 * Golden tests: the same command line through the real kubectl 1.32 and through skiffctl,
 * against one skiff-master, must give the same stdout, stderr and exit code. Only ages,
 * UIDs, resourceVersions and timestamps are normalised (plus the few documented
 * exceptions below: kubectl's own client version line and its klog noise).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ControlPlane, ExecResult, REPO, run } from '../lib/control-plane';

const SKIFFCTL = join(REPO, 'packages/ctl/dist/main.js');

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web, tier: front}
  annotations:
    note: "hello world: <b>&</b>"
    long: "aaaaaaa bbbbbbbbbbbb ccccccccccccccccc ddddddddddddddddd eeeeeeeeeeeeeeeeeeeee ffffffffffffffffff ggggggggggggggg hhhhhhhhhhhh"
spec:
  containers:
  - name: c
    image: skiff/busybox:latest
    command: ["sleep", "3600"]
    env: [{name: A, value: "true"}, {name: B, value: "123"}, {name: C, value: ""}, {name: D, value: "yes"}, {name: E, value: "a\\nb\\n"}, {name: F, value: "1:20"}]
`;

const DEPLOY = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: team-a
  labels: {app: app}
spec:
  replicas: 2
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
      - name: c
        image: skiff/web:1
`;

const AGE = /(?<=^|\s)\d+[smhd](\d+[smhd])?(?=\s|$)/gm;
const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const RV = /("?resourceVersion"?:\s*)"\d+"/g;
const TS = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g;
const KLOG = /^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\] .*\n/gm;

function normalise(r: ExecResult): ExecResult {
  const n = (s: string): string => s.replace(KLOG, '').replace(UID, '<uid>').replace(RV, '$1"<rv>"').replace(TS, '<ts>').replace(AGE, '<age>')
    .replace(/^Client Version: .*$/m, 'Client Version: <client>').replace(/^Kustomize Version: .*\n/m, '');
  return { code: r.code, stdout: n(r.stdout), stderr: n(r.stderr) };
}

describe('skiffctl prints what kubectl prints', () => {
  let cp: ControlPlane;
  let cacheDir: string;
  const kubectl = (args: string[]): Promise<ExecResult> => cp.kubectl(args);
  const skiffctl = (args: string[]): Promise<ExecResult> =>
    run(process.execPath, [SKIFFCTL, '--kubeconfig', cp.kubeconfig, '--cache-dir', cacheDir, ...args]);

  /** Runs both (concurrently, so ages agree); a mismatch is retried in case a second ticked over. */
  async function same(args: string[], expectCode?: number): Promise<ExecResult> {
    let k: ExecResult = { code: -1, stdout: '', stderr: '' };
    let s = k;
    for (let attempt = 0; attempt < 4; attempt++) {
      [k, s] = (await Promise.all([kubectl(args), skiffctl(args)])).map(normalise) as [ExecResult, ExecResult];
      if (k.code === s.code && k.stdout === s.stdout && k.stderr === s.stderr) break;
    }
    assert.deepEqual(s, k, `skiffctl ${args.join(' ')} differs from kubectl`);
    if (expectCode !== undefined) assert.equal(k.code, expectCode, `kubectl ${args.join(' ')}: ${k.stderr}`);
    return k;
  }

  /** For commands that change state: kubectl acts on `kk-<x>`, skiffctl on `ss-<x>`. */
  async function twin(args: (n: string) => string[], name: string, expectCode?: number): Promise<void> {
    const k = normalise(await kubectl(args(`kk-${name}`)));
    const s = normalise(await skiffctl(args(`ss-${name}`)));
    const fix = (r: ExecResult): ExecResult => ({ ...r, stdout: r.stdout.replaceAll(`ss-${name}`, `kk-${name}`), stderr: r.stderr.replaceAll(`ss-${name}`, `kk-${name}`) });
    assert.deepEqual(fix(s), k, `skiffctl ${args(`ss-${name}`).join(' ')} differs from kubectl`);
    if (expectCode !== undefined) assert.equal(k.code, expectCode, k.stderr);
  }

  before(async () => {
    cp = await ControlPlane.start();
    cacheDir = join(cp.dir, 'kube-cache');
    await cp.k(['create', '-f', cp.writeFile('pod.yaml', POD)]);
    await cp.k(['create', 'namespace', 'team-a']);
    await cp.k(['create', 'namespace', 'empty']);
    await cp.k(['create', '-f', cp.writeFile('deploy.yaml', DEPLOY)]);
    await cp.k(['create', 'configmap', 'settings', '-n', 'team-a', '--from-literal=mode=fast', '--from-literal=level=3']);
  });
  after(async () => { await cp?.stop(); });

  it('version, api-versions, api-resources', async () => {
    await same(['version'], 0);
    await same(['version', '--client'], 0);
    await same(['api-versions'], 0);
    await same(['api-resources'], 0);
    await same(['api-resources', '-o', 'wide'], 0);
    await same(['api-resources', '-o', 'name'], 0);
    await same(['api-resources', '--namespaced=false'], 0);
    await same(['api-resources', '--api-group', 'apps', '--no-headers'], 0);
    await same(['api-resources', '--sort-by', 'kind'], 0);
  });

  it('get: tables', async () => {
    await same(['get', 'pods'], 0);
    await same(['get', 'po', '-o', 'wide'], 0);
    await same(['get', 'pods', '-A'], 0);
    await same(['get', 'pods', '--all-namespaces', '--show-labels'], 0);
    await same(['get', 'pods', '--no-headers'], 0);
    await same(['get', 'pod', 'web-1'], 0);
    await same(['get', 'Pod', 'web-1', '-o', 'wide', '--show-labels'], 0);
    await same(['get', 'ns'], 0);
    await same(['get', 'namespaces', 'default', 'team-a'], 0);
    await same(['get', 'deploy', '-n', 'team-a', '-o', 'wide'], 0);
    await same(['get', 'deployments.apps', '-A'], 0);
    await same(['get', 'deployments.v1.apps', '-nteam-a'], 0);
    await same(['get', 'cm', '-A'], 0);
    await same(['get', 'configmaps', '--namespace=team-a', '--show-labels'], 0);
    await same(['get', 'pods,cm', '-A'], 0);
    await same(['get', 'pod/web-1', 'ns/team-a'], 0);
    await same(['get', 'pods', '-l', 'app=web'], 0);
    await same(['get', 'pods', '-l', 'tier in (front,back),app'], 0);
    await same(['get', 'pods', '--field-selector', 'metadata.name=web-1'], 0);
  });

  it('get: empty results', async () => {
    await same(['get', 'pods', '-n', 'empty'], 0);
    await same(['get', 'pods', '-l', 'app=nope'], 0);
    await same(['get', 'nodes'], 0);
    await same(['get', 'pods', '-n', 'empty', '-A'], 0);
    await same(['get', 'pods', '-n', 'empty', '-o', 'name'], 0);
    await same(['get', 'pods', '-n', 'empty', '-o', 'json'], 0);
  });

  it('get: json, yaml, name, jsonpath', async () => {
    await same(['get', 'pods', '-o', 'json'], 0);
    await same(['get', 'pods', '-o', 'yaml'], 0);
    await same(['get', 'pod', 'web-1', '-o', 'json'], 0);
    await same(['get', 'pod', 'web-1', '-o', 'yaml'], 0);
    await same(['get', 'deploy', 'app', '-n', 'team-a', '-oyaml'], 0);
    await same(['get', 'ns', '-o', 'yaml'], 0);
    await same(['get', 'cm', '-A', '-o=json'], 0);
    await same(['get', 'pods', '-o', 'name'], 0);
    await same(['get', 'deploy,cm', '-A', '-o', 'name'], 0);
    await same(['get', 'ns', '-o', 'jsonpath={.items[*].metadata.name}'], 0);
    await same(['get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.name} {.spec.containers[0].image} {.metadata.labels}'], 0);
    await same(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'], 0);
    await same(['get', 'pods', '-o', 'jsonpath={.items[0].spec.containers[0]}'], 0);
    await same(['get', 'pods', '-o', 'jsonpath={.items[*].metadata.missing}'], 0);
    await same(['get', 'ns', '-o', "jsonpath={.items[?(@.metadata.name==\"team-a\")].status.phase}"], 0);
  });

  it('get: failures', async () => {
    await same(['get', 'pod', 'nope'], 1);
    await same(['get', 'pods', 'web-1', 'nope'], 1);
    await same(['get', 'pod', 'nope', '-o', 'yaml'], 1);
    await same(['get', 'pods', 'web-1', 'nope', '-o', 'name'], 1);
    await same(['get', 'pod', 'nope', '--ignore-not-found'], 0);
    await same(['get', 'foo'], 1);
    await same(['get', 'pods.v1'], 1);
    await same(['get', 'pods,foo'], 1);
    await same(['get', 'pods', '-o', 'foo'], 1);
    await same(['get', 'pods', 'web-1', '-A'], 1);
    await same(['get', 'pods', '--context', 'nope'], 1);
    await same(['get', 'pods', '--kubeconfig', '/nonexistent/kubeconfig'], 1);
  });

  it('reports an unreachable server like kubectl', async () => {
    const bad = cp.writeFile('bad.kubeconfig', (await cp.k(['config', 'view', '--raw'])).replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'));
    const r = await same(['get', 'pods', '--kubeconfig', bad, '--cache-dir', join(cp.dir, 'empty-cache')], 1);
    assert.equal(r.stderr, 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n');
    await same(['version', '--kubeconfig', bad], 1);
  });

  it('create, label, annotate, delete', async () => {
    await twin((n) => ['create', 'configmap', n, '--from-literal=a=b', '--from-literal=c=d'], 'cm', 0);
    await twin((n) => ['get', 'configmap', n, '-o', 'yaml'], 'cm', 0);
    await twin((n) => ['create', 'configmap', n], 'cm', 1);
    await twin((n) => ['create', 'configmap', n, '-n', 'nope'], 'cm', 1);
    await twin((n) => ['create', 'namespace', n], 'ns', 0);
    await twin((n) => ['create', 'ns', n], 'ns', 1);
    await twin((n) => ['create', 'configmap', 'in-ns', '-n', n], 'ns', 0);
    await twin((n) => ['label', 'cm', n, 'x=1', 'y=2'], 'cm', 0);
    await twin((n) => ['label', 'cm', n, 'x=2'], 'cm', 1);
    await twin((n) => ['label', `configmap/${n}`, 'x=2', '--overwrite'], 'cm', 0);
    await twin((n) => ['label', 'cm', n, 'x-'], 'cm', 0);
    await twin((n) => ['label', 'cm', n, 'x-'], 'cm', 0);
    await twin((n) => ['label', 'cm', n], 'cm', 1);
    await twin((n) => ['annotate', 'cm', n, 'note=hi there'], 'cm', 0);
    await twin((n) => ['annotate', 'cm', n, 'note=again'], 'cm', 1);
    await twin((n) => ['annotate', 'cm', n, 'note-'], 'cm', 0);
    await twin((n) => ['get', 'cm', n, '-o', 'json'], 'cm', 0);
    await twin((n) => ['get', 'cm', n, '--show-labels'], 'cm', 0);
    await twin((n) => ['delete', 'cm', n], 'cm', 0);
    await twin((n) => ['delete', 'cm', n], 'cm', 1);
    await twin((n) => ['delete', 'configmap', n, '--ignore-not-found'], 'cm', 0);
    await same(['label', 'pod', 'nope', 'a=b'], 1);
    await same(['delete', 'deployment', 'nope', '-n', 'team-a'], 1);
  });

  it('config view, get-contexts, current-context, use-context', async () => {
    await same(['config', 'view'], 0);
    await same(['config', 'view', '--minify'], 0);
    await same(['config', 'view', '--raw'], 0);
    await same(['config', 'view', '-o', 'json'], 0);
    await same(['config', 'get-contexts'], 0);
    await same(['config', 'get-contexts', '-o', 'name'], 0);
    await same(['config', 'current-context'], 0);
    await same(['config', 'use-context', 'nope'], 1);
    const copy = cp.writeFile('copy.kubeconfig', (await cp.k(['config', 'view', '--raw'])) +
      '');
    const k = await run('kubectl', ['--kubeconfig', copy, 'config', 'use-context', 'skiff']);
    const s = await run(process.execPath, [SKIFFCTL, '--kubeconfig', copy, 'config', 'use-context', 'skiff']);
    assert.deepEqual(s, k);
  });

  it('merges KUBECONFIG files like kubectl', async () => {
    const extra = cp.writeFile('extra.kubeconfig', `apiVersion: v1
kind: Config
current-context: other
clusters:
- name: other
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: other-user
  user: {token: secret-token}
contexts:
- name: other
  context: {cluster: other, user: other-user, namespace: kube-system}
- name: skiff
  context: {cluster: other, user: other-user}
`);
    const env = { ...process.env, KUBECONFIG: `${cp.kubeconfig}:${extra}:/nonexistent` };
    for (const args of [['config', 'view'], ['config', 'get-contexts'], ['config', 'current-context'], ['get', 'ns', 'default'],
      ['get', 'pods', '--context', 'other', '--cache-dir', join(cp.dir, 'c2')]]) {
      const k = normalise(await run('kubectl', args, { env }));
      const s = normalise(await run(process.execPath, [SKIFFCTL, ...args], { env }));
      assert.deepEqual(s, k, `KUBECONFIG merge: ${args.join(' ')}`);
    }
  });

  it('skiffctl-only behaviour', async () => {
    const r = await skiffctl(['frobnicate']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: 'error: unknown command "frobnicate" for "skiffctl"\n' });
  });
});
