/**
 * Golden tests for skiffctl's pod commands (logs, exec, cp, port-forward, top, drain, wait,
 * go-template): the same command line through the real kubectl 1.32 and skiffctl against
 * one skiff-master with a real skiff-agent on the local Docker engine; stdout, stderr and
 * exit code must be identical after normalisation (golden-lib.ts; `top` values and
 * forwarded port numbers are normalised too). Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { AgentNode } from '../lib/agent-node';
import { freePort, run, waitFor, type ExecResult } from '../lib/control-plane';
import { background, normalise, SKIFFCTL, type Background } from './golden-lib';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';
const BUSYBOX = 'skiff/busybox:latest';
const WEB = 'skiff/web:latest';

function busybox(name: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, image: BUSYBOX, imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ...extra };
}

function httpGet(port: number, host = '127.0.0.1'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/', method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error('GET through the forwarded port timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('skiffctl pod commands print what kubectl prints', { skip }, () => {
  let node: AgentNode;
  let cacheDir: string;
  let work: string;
  const bgs: Background[] = [];

  const kubectl = (args: string[], input?: string): Promise<ExecResult> => node.cp.kubectl(args, { input, timeoutMs: 120_000 });
  const skiffctl = (args: string[], input?: string): Promise<ExecResult> =>
    run(process.execPath, [SKIFFCTL, '--kubeconfig', node.cp.kubeconfig, '--cache-dir', cacheDir, ...args], { input, timeoutMs: 120_000 });
  const kubectlBg = (args: string[]): Background => {
    const b = background('kubectl', ['--kubeconfig', node.cp.kubeconfig, '--cache-dir', join(node.cp.dir, 'kubectl-bg-cache'), ...args]);
    bgs.push(b);
    return b;
  };
  const skiffctlBg = (args: string[]): Background => {
    const b = background(process.execPath, [SKIFFCTL, '--kubeconfig', node.cp.kubeconfig, '--cache-dir', cacheDir, ...args]);
    bgs.push(b);
    return b;
  };

  /** Both at once (or one after the other), compared after normalisation; a mismatch is retried. */
  async function same(args: string[], expectCode?: number, opts: { input?: string; extra?: (s: string) => string; sequential?: boolean; between?: () => Promise<unknown> } = {}): Promise<ExecResult> {
    let k: ExecResult = { code: -1, stdout: '', stderr: '' };
    let s = k;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (opts.sequential) {
        k = normalise(await kubectl(args, opts.input), opts.extra);
        await opts.between?.();
        s = normalise(await skiffctl(args, opts.input), opts.extra);
        await opts.between?.();
      } else {
        [k, s] = (await Promise.all([kubectl(args, opts.input), skiffctl(args, opts.input)])).map((r) => normalise(r, opts.extra)) as [ExecResult, ExecResult];
      }
      if (k.code === s.code && k.stdout === s.stdout && k.stderr === s.stderr) break;
    }
    assert.deepEqual(s, k, `skiffctl ${args.join(' ')} differs from kubectl`);
    if (expectCode !== undefined) assert.equal(k.code, expectCode, `kubectl ${args.join(' ')}: ${k.stderr}`);
    return k;
  }

  /** kubectl acts on `kk-<x>`, skiffctl on `ss-<x>`; output compared with the names swapped back. */
  async function twin(args: (n: string) => string[], name: string, expectCode?: number, sequential = false, between?: () => Promise<unknown>): Promise<void> {
    const runK = (): Promise<ExecResult> => kubectl(args(`kk-${name}`));
    const runS = (): Promise<ExecResult> => skiffctl(args(`ss-${name}`));
    let k0: ExecResult;
    let s0: ExecResult;
    if (sequential) {
      k0 = await runK();
      await between?.();
      s0 = await runS();
      await between?.();
    } else [k0, s0] = await Promise.all([runK(), runS()]);
    const fix = (r: ExecResult): ExecResult => ({ ...r, stdout: r.stdout.replaceAll(`ss-${name}`, `kk-${name}`), stderr: r.stderr.replaceAll(`ss-${name}`, `kk-${name}`) });
    const k = normalise(k0);
    const s = normalise(fix(s0));
    assert.deepEqual(s, k, `skiffctl ${args(`ss-${name}`).join(' ')} differs from kubectl`);
    if (expectCode !== undefined) assert.equal(k.code, expectCode, k.stderr);
  }

  const createPod = (name: string, containers: Record<string, unknown>[], spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): Promise<Pod> =>
    node.createPod({ metadata: { name, labels: { suite: 'golden-pods', ...labels } }, spec: { terminationGracePeriodSeconds: 1, containers, ...spec } } as unknown as Pod);
  const running = (name: string): Promise<unknown> =>
    node.waitPod(name, 'Running and Ready', (p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 90_000);
  const uncordon = (): Promise<unknown> => node.k(['uncordon', node.nodeName]);

  before(async () => {
    node = await AgentNode.start();
    cacheDir = join(node.cp.dir, 'skiffctl-cache');
    work = mkdtempSync(join(tmpdir(), 'skiff-golden-pods-'));
    await createPod('logger', [
      busybox('main', 'echo to-stderr >&2; for i in 1 2 3 4 5; do echo line-$i; done; while true; do sleep 1; done'),
      busybox('side', 'echo side-1; echo side-2; while true; do sleep 1; done'),
    ], {}, { app: 'logger' });
    await createPod('web', [{ name: 'web', image: WEB, imagePullPolicy: 'IfNotPresent', ports: [{ name: 'http', containerPort: 80 }] }], {}, { app: 'web' });
    await createPod('restarter', [busybox('main', 'echo started; sleep 3; exit 1')], { restartPolicy: 'Always' });
    await createPod('scratch', [busybox('main', 'sleep 3600')], { volumes: [{ name: 'tmp', emptyDir: {} }] }, { scratch: 'yes' });
    await Promise.all([running('logger'), running('web'), running('scratch')]);
  });

  after(async () => {
    for (const b of bgs) if (b.proc.exitCode === null && b.proc.signalCode === null) b.proc.kill('SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
    await node?.stop();
  });

  it('logs: plain, --tail, -c, --all-containers, --timestamps, -l, --prefix', async () => {
    await same(['logs', 'logger'], 0);
    await same(['logs', 'logger', '-c', 'main'], 0);
    await same(['logs', 'logger', '--tail=2', '-c', 'main'], 0);
    await same(['logs', 'logger', '-c', 'side'], 0);
    await same(['logs', 'logger', 'side'], 0);
    await same(['logs', 'pod/logger', '--all-containers'], 0);
    await same(['logs', 'logger', '--all-containers', '--prefix'], 0);
    await same(['logs', 'logger', '-c', 'main', '--timestamps'], 0);
    await same(['logs', 'logger', '-c', 'main', '--since=1h'], 0);
    await same(['logs', '-l', 'app=logger', '-c', 'main'], 0);
    await same(['logs', '-l', 'app=nothing'], 0);
  });

  it('logs: --previous after a restart, -f stopped with SIGINT', async () => {
    await node.waitPod('restarter', 'restarted', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 90_000);
    const r = await same(['logs', 'restarter', '--previous'], 0);
    assert.match(r.stdout, /^started\n$/);

    const k = kubectlBg(['logs', '-f', 'logger', '-c', 'side']);
    const s = skiffctlBg(['logs', '-f', 'logger', '-c', 'side']);
    await waitFor('both logs -f printed the lines', async () => k.out().includes('side-2') && s.out().includes('side-2'), 30_000);
    k.proc.kill('SIGINT');
    s.proc.kill('SIGINT');
    const [kc, sc] = await Promise.all([k.exited, s.exited]);
    assert.equal(s.out(), k.out());
    assert.equal(sc, kc);
  });

  it('logs and exec on deployment/NAME pick a pod as kubectl does', async () => {
    const deploy = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'echo', labels: { app: 'echo' } },
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'echo' } },
        template: { metadata: { labels: { app: 'echo' } }, spec: { terminationGracePeriodSeconds: 1, containers: [busybox('main', 'echo hello-from-echo; sleep 3600')] } },
      },
    };
    await node.k(['create', '-f', '-'], { input: JSON.stringify(deploy) });
    await waitFor('2 echo pods Ready', async () => {
      const out = (await node.kubectl(['get', 'pods', '-l', 'app=echo', '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}'])).stdout;
      return out.trim() === 'True True';
    }, 120_000, 1000);
    const r = await same(['logs', 'deployment/echo'], 0);
    assert.match(r.stderr, /^Found 2 pods, using pod\/echo-<hash>\n$/);
    assert.equal(r.stdout, 'hello-from-echo\n');
    await same(['logs', 'deploy/echo', '--timestamps'], 0);
    await same(['exec', 'deploy/echo', '--', 'echo', 'hi'], 0);
  });

  it('exec: stdout and stderr, stdin with -i, the remote exit code', async () => {
    await same(['exec', 'logger', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2'], 0);
    await same(['exec', 'logger', '--', 'echo', 'defaulted'], 0);
    await same(['exec', '-i', 'logger', '-c', 'main', '--', 'sh', '-c', 'while read l; do echo got-$l; done'], 0, { input: 'a\nb\nc\n' });
    const r = await same(['exec', 'logger', '-c', 'main', '--', 'sh', '-c', 'echo before; exit 3'], 3);
    assert.match(r.stderr, /command terminated with exit code 3/);
    await same(['exec', 'deployment/nope', '--', 'true'], 1);
    await same(['exec', 'web', '--', 'cat', '/etc/hostname'], 0);
  });

  it('cp: a local file into a container and back, a directory out of it', async () => {
    const local = join(work, 'hello.txt');
    writeFileSync(local, 'hello from the host\nsecond line\n');
    await twin((n) => ['cp', local, `logger:/tmp/${n}.txt`, '-c', 'main'], 'cp', 0);
    for (const n of ['kk-cp', 'ss-cp']) {
      const cat = await node.kubectl(['exec', 'logger', '-c', 'main', '--', 'cat', `/tmp/${n}.txt`]);
      assert.equal(cat.stdout, 'hello from the host\nsecond line\n');
    }
    // relative remote paths: no "removing leading '/'" line from tar
    await twin((n) => ['cp', `logger:tmp/kk-cp.txt`, join(work, `${n}-back.txt`), '-c', 'main'], 'back', 0);
    assert.equal(readFileSync(join(work, 'kk-back-back.txt'), 'utf8'), 'hello from the host\nsecond line\n');
    assert.equal(readFileSync(join(work, 'ss-back-back.txt'), 'utf8'), 'hello from the host\nsecond line\n');
    await node.kubectl(['exec', 'logger', '-c', 'main', '--', 'sh', '-c', 'mkdir -p /tmp/dir/sub && echo one > /tmp/dir/a && echo two > /tmp/dir/sub/b']);
    await twin((n) => ['cp', 'logger:tmp/dir', join(work, n), '-c', 'main'], 'dir', 0);
    for (const n of ['kk-dir', 'ss-dir']) {
      assert.equal(readFileSync(join(work, n, 'a'), 'utf8'), 'one\n');
      assert.equal(readFileSync(join(work, n, 'sub', 'b'), 'utf8'), 'two\n');
    }
    await same(['cp', 'nope:/tmp/x', join(work, 'x')], 1);
    await same(['cp', join(work, 'missing'), 'logger:/tmp/x'], 1);
    await same(['cp', 'a', 'b'], 1);
  });

  it('port-forward: the Forwarding lines, HTTP through each port, SIGINT', async () => {
    const [kp, sp] = [await freePort(), await freePort()];
    const k = kubectlBg(['port-forward', 'pod/web', `${kp}:80`]);
    const s = skiffctlBg(['port-forward', 'pod/web', `${sp}:80`]);
    await waitFor('both forwarding', async () => k.out().includes('[::1]') && s.out().includes('[::1]'), 30_000);
    const [kr, sr] = [await httpGet(kp), await httpGet(sp)];
    assert.equal(kr.status, 200);
    assert.equal(sr.status, 200);
    assert.equal(sr.body, kr.body);
    assert.equal((await httpGet(sp, '::1')).body, kr.body);
    await waitFor('Handling connection lines', async () => k.out().includes('Handling') && s.out().split('Handling').length === 3, 10_000);
    k.proc.kill('SIGINT');
    s.proc.kill('SIGINT');
    const [kc, sc] = await Promise.all([k.exited, s.exited]);
    const fixPort = (t: string, p: number): string => t.replaceAll(`:${p} `, ':PORT ').replaceAll(`for ${p}\n`, 'for PORT\n');
    assert.equal(fixPort(s.out(), sp).replace(/(Handling connection for PORT\n)+/, 'Handling connection for PORT\n'),
      fixPort(k.out(), kp).replace(/(Handling connection for PORT\n)+/, 'Handling connection for PORT\n'));
    assert.equal(sc, kc);
    // deployment/NAME and named ports resolve to a pod and a container port the same way
    const k2 = kubectlBg(['port-forward', 'web', `${kp}:http`]);
    const s2 = skiffctlBg(['port-forward', 'web', `${sp}:http`]);
    await waitFor('both forwarding a named port', async () => k2.out().includes('[::1]') && s2.out().includes('[::1]'), 30_000);
    assert.equal(fixPort(s2.out(), sp), fixPort(k2.out(), kp));
    k2.proc.kill('SIGINT');
    s2.proc.kill('SIGINT');
    await Promise.all([k2.exited, s2.exited]);
    // a local port already taken on both addresses
    const busy = await freePort();
    const { createServer } = await import('node:net');
    const holders = ['127.0.0.1', '::1'].map((host) => createServer().listen(busy, host));
    try {
      await same(['port-forward', 'web', `${busy}:80`], 1, { sequential: true });
    } finally {
      for (const h of holders) h.close();
    }
    await same(['port-forward', 'nope', '8080:80'], 1);
    await same(['port-forward', 'web'], 1);
    await same(['port-forward', 'web', '99999'], 1);
  });

  it('top pod / top node: the table format (values normalised)', async () => {
    await waitFor('pod metrics', async () => (await node.kubectl(['top', 'pod', 'web'])).code === 0, 90_000, 2000);
    const values = (t: string): string => t.replace(/\b\d+m\b/g, '<cpu>').replace(/\b\d+Mi\b/g, '<mem>').replace(/\b\d+%/g, '<pct>').replace(/ +/g, ' ');
    await same(['top', 'pod'], 0, { extra: values });
    await same(['top', 'pod', 'web'], 0, { extra: values });
    await same(['top', 'pod', '-A', '--no-headers'], 0, { extra: values });
    await same(['top', 'pod', '-l', 'app=nothing'], 0, { extra: values });
    await same(['top', 'node'], 0, { extra: values });
    await same(['top', 'node', node.nodeName, '--no-headers'], 0, { extra: values });
    await same(['top', 'pod', 'nope'], 1);
    await same(['top', 'pod', '--containers'], 0, { extra: values });
    await same(['top', 'pod', 'web', '--containers', '--no-headers'], 0, { extra: values });
    await same(['top', 'pod', '-A', '--containers'], 0, { extra: values });
  });

  it('wait: condition met, timeout, --for=delete, jsonpath', async () => {
    await same(['wait', '--for=condition=Ready', 'pod/web'], 0);
    await same(['wait', '--for=condition=Ready', 'pod', 'web', 'logger', '--timeout=60s'], 0);
    await same(['wait', '--for=condition=Ready', 'pod', '-l', 'app=web'], 0);
    await same(['wait', '--for=jsonpath={.status.phase}=Running', 'pod/web'], 0);
    await same(['wait', '--for=condition=Ready=false', 'pod/web', '--timeout=2s'], 1);
    await same(['wait', '--for=condition=Ready=false', 'pod/web', '--timeout=0'], 1);
    await same(['wait', '--for=condition=Ready', 'pod/nope'], 1);
    await same(['wait', '--for=condition=Ready', 'pod', '-l', 'app=nothing'], 1);
    await same(['wait', '--for=bogus', 'pod/web'], 1);
    await same(['wait', '--for=delete', 'pod/nope'], 0);
    for (const n of ['kk-gone', 'ss-gone']) await createPod(n, [busybox('main', 'sleep 3600')]);
    await Promise.all([running('kk-gone'), running('ss-gone')]);
    await Promise.all(['kk-gone', 'ss-gone'].map((n) => node.k(['delete', 'pod', n, '--wait=false'])));
    await twin((n) => ['wait', '--for=delete', `pod/${n}`, '--timeout=90s'], 'gone', 0);
  });

  it('get -o go-template', async () => {
    await same(['get', 'pod', 'web', '-o', 'go-template={{.metadata.name}} {{.status.phase}}{{"\\n"}}'], 0);
    await same(['get', 'pods', '-l', 'suite=golden-pods', '-o', 'go-template={{range .items}}{{.metadata.name}}:{{len .spec.containers}}{{if .spec.volumes}} vols{{end}}{{"\\n"}}{{end}}'], 0);
    await same(['get', 'pod', 'logger', '-o', 'go-template={{range $i, $c := .spec.containers}}{{$i}}={{$c.name}} {{end}}{{index .metadata.labels "app"}} {{printf "%s/%v" .kind .spec.terminationGracePeriodSeconds}}'], 0);
    await same(['get', 'pod', 'web', '-o', 'go-template={{.spec.containers}}|{{.metadata.nope}}|{{.metadata.nope.deeper}}'], 0);
    const file = join(work, 'tpl.txt');
    writeFileSync(file, '{{.metadata.name}}\n');
    await same(['get', 'pod', 'web', '-o', `go-template-file=${file}`], 0);
    await same(['get', 'pod', 'web', '-o', 'go-template={{.metadata.name'], 1);
  });

  it('failures: pod and container not found', async () => {
    await same(['logs', 'nope'], 1);
    await same(['logs', 'deployment/nope'], 1);
    await same(['logs', 'logger', '-c', 'nope'], 1);
    await same(['logs'], 1);
    await same(['logs', 'restarter', '-c', 'main', '--previous', '--tail=1'], 0);
    await same(['exec', 'nope', '--', 'true'], 1);
    await same(['exec', 'logger', '-c', 'nope', '--', 'true'], 1);
    await same(['exec', 'logger'], 1);
    await same(['attach', 'nope'], 1);
  });

  it('attach: stderr notes, then SIGINT', async () => {
    const k = kubectlBg(['attach', 'logger', '-c', 'side']);
    const s = skiffctlBg(['attach', 'logger', '-c', 'side']);
    await waitFor('both attached', async () => k.err().includes('try pressing enter') && s.err().includes('try pressing enter'), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    k.proc.kill('SIGINT');
    s.proc.kill('SIGINT');
    const [kc, sc] = await Promise.all([k.exited, s.exited]);
    assert.equal(s.err(), k.err());
    assert.equal(s.out(), k.out());
    assert.equal(sc, kc);
  });

  it('drain: unmanaged and emptyDir pods refused, then --force evicts', async () => {
    await same(['drain', 'nope'], 1);
    await same(['drain', node.nodeName, '--pod-selector', 'app=web'], 1, { sequential: true, between: uncordon });
    await same(['drain', node.nodeName, '--pod-selector', 'scratch=yes', '--force'], 1, { sequential: true, between: uncordon });
    await same(['drain', node.nodeName, '--pod-selector', 'app=nothing'], 0, { sequential: true, between: uncordon });
    for (const n of ['kk-victim', 'ss-victim']) await createPod(n, [busybox('main', 'sleep 3600')], {}, { victim: n });
    await Promise.all([running('kk-victim'), running('ss-victim')]);
    await twin((n) => ['drain', node.nodeName, '--pod-selector', `victim=${n}`, '--force', '--grace-period=1', '--timeout=90s'], 'victim', 0, true, uncordon);
    for (const n of ['kk-victim', 'ss-victim']) assert.equal(await node.getPod(n), undefined, `${n} evicted`);
  });
});
