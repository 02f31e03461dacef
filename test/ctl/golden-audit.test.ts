/**
 * Golden tests closing the gaps of the issue-7 audit: `apply --prune -l`, `config set-context`
 * (and `--current`), `rollout history|undo` on StatefulSets and DaemonSets (ControllerRevisions),
 * and `get -w -o name|json|yaml`. kubectl 1.32 and skiffctl run against the same skiff-master;
 * stdout, stderr and exit code must agree after the usual normalisation.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane, ExecResult, run, waitFor } from '../lib/control-plane';
import { background, normalise, SKIFFCTL } from './golden-lib';

const cm = (name: string, labels: string): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  labels: {${labels}}
data: {k: v}
`;

const deploy = (name: string, labels: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  replicas: 0
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: skiff/web:1
`;

const sts = (name: string, image: string): string => `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
spec:
  replicas: 0
  serviceName: ${name}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: ${image}
`;

const ds = (name: string): string => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: skiff/web:1
`;

describe('skiffctl prints what kubectl prints (audit gaps)', () => {
  let cp: ControlPlane;
  let cacheDir: string;
  const skiffctl = (args: string[], kubeconfig = cp.kubeconfig): Promise<ExecResult> =>
    run(process.execPath, [SKIFFCTL, '--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args]);

  async function same(args: string[], expectCode?: number): Promise<ExecResult> {
    let k: ExecResult = { code: -1, stdout: '', stderr: '' };
    let s = k;
    for (let attempt = 0; attempt < 3; attempt++) {
      [k, s] = (await Promise.all([cp.kubectl(args), skiffctl(args)])).map((r) => normalise(r)) as [ExecResult, ExecResult];
      if (k.code === s.code && k.stdout === s.stdout && k.stderr === s.stderr) break;
    }
    assert.deepEqual(s, k, `skiffctl ${args.join(' ')} differs from kubectl`);
    if (expectCode !== undefined) assert.equal(k.code, expectCode, `kubectl ${args.join(' ')}: ${k.stderr}`);
    return k;
  }

  /** State-changing commands: kubectl acts on `kk-<x>`, skiffctl on `ss-<x>`. */
  async function twin(args: (n: string) => string[], name: string, expectCode?: number): Promise<ExecResult> {
    const [k0, s0] = await Promise.all([cp.kubectl(args(`kk-${name}`)), skiffctl(args(`ss-${name}`))]);
    const k = normalise(k0);
    const s = normalise(s0);
    const fix = (r: ExecResult): ExecResult => ({ ...r, stdout: r.stdout.replaceAll(`ss-${name}`, `kk-${name}`), stderr: r.stderr.replaceAll(`ss-${name}`, `kk-${name}`) });
    assert.deepEqual(fix(s), k, `skiffctl ${args(`ss-${name}`).join(' ')} differs from kubectl`);
    if (expectCode !== undefined) assert.equal(k.code, expectCode, k.stderr);
    return k;
  }

  before(async () => {
    cp = await ControlPlane.start(['--node-monitor-grace-period', '3600000']);
    cacheDir = join(cp.dir, 'kube-cache');
    for (const ns of ['kk-pr', 'ss-pr', 'kk-ro', 'ss-ro', 'wt']) await cp.k(['create', 'namespace', ns]);
  });
  after(async () => { await cp?.stop(); });

  it('apply --prune -l: objects applied before and gone from the files are pruned', async () => {
    const full = join(cp.dir, 'prune-full');
    const part = join(cp.dir, 'prune-part');
    mkdirSync(full);
    mkdirSync(part);
    writeFileSync(join(full, 'a.yaml'), cm('a', 'set: p'));
    writeFileSync(join(full, 'b.yaml'), cm('b', 'set: p') + '---\n' + deploy('d', 'set: p'));
    writeFileSync(join(full, 'c.yaml'), cm('c', 'set: other'));
    writeFileSync(join(part, 'a.yaml'), cm('a', 'set: p'));
    // prune needs a selector or --all
    await twin((n) => ['apply', '-f', full, '-n', n, '--prune'], 'pr', 1);
    // -l also filters what is applied: c (set=other) is left alone. kubectl 1.32's default
    // allowlist names ReplicationController, which Skiff does not serve: the objects are applied,
    // then prune fails on the RESTMapping, exactly as kubectl reports it
    await twin((n) => ['apply', '-f', full, '-n', n, '--prune', '-l', 'set=p'], 'pr', 1);
    await twin((n) => ['get', 'cm', '-n', n], 'pr', 0);
    await twin((n) => ['apply', '-f', full, '-n', n], 'pr', 0);
    // an object created without apply carries no last-applied annotation and is never pruned
    await Promise.all(['kk-pr', 'ss-pr'].map((n) => cp.k(['create', 'configmap', 'manual', '-n', n])));
    await Promise.all(['kk-pr', 'ss-pr'].map((n) => cp.k(['label', 'configmap', 'manual', 'set=p', '-n', n])));
    const allow = ['--prune-allowlist=core/v1/ConfigMap', '--prune-allowlist=apps/v1/Deployment'];
    const pruned = await twin((n) => ['apply', '-f', part, '-n', n, '--prune', '-l', 'set=p', ...allow], 'pr', 0);
    assert.equal(pruned.stdout, 'configmap/a unchanged\nconfigmap/b pruned\ndeployment.apps/d pruned\n');
    await twin((n) => ['get', 'cm,deploy', '-n', n], 'pr', 0);
    await twin((n) => ['apply', '-f', part, '-n', n, '--prune', '-l', 'set=p', ...allow], 'pr', 0);
    await twin((n) => ['apply', '-f', part, '-n', n, '--prune', '-l', 'set=p', '--prune-allowlist=v1/ConfigMap'], 'pr', 1);
    // without --prune the allowlist is ignored
    await twin((n) => ['apply', '-f', part, '-n', n, '-l', 'set=p', ...allow], 'pr', 0);
    await twin((n) => ['apply', '-f', part, '-n', n, '--prune', '-l', 'set in (p', ...allow], 'pr', 1);
  });

  it('create configmap --from-file (file, key=file, directory) and its failures', async () => {
    const dir = join(cp.dir, 'cm-files');
    mkdirSync(dir);
    writeFileSync(join(dir, 'app.properties'), 'mode=fast\nlevel=3\n');
    writeFileSync(join(dir, 'motd.txt'), 'hello\n');
    mkdirSync(join(dir, 'skipped-subdir'));
    await twin((n) => ['create', 'configmap', n, '-n', 'wt', `--from-file=${join(dir, 'app.properties')}`, `--from-file=greeting=${join(dir, 'motd.txt')}`], 'cmf', 0);
    await twin((n) => ['get', 'configmap', n, '-n', 'wt', '-o', 'yaml'], 'cmf', 0);
    await twin((n) => ['create', 'configmap', `${n}-dir`, '-n', 'wt', `--from-file=${dir}`, '--from-literal=extra=1'], 'cmf', 0);
    await twin((n) => ['get', 'configmap', `${n}-dir`, '-n', 'wt', '-o', 'jsonpath={.data}'], 'cmf', 0);
    await twin((n) => ['create', 'configmap', `${n}-bad`, '-n', 'wt', `--from-file=${join(dir, 'nope.txt')}`], 'cmf', 1);
    await twin((n) => ['create', 'configmap', `${n}-dup`, '-n', 'wt', `--from-file=${join(dir, 'motd.txt')}`, `--from-file=${join(dir, 'motd.txt')}`], 'cmf', 1);
    await twin((n) => ['create', 'configmap', n, '-n', 'wt', `--from-file=${join(dir, 'motd.txt')}`], 'cmf', 1);
  });

  it('config set-context, --current --namespace, use-context, get-contexts, view --minify', async () => {
    const kk = join(cp.dir, 'kk.kubeconfig');
    const ss = join(cp.dir, 'ss.kubeconfig');
    copyFileSync(cp.kubeconfig, kk);
    copyFileSync(cp.kubeconfig, ss);
    const pair = async (args: string[], expectCode: number): Promise<void> => {
      const [k, s] = await Promise.all([run('kubectl', ['--kubeconfig', kk, ...args]), skiffctl(args, ss)]);
      assert.deepEqual(normalise(s), normalise(k), `skiffctl ${args.join(' ')} differs from kubectl`);
      assert.equal(k.code, expectCode, k.stderr);
      // the files must say the same thing afterwards (read back by kubectl, which re-serialises)
      const [vk, vs] = await Promise.all([run('kubectl', ['--kubeconfig', kk, 'config', 'view', '--raw']), run('kubectl', ['--kubeconfig', ss, 'config', 'view', '--raw'])]);
      assert.equal(vs.stdout, vk.stdout, `kubeconfig after ${args.join(' ')}`);
    };
    await pair(['config', 'view', '--minify'], 0);
    // a context naming a user the file does not define: `view --minify` fails on it
    await pair(['config', 'set-context', 'ghost', '--cluster=skiff', '--user=ghost'], 0);
    await pair(['config', 'view', '--minify', '--context', 'ghost'], 1);
    await pair(['config', 'set-context', 'dev', '--cluster=skiff', '--namespace=team'], 0);
    await pair(['config', 'set-context', 'dev', '--namespace=other'], 0);
    await pair(['config', 'set-context', 'bare'], 0);
    await pair(['config', 'set-context', '--current', '--namespace=wt'], 0);
    await pair(['config', 'set-context'], 1);
    await pair(['config', 'set-context', 'dev', '--current'], 1);
    await pair(['config', 'get-contexts'], 0);
    await pair(['config', 'get-contexts', 'dev', 'nope'], 1);
    await pair(['get', 'cm'], 0);
    await pair(['config', 'use-context', 'dev'], 0);
    await pair(['config', 'view', '--minify'], 0);
    await pair(['config', 'view', '--minify', '--context', 'bare'], 0);
    await pair(['config', 'view', '--minify', '--context', 'nope'], 1);
    await pair(['config', 'use-context', 'nope'], 1);
  });

  it('rollout history / --revision / undo on statefulsets and daemonsets', async () => {
    await twin((n) => ['apply', '-n', n, '-f', cp.writeFile(`${n}-sts1.yaml`, sts('web', 'skiff/web:1'))], 'ro', 0);
    await twin((n) => ['apply', '-n', n, '-f', cp.writeFile(`${n}-sts2.yaml`, sts('web', 'skiff/web:2'))], 'ro', 0);
    await twin((n) => ['apply', '-n', n, '-f', cp.writeFile(`${n}-ds.yaml`, ds('agent'))], 'ro', 0);
    const revisions = async (ns: string): Promise<number> => {
      const r = await cp.kubectl(['get', 'controllerrevisions', '-n', ns, '-l', 'app=web', '-o', 'name']);
      return r.stdout.split('\n').filter(Boolean).length;
    };
    await waitFor('two statefulset revisions', async () => (await revisions('kk-ro')) === 2 && (await revisions('ss-ro')) === 2, 60_000, 500);
    await twin((n) => ['rollout', 'history', 'sts/web', '-n', n], 'ro', 0);
    await twin((n) => ['rollout', 'history', 'sts/web', '-n', n, '--revision=1'], 'ro', 0);
    await twin((n) => ['rollout', 'history', 'sts/web', '-n', n, '--revision=7'], 'ro', 1);
    await twin((n) => ['rollout', 'undo', 'sts/web', '-n', n, '--to-revision=7'], 'ro', 1);
    await twin((n) => ['rollout', 'undo', 'sts/web', '-n', n, '--to-revision=2'], 'ro', 0);
    await twin((n) => ['rollout', 'undo', 'sts/web', '-n', n, '--dry-run=client'], 'ro', 0);
    await twin((n) => ['rollout', 'undo', 'sts/web', '-n', n], 'ro', 0);
    await twin((n) => ['get', 'sts', 'web', '-n', n, '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], 'ro', 0);
    // DaemonSet: whatever ControllerRevisions the controller wrote, both print the same
    await twin((n) => ['rollout', 'history', 'ds/agent', '-n', n], 'ro', 0);
    await twin((n) => ['rollout', 'undo', 'ds/agent', '-n', n], 'ro');
  });

  it('get -w -o name|json|yaml: the list, then every event, stopped with SIGINT', async () => {
    await cp.k(['create', 'configmap', 'w1', '-n', 'wt', '--from-literal=a=1']);
    let i = 2;
    for (const o of ['name', 'json', 'yaml']) {
      const args = ['get', 'cm', '-n', 'wt', '-w', '-o', o];
      const k = background('kubectl', ['--kubeconfig', cp.kubeconfig, ...args]);
      const s = background(process.execPath, [SKIFFCTL, '--kubeconfig', cp.kubeconfig, '--cache-dir', cacheDir, ...args]);
      try {
        await waitFor('the initial list', async () => k.out().includes('w1') && s.out().includes('w1'), 30_000, 200);
        const name = `w${i++}`;
        await cp.k(['create', 'configmap', name, '-n', 'wt', '--from-literal=b=2']);
        await cp.k(['label', 'configmap', name, '-n', 'wt', 'x=y']);
        await waitFor('the events', async () => [k, s].every((b) => b.out().split(name).length >= 3), 30_000, 200);
        // a moment for anything extra to show up in either
        await new Promise((r) => setTimeout(r, 1000));
      } finally {
        k.proc.kill('SIGINT');
        s.proc.kill('SIGINT');
      }
      const [kc, sc] = await Promise.all([k.exited, s.exited]);
      const kr = normalise({ code: Number(kc), stdout: k.out(), stderr: k.err() });
      const sr = normalise({ code: Number(sc), stdout: s.out(), stderr: s.err() });
      assert.deepEqual(sr, kr, `get -w -o ${o}`);
    }
  });
});
