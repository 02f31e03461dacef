/**
 * Golden tests: the same command line through the real kubectl 1.32 and through skiffctl,
 * against one skiff-master, must give the same stdout, stderr and exit code. Only ages,
 * UIDs, resourceVersions and timestamps are normalised (plus the few documented
 * exceptions below: kubectl's own client version line and its klog noise).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawn, ChildProcess } from 'node:child_process';
import { ControlPlane, ExecResult, REPO, run, waitFor } from '../lib/control-plane';

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

/** Names controllers generate: `<rs>-<pod-template-hash>` and `<rs>-<hash>-<5 chars>`. */
const GENERATED = /-[bcdfghjklmnpqrstvwxz2456789]{8,10}(?:-[bcdfghjklmnpqrstvwxz2456789]{5})?\b/g;

function normalise(r: ExecResult): ExecResult {
  const n = (s: string): string => s.replace(KLOG, '').replace(UID, '<uid>').replace(RV, '$1"<rv>"').replace(TS, '<ts>').replace(AGE, '<age>').replace(GENERATED, '-<hash>')
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
  async function twin(args: (n: string) => string[], name: string, expectCode?: number, input?: (n: string) => string): Promise<void> {
    // both at once: they act on different objects, and it halves the suite's wall time
    const [k0, s0] = await Promise.all([
      cp.kubectl(args(`kk-${name}`), { input: input?.(`kk-${name}`) }),
      run(process.execPath, [SKIFFCTL, '--kubeconfig', cp.kubeconfig, '--cache-dir', cacheDir, ...args(`ss-${name}`)], { input: input?.(`ss-${name}`) }),
    ]);
    const k = normalise(k0);
    const s = normalise(s0);
    const fix = (r: ExecResult): ExecResult => ({ ...r, stdout: r.stdout.replaceAll(`ss-${name}`, `kk-${name}`), stderr: r.stderr.replaceAll(`ss-${name}`, `kk-${name}`) });
    assert.deepEqual(fix(s), k, `skiffctl ${args(`ss-${name}`).join(' ')} differs from kubectl`);
    if (expectCode !== undefined) assert.equal(k.code, expectCode, k.stderr);
  }

  before(async () => {
    // Fake nodes never renew a lease; keep the node lifecycle controller from tainting them mid-test.
    cp = await ControlPlane.start(['--node-monitor-grace-period', '3600000']);
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

  it('get: --sort-by and custom-columns', async () => {
    await same(['get', 'pods', '-A', '--sort-by=.metadata.name'], 0);
    await same(['get', 'pods', '-A', '--sort-by', '{.metadata.namespace}', '-o', 'wide'], 0);
    await same(['get', 'cm', '-A', '--sort-by=metadata.name'], 0);
    await same(['get', 'ns', '--sort-by=.metadata.name', '-o', 'name'], 0);
    await same(['get', 'deploy', '-A', '--sort-by=.spec.replicas', '--no-headers'], 0);
    await same(['get', 'pods', '-A', '--sort-by=.spec.nothing'], 0);
    await same(['get', 'pods', '-A', '-o', 'custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image,LABELS:.metadata.labels,NONE:.spec.nope'], 0);
    await same(['get', 'cm', '-A', '-o', 'custom-columns=NS:{.metadata.namespace},NAME:metadata.name', '--sort-by=.metadata.name'], 0);
    await same(['get', 'pod', 'web-1', '-o', 'custom-columns=NAME:.metadata.name,ENV:.spec.containers[0].env[*].name', '--no-headers'], 0);
    await same(['get', 'pods', '-n', 'empty', '-o', 'custom-columns=NAME:.metadata.name'], 0);
    await same(['get', 'pods', '-o', 'custom-columns=NAME'], 1);
    await same(['get', 'pods', '-o', 'custom-columns='], 1);
  });

  it('get -w: the table, then a row per event, aligned like kubectl', async () => {
    await cp.k(['create', 'namespace', 'watched']);
    await cp.k(['create', 'configmap', 'first', '-n', 'watched', '--from-literal=a=b']);
    const start = (bin: string, args: string[]): { proc: ChildProcess; out: () => string; exit: Promise<number | null> } => {
      const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
      return { proc, out: () => out, exit: new Promise((res) => proc.on('exit', (code) => res(code))) };
    };
    const wargs = ['get', 'configmaps', '-n', 'watched', '-w'];
    const k = start('kubectl', ['--kubeconfig', cp.kubeconfig, '--cache-dir', cacheDir, ...wargs]);
    const s = start(process.execPath, [SKIFFCTL, '--kubeconfig', cp.kubeconfig, '--cache-dir', cacheDir, ...wargs]);
    try {
      await waitFor('initial tables', async () => k.out().includes('first') && s.out().includes('first'), 15_000, 100);
      await cp.k(['create', 'configmap', 'a-much-longer-name', '-n', 'watched']);
      await cp.k(['label', 'configmap', 'first', '-n', 'watched', 'x=y']);
      await cp.k(['delete', 'configmap', 'a-much-longer-name', '-n', 'watched']);
      const rows = (o: string): number => o.split('\n').length - 1;
      await waitFor('watch rows', async () => rows(k.out()) >= 5 && rows(s.out()) >= 5, 15_000, 100);
    } finally {
      k.proc.kill('SIGTERM');
      s.proc.kill('SIGTERM');
    }
    const [kc, sc] = await Promise.all([k.exit, s.exit]);
    const norm = (o: string): string => normalise({ code: 0, stdout: o, stderr: '' }).stdout;
    assert.equal(norm(s.out()), norm(k.out()));
    assert.match(norm(s.out()), /^NAME {4}DATA {3}AGE\nfirst {3}1 {6}<age>\na-much-longer-name {3}0 {6}<age>\nfirst {16}1 {6}<age>\n/);
    assert.equal(sc, kc);
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

  it('create -f, apply -f, replace -f, delete -f / -l / --all', async () => {
    const dir = (n: string): string => {
      const d = join(cp.dir, `${n}-dir`);
      mkdirSync(join(d, 'sub'), { recursive: true });
      writeFileSync(join(d, 'a.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}-a\n  labels: {set: ${n}}\ndata: {x: "1"}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ${n}-svc\n  labels: {set: ${n}}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080}]\n`);
      writeFileSync(join(d, 'sub', 'b.json'), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${n}-b","labels":{"set":"${n}"}},"data":{"y":"yes"}}`);
      writeFileSync(join(d, 'notes.txt'), 'not a manifest');
      return d;
    };
    await twin((n) => ['create', '-f', dir(n)], 'f1', 0);
    await twin((n) => ['create', '-f', join(cp.dir, `${n}-dir`)], 'f1', 1);
    await twin((n) => ['create', '-f', join(cp.dir, `${n}-dir`), '-R'], 'f1', 1);
    await twin((n) => ['get', 'cm', '-l', `set=${n}`, '-o', 'yaml'], 'f1', 0);
    await twin((n) => ['apply', '-f', join(cp.dir, `${n}-dir`), '-R'], 'f1', 0);
    await twin((n) => ['apply', '-f', join(cp.dir, `${n}-dir`), '-R'], 'f1', 0);
    await twin((n) => ['get', 'cm', `${n}-b`, '-o', 'yaml'], 'f1', 0);
    await twin((n) => ['delete', '-f', join(cp.dir, `${n}-dir`), '-R'], 'f1', 0);
    await twin((n) => ['delete', '-f', join(cp.dir, `${n}-dir`), '-R'], 'f1', 1);
    await twin((n) => ['replace', '-f', join(cp.dir, `${n}-dir`, 'a.yaml')], 'f1', 1);
    await same(['create', '-f', '/nonexistent.yaml'], 1);
    await same(['apply', '-f', '/nonexistent.yaml'], 1);
    await same(['create'], 1);
    await same(['apply'], 1);
    await same(['delete', 'cm', '-l', 'nothing=here'], 0);
    await same(['delete', '-l', 'x=y'], 1);
    await same(['delete', 'cm'], 1);

    // stdin, namespaces, created / unchanged / configured, the missing-annotation warning
    const cm = (n: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${n}\n  namespace: team-a\ndata:\n  on: yes\n  n: 3\n`;
    await twin(() => ['apply', '-f', '-'], 'in', 1, cm);
    const cm2 = (n: string): string => cm(n).replace('n: 3', 'n: "3"').replace('on: yes', 'on: "yes"');
    await twin(() => ['apply', '-f', '-'], 'in', 0, cm2);
    await twin(() => ['apply', '-f', '-', '-n', 'team-a'], 'in', 0, cm2);
    await twin(() => ['apply', '-f', '-', '-n', 'default'], 'in', 1, cm2);
    await twin(() => ['apply', '-f', '-', '-o', 'name'], 'in', 0, (n) => cm2(n).replace('on: "yes"', 'off: "no"'));
    await twin((n) => ['get', 'cm', n, '-n', 'team-a', '-o', 'yaml'], 'in', 0);
    await twin(() => ['create', '-f', '-'], 'in2', 0, (n) => cm2(n));
    await twin(() => ['apply', '-f', '-'], 'in2', 0, (n) => cm2(n).replace('n: "3"', 'n: "4"'));
    await twin((n) => ['get', 'cm', n, '-n', 'team-a', '-o', 'yaml'], 'in2', 0);
    await twin(() => ['replace', '-f', '-'], 'in2', 0, (n) => cm2(n).replace('n: "3"', 'n: "5"'));
    await twin((n) => ['get', 'cm', n, '-n', 'team-a', '-o', 'jsonpath={.data}'], 'in2', 0);
    await twin(() => ['create', '-f', '-'], 'inv', 1, (n) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${n}}\nspec: {ports: [{port: 0}]}\n`);

    // three-way strategic merge: lists merged by key, deletions from last-applied only
    const d1 = (n: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${n}\n  labels: {app: ${n}, extra: x}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: ${n}}\n  template:\n    metadata:\n      labels: {app: ${n}}\n    spec:\n      containers:\n      - name: a\n        image: skiff/web:1\n        ports: [{containerPort: 80}, {containerPort: 81, name: m}]\n        env: [{name: A, value: "1"}, {name: B, value: "2"}]\n        args: [x, z]\n      - name: b\n        image: skiff/web:1\n`;
    const d2 = (n: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${n}\n  labels: {app: ${n}}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: ${n}}\n  template:\n    metadata:\n      labels: {app: ${n}}\n    spec:\n      containers:\n      - name: b\n        image: skiff/web:2\n      - name: a\n        image: skiff/web:1\n        ports: [{containerPort: 81, name: m}]\n        env: [{name: C, value: "3"}, {name: A, value: "1"}]\n        args: [z]\n      - name: c\n        image: skiff/web:3\n`;
    await twin(() => ['apply', '-f', '-'], 'smp', 0, d1);
    await twin((n) => ['label', 'deploy', n, 'live=1'], 'smp', 0);
    await twin(() => ['apply', '-f', '-'], 'smp', 0, d2);
    await twin(() => ['apply', '-f', '-'], 'smp', 0, d2);
    await twin((n) => ['get', 'deploy', n, '-o', 'yaml'], 'smp', 0);
    await twin(() => ['apply', '--server-side', '-f', '-'], 'smp', 0, d2);
    await twin(() => ['apply', '--server-side', '-f', '-'], 'ssa', 0, d1);
    await twin((n) => ['get', 'deploy', n, '-o', 'jsonpath={.spec.template.spec.containers[*].name}'], 'ssa', 0);
    await twin(() => ['apply', '--server-side', '-f', '-'], 'ssa-bad', 1, (n) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${n}}\ndata: {a: 1}\n`);
    await twin((n) => ['delete', 'deploy', '-l', `app=${n}`], 'smp', 0);
    await twin((n) => ['delete', 'cm', '--all', '-n', `${n}-ns`], 'ns', 0);
  });

  it('describe pods, deployments, services, nodes, configmaps (with events)', async () => {
    await cp.k(['create', '-f', '-'], { input: `apiVersion: v1
kind: Node
metadata:
  name: dn1
  labels: {kubernetes.io/hostname: dn1, node-role.kubernetes.io/control-plane: ""}
spec:
  podCIDR: 10.244.1.0/24
  taints: [{key: dedicated, value: test, effect: NoSchedule}]
---
apiVersion: v1
kind: Pod
metadata:
  name: dpod
  namespace: team-a
  labels: {app: d, tier: front}
  annotations: {note: hi, long: "${'x'.repeat(150)}", multi: "a\nb\n"}
spec:
  nodeName: dn1
  containers:
  - name: c
    image: skiff/busybox:latest
    command: ["sleep", "3600"]
    args: [a, "b\nc"]
    ports: [{containerPort: 80, name: http}, {containerPort: 53, protocol: UDP}]
    env: [{name: A, value: "1"}, {name: B, valueFrom: {fieldRef: {fieldPath: metadata.name}}}, {name: C, valueFrom: {configMapKeyRef: {name: cm, key: k}}}, {name: D, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}]
    envFrom: [{configMapRef: {name: settings}}, {secretRef: {name: s, optional: true}, prefix: P_}]
    resources: {limits: {cpu: 100m, memory: 64Mi}, requests: {cpu: 50m}}
    volumeMounts: [{name: v, mountPath: /data}, {name: h, mountPath: /a, readOnly: true, subPath: x}]
    livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 5}
    readinessProbe: {exec: {command: [cat, /tmp/ok]}}
  - name: d
    image: skiff/web:1
  volumes: [{name: v, emptyDir: {}}, {name: h, hostPath: {path: /tmp}}, {name: s, secret: {secretName: s}}, {name: c, configMap: {name: settings}}]
  tolerations: [{key: k, operator: Exists, effect: NoSchedule}, {operator: Exists}]
  nodeSelector: {disk: ssd}
---
apiVersion: v1
kind: Service
metadata: {name: dsvc, namespace: team-a, labels: {app: d}, annotations: {a: b}}
spec:
  type: NodePort
  selector: {app: d}
  ports: [{name: web, port: 80, targetPort: http}, {name: dns, port: 53, protocol: UDP}]
`,
    });
    const uid = (await cp.k(['get', 'pod', 'dpod', '-n', 'team-a', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const duid = (await cp.k(['get', 'deploy', 'app', '-n', 'team-a', '-o', 'jsonpath={.metadata.uid}'])).trim();
    const ev = (name: string, obj: string, type: string, reason: string, count: number, msg: string): string => `apiVersion: v1
kind: Event
metadata: {name: ${name}, namespace: ${obj.includes('Node') ? 'default' : 'team-a'}}
involvedObject: {${obj}}
reason: ${reason}
message: '${msg}'
type: ${type}
source: {component: kubelet, host: dn1}
firstTimestamp: "2020-01-01T00:00:00Z"
lastTimestamp: "2020-0${count}-01T00:00:00Z"
count: ${count}
`;
    await cp.k(['create', '-f', '-'], { input: [
      ev('e1', `kind: Pod, name: dpod, namespace: team-a, uid: ${uid}`, 'Normal', 'Scheduled', 1, 'Successfully assigned team-a/dpod to dn1'),
      ev('e2', `kind: Pod, name: dpod, namespace: team-a, uid: ${uid}, fieldPath: "spec.containers{c}"`, 'Warning', 'BackOff', 3, 'Back-off pulling image'),
      ev('e3', `kind: Pod, name: dpod, namespace: team-a, uid: not-this-pod`, 'Normal', 'Other', 1, 'belongs to an older pod'),
      ev('e4', `kind: Deployment, name: app, namespace: team-a, uid: ${duid}, apiVersion: apps/v1`, 'Normal', 'ScalingReplicaSet', 2, 'Scaled up'),
      ev('e5', 'kind: Node, name: dn1, uid: dn1', 'Normal', 'Starting', 1, 'Starting kubelet.'),
    ].join('---\n') });
    await same(['describe', 'pod', 'dpod', '-n', 'team-a'], 0);
    await same(['describe', 'pods', '-n', 'team-a'], 0);
    await same(['describe', 'pod/dpod', '-n', 'team-a', '--show-events=false'], 0);
    await same(['describe', 'po', 'dp', '-n', 'team-a'], 0);
    await same(['describe', 'pod', 'web-1'], 0);
    await same(['describe', 'deploy', 'app', '-n', 'team-a'], 0);
    await same(['describe', 'deployments.apps', '-A'], 0);
    await same(['describe', 'svc', 'dsvc', '-n', 'team-a'], 0);
    await same(['describe', 'svc', '-A'], 0);
    await same(['describe', 'node', 'dn1'], 0);
    await same(['describe', 'nodes'], 0);
    await same(['describe', 'cm', 'settings', '-n', 'team-a'], 0);
    await same(['describe', 'pods', '-l', 'app=d', '-n', 'team-a'], 0);
    await same(['describe', 'pod', 'nope'], 1);
    await same(['describe', 'pods', '-n', 'empty'], 0);
    await same(['describe', 'nope'], 1);
    await same(['describe'], 1);
    await cp.k(['delete', 'pod', 'dpod', '-n', 'team-a', '--wait=false']);
    await cp.k(['delete', 'node', 'dn1', 'svc/dsvc', '-n', 'team-a']).catch(() => undefined);
    await cp.k(['delete', 'node', 'dn1']).catch(() => undefined);
    await cp.k(['delete', 'svc', 'dsvc', '-n', 'team-a']).catch(() => undefined);
  });

  it('scale, patch, cordon, uncordon, taint, rollout, cluster-info', async () => {
    const KLOG_CMD = /^E\d{4} [\d:.]+\s+\d+ run\.go:72\] /m;
    const dep = (n: string): string => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${n}, namespace: team-a}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: ${n}}}\n  template:\n    metadata: {labels: {app: ${n}}}\n    spec: {containers: [{name: c, image: skiff/web:1}]}\n`;
    await twin(() => ['apply', '-f', '-'], 'ops', 0, dep);
    await twin((n) => ['scale', 'deploy', n, '--replicas=3', '-n', 'team-a'], 'ops', 0);
    await twin((n) => ['scale', `deployment/${n}`, '--replicas', '0', '-n', 'team-a'], 'ops', 0);
    await twin((n) => ['scale', 'deploy', n, 'nope', '--replicas=2', '-n', 'team-a'], 'ops', 1);
    await same(['scale', 'deploy', 'nope', '--replicas=1'], 1);
    const k = await cp.kubectl(['scale', 'deploy', 'app', '-n', 'team-a']);
    const s = await skiffctl(['scale', 'deploy', 'app', '-n', 'team-a']);
    assert.equal(s.code, k.code);
    assert.equal(s.stderr.replace(KLOG_CMD, ''), k.stderr.replace(KLOG_CMD, ''));
    await twin((n) => ['get', 'deploy', n, '-n', 'team-a', '-o', 'jsonpath={.spec.replicas}'], 'ops', 0);
    await twin((n) => ['patch', 'deploy', n, '-n', 'team-a', '-p', '{"spec":{"replicas":2}}'], 'ops', 0);
    await twin((n) => ['patch', 'deploy', n, '-n', 'team-a', '-p', '{"spec":{"replicas":2}}'], 'ops', 0);
    await twin((n) => ['patch', `deploy/${n}`, '-n', 'team-a', '--type=merge', '-p', 'metadata: {labels: {x: "y"}}'], 'ops', 0);
    await twin((n) => ['patch', 'deploy', n, '-n', 'team-a', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/labels/x"}]'], 'ops', 0);
    await twin((n) => ['patch', 'deploy', n, '-n', 'team-a', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/labels/x"}]'], 'ops', 1);
    await twin((n) => ['patch', 'deploy', n, '-n', 'team-a', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"d","image":"skiff/web:2"}]}}}}'], 'ops', 0);
    await twin((n) => ['patch', 'deploy', n, '-n', 'team-a', '-p', 'notjson'], 'ops', 1);
    await twin((n) => ['get', 'deploy', n, '-n', 'team-a', '-o', 'yaml'], 'ops', 0);
    await same(['patch', 'deploy', 'nope', '-p', '{}'], 1);
    await twin((n) => ['rollout', 'pause', `deploy/${n}`, '-n', 'team-a'], 'ops', 0);
    await twin((n) => ['rollout', 'pause', `deploy/${n}`, '-n', 'team-a'], 'ops', 1);
    await twin((n) => ['rollout', 'restart', `deploy/${n}`, '-n', 'team-a'], 'ops', 1);
    await twin((n) => ['rollout', 'resume', `deploy/${n}`, '-n', 'team-a'], 'ops', 0);
    await twin((n) => ['rollout', 'resume', 'deploy', n, '-n', 'team-a'], 'ops', 1);
    await twin((n) => ['rollout', 'restart', `deploy/${n}`, '-n', 'team-a'], 'ops', 0);
    await twin((n) => ['get', 'deploy', n, '-n', 'team-a', '-o', 'jsonpath={.spec.paused} {.spec.template.metadata.annotations}'], 'ops', 0);
    await twin((n) => ['rollout', 'history', `deploy/${n}`, '-n', 'team-a'], 'ops', 0);
    // `history --revision` and `undo` with real revisions are not in skiffctl yet (see packages/ctl/README.md).
    await same(['rollout', 'status', 'deploy/nope'], 1);
    await same(['rollout', 'pause', 'cm/nope'], 1);
    await same(['cluster-info'], 0);

    const node = (n: string): string => `apiVersion: v1\nkind: Node\nmetadata: {name: ${n}}\nspec: {taints: [{key: a, effect: NoExecute}]}\n`;
    await twin(() => ['create', '-f', '-'], 'node', 0, node);
    await twin((n) => ['cordon', n], 'node', 0);
    await twin((n) => ['cordon', n], 'node', 0);
    await twin((n) => ['uncordon', n], 'node', 0);
    await twin((n) => ['uncordon', n], 'node', 0);
    await same(['cordon', 'nope'], 1);
    await twin((n) => ['taint', 'nodes', n, 'k=v:NoSchedule'], 'node', 0);
    await twin((n) => ['taint', 'nodes', n, 'k=v:NoSchedule'], 'node', 1);
    await twin((n) => ['taint', 'nodes', n, 'k=w:NoSchedule', '--overwrite'], 'node', 0);
    await twin((n) => ['taint', `node/${n}`, 'k:NoSchedule-'], 'node', 1);
    await twin((n) => ['taint', 'node', n, 'k:NoSchedule-', 'x=1:PreferNoSchedule'], 'node', 0);
    await twin((n) => ['get', 'node', n, '-o', 'jsonpath={.spec.taints}'], 'node', 0);
    await twin((n) => ['taint', 'nodes', n, 'k-'], 'node', 1);
    await twin((n) => ['taint', 'nodes', n, 'a-', 'x-'], 'node', 0);
    await twin((n) => ['taint', 'nodes', n, 'bad'], 'node', 1);
    await twin((n) => ['taint', 'nodes', n, 'k=v:Sometimes'], 'node', 1);
    await twin((n) => ['get', 'node', n, '-o', 'yaml'], 'node', 0);
    await twin((n) => ['delete', 'node', n], 'node', 0);
  });

  it('create deployment|secret|service|job|cronjob', async () => {
    const KLOG_CMD = /^E\d{4} [\d:.]+\s+\d+ run\.go:72\] /m;
    await twin((n) => ['create', 'deployment', n, '--image=skiff/web:1', '--image=reg.io/x/bc:1', '--replicas=2'], 'gen', 0);
    await twin((n) => ['create', 'deploy', `${n}-p`, '--image=skiff/web:1', '--port=80', '--', 'sleep', '10'], 'gen', 0);
    await twin((n) => ['create', 'secret', 'generic', n, '--from-literal=a=b', '--from-literal=c=d', '--type=Opaque'], 'gen', 0);
    await twin((n) => ['create', 'secret', 'docker-registry', `${n}-r`, '--docker-server=reg.io', '--docker-username=u', '--docker-password=p', '--docker-email=e@x'], 'gen', 0);
    await twin((n) => ['create', 'service', 'clusterip', n, '--tcp=80:8080', '--tcp=443'], 'gen', 0);
    await twin((n) => ['create', 'service', 'nodeport', `${n}-np`, '--tcp=80:8080'], 'gen', 0);
    await twin((n) => ['create', 'job', n, '--image=busybox', '--', 'echo', 'hi'], 'gen', 0);
    await twin((n) => ['create', 'cronjob', n, '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'], 'gen', 0);
    for (const r of ['deploy', 'secret', 'job', 'cronjob']) await twin((n) => ['get', r, n, '-o', 'yaml'], 'gen', 0);
    await twin((n) => ['get', 'deploy', `${n}-p`, '-o', 'yaml'], 'gen', 0);
    await twin((n) => ['get', 'secret', `${n}-r`, '-o', 'yaml'], 'gen', 0);
    await twin((n) => ['get', 'svc', n, '-o', 'jsonpath={.spec.ports}'], 'gen', 0);
    await twin((n) => ['create', 'deployment', n, '--image=x'], 'gen', 1);
    await twin((n) => ['create', 'secret', 'generic', n], 'gen', 1);
    await same(['create', 'secret', 'nope', 'x'], 1);
    await same(['create', 'secret', 'generic'], 1);
    const k = await cp.kubectl(['create', 'deployment', 'noimage']);
    const s = await skiffctl(['create', 'deployment', 'noimage']);
    assert.equal(s.code, k.code);
    assert.equal(s.stderr.replace(KLOG_CMD, ''), k.stderr.replace(KLOG_CMD, ''));
  });

  it('skiffctl-only behaviour', async () => {
    const r = await skiffctl(['frobnicate']);
    assert.deepEqual(r, { code: 1, stdout: '', stderr: 'error: unknown command "frobnicate" for "skiffctl"\n' });
  });
});
