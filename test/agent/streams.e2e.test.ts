/**
 * End to end: the real kubectl against skiff-master (real etcd) with a real
 * skiff-agent joined to it on the local Docker engine. `kubectl logs`, `exec`,
 * `port-forward` and `top` travel kubectl -> apiserver -> the agent's stream
 * tunnel -> Docker, and back. Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, FatalWaitError, REPO, run, stopProcess, waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';
const suffix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const NODE = `streams-node-${suffix}`;

const BUSYBOX = 'skiff/busybox:latest';
const WEB = 'skiff/web:latest';

function dockerIds(uid: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=io.skiff.pod.uid=${uid}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** A kubectl that keeps running (logs -f, port-forward), with its output collected. */
interface Background { proc: ChildProcess; out: () => string; err: () => string }

function podManifest(name: string, containers: Record<string, unknown>[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { suite: 'streams' } },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: containers.map((c) => ({ imagePullPolicy: 'IfNotPresent', ...c })), ...extra },
  });
}

function httpGet(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('GET through the forwarded port timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('kubectl logs, exec, port-forward and top through skiff-master and skiff-agent', { skip }, () => {
  let cp: ControlPlane;
  let home: string;
  let agent: ChildProcess | undefined;
  let agentErr = '';
  const background: ChildProcess[] = [];
  const uids: string[] = [];

  const agentLog = (): string => (existsSync(join(home, 'agent.log')) ? readFileSync(join(home, 'agent.log'), 'utf8').slice(-3000) : '');
  const alive = async (): Promise<void> => {
    if (agent && agent.exitCode !== null) throw new FatalWaitError(`skiff-agent exited (${agent.exitCode}): ${agentErr}\n${agentLog()}`);
  };
  const kubectlBg = (args: string[], env: NodeJS.ProcessEnv = {}): Background => {
    const proc = spawn('kubectl', ['--kubeconfig', cp.kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    background.push(proc);
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    return { proc, out: () => out, err: () => err };
  };
  const exited = (p: ChildProcess): Promise<number | null> => (p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve(p.exitCode)
    : new Promise((r) => p.once('exit', (code) => r(code))));
  const running = (name: string): Promise<boolean> => waitFor(`pod ${name} Running`, async () => {
    await alive();
    return (await cp.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'])).stdout.trim() === 'Running';
  }, 45_000);
  /** Creates a pod and remembers its uid, so that its containers are removed at the end whatever happens. */
  const createPod = async (manifest: string): Promise<void> => {
    const uid = (await cp.k(['create', '-f', '-', '-o', 'jsonpath={.metadata.uid}'], { input: manifest })).trim();
    uids.push(uid);
  };

  before(async () => {
    execFileSync('bash', [join(REPO, 'test/images/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    cp = await ControlPlane.start();
    home = mkdtempSync(join(tmpdir(), 'skiff-streams-agent-'));
    // The operator's way to a join line: `skiff token create --print-join-command` against the cluster's etcd.
    const join_ = await run(process.execPath, [join(REPO, 'packages/master/dist/skiff.js'), 'token', 'create', '--print-join-command',
      '--home', cp.dir, '--etcd-servers', cp.etcd.clientUrl, '--agent-gateway-port', String(cp.gatewayPort), '--ttl', '600']);
    assert.equal(join_.code, 0, join_.stderr);
    const joinArgs = join_.stdout.trim().split(/\s+/).slice(1);
    agent = spawn(process.execPath, [join(REPO, 'packages/agent/dist/main.js'), ...joinArgs, '--home', home, '--node-name', NODE,
      '--log-file', join(home, 'agent.log'), '--allowed-registries', '127.0.0.1:5000,localhost:5000', '--proxy-mode', 'none'], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr?.on('data', (d: Buffer) => { agentErr += d.toString(); });
    await waitFor('the node Ready', async () => {
      await alive();
      const out = (await cp.kubectl(['get', 'nodes', '--no-headers'])).stdout;
      return out.split('\n').some((l) => l.startsWith(`${NODE} `) && /\sReady\s/.test(l));
    }, 30_000);
    await createPod(podManifest('logger', [{
      name: 'main', image: BUSYBOX,
      command: ['sh', '-c', 'echo to-stderr >&2; sleep 0.5; for i in 1 2 3 4 5; do echo line-$i; done; while true; do if [ -f /tmp/more ]; then echo new-line; rm /tmp/more; fi; sleep 0.2; done'],
    }]));
    await createPod(podManifest('web', [{ name: 'web', image: WEB }]));
    await createPod(podManifest('catter', [{ name: 'main', image: BUSYBOX, stdin: true, command: ['sh', '-c', 'while read l; do echo got-$l; done'] }]));
    await createPod(podManifest('restarter', [{
      name: 'main', image: BUSYBOX, volumeMounts: [{ name: 'data', mountPath: '/data' }],
      command: ['sh', '-c', 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo attempt-$n; sleep 2; exit 1'],
    }], { restartPolicy: 'Always', volumes: [{ name: 'data', emptyDir: {} }] }));
    await Promise.all([running('logger'), running('web'), running('catter')]);
  });

  after(async () => {
    for (const p of background) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await stopProcess(agent);
    for (const uid of uids) {
      const ids = dockerIds(uid);
      if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
    }
    await cp?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('logs: whole log, --tail, --timestamps, --since, --limit-bytes, --all-containers; unknown container is BadRequest', async () => {
    await waitFor('the logger\'s lines', async () => (await cp.k(['logs', 'logger'])).includes('line-5'), 15_000);
    assert.equal(await cp.k(['logs', 'logger']), 'to-stderr\nline-1\nline-2\nline-3\nline-4\nline-5\n');
    assert.equal(await cp.k(['logs', 'logger', '--tail=2']), 'line-4\nline-5\n');
    assert.equal(await cp.k(['logs', 'logger', '-c', 'main', '--since=1h', '--tail=1']), 'line-5\n');
    assert.equal(await cp.k(['logs', 'logger', '--limit-bytes=9']), 'to-stderr');
    assert.equal(await cp.k(['logs', 'logger', '--all-containers', '--tail=1']), 'line-5\n');
    const stamped = (await cp.k(['logs', 'logger', '--timestamps', '--tail=2'])).trim().split('\n');
    assert.equal(stamped.length, 2);
    for (const l of stamped) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line-[45]$/);
    const bad = await cp.kubectl(['logs', 'logger', '-c', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod logger/);
  });

  test('logs -f streams a new line as it is written, and ends cleanly when kubectl is killed', async () => {
    const follow = kubectlBg(['logs', '-f', 'logger', '--tail=1']);
    await waitFor('the followed tail', async () => follow.out().includes('line-5'), 15_000);
    await cp.k(['exec', 'logger', '--', 'touch', '/tmp/more']);
    await waitFor('the new line through logs -f', async () => follow.out().includes('new-line'), 15_000);
    assert.equal(follow.out(), 'line-5\nnew-line\n');
    follow.proc.kill('SIGINT');
    await exited(follow.proc);
    // The session is gone on both sides: the master and the agent keep serving new ones.
    assert.match(await cp.k(['logs', 'logger', '--tail=1']), /^(line-5|new-line)\n$/);
  });

  test('logs --previous shows the instance before a restart', async () => {
    const restarts = await waitFor('a restart of the restarter', async () => {
      await alive();
      const out = (await cp.kubectl(['get', 'pod', 'restarter', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])).stdout.trim();
      return Number(out) >= 1 ? Number(out) : undefined;
    }, 30_000);
    assert.ok(restarts >= 1);
    const previous = await cp.k(['logs', 'restarter', '--previous']);
    const current = await cp.k(['logs', 'restarter']);
    const p = /^attempt-(\d+)\n$/.exec(previous);
    const c = /^attempt-(\d+)\n$/.exec(current);
    assert.ok(p && c, `previous=${JSON.stringify(previous)} current=${JSON.stringify(current)}`);
    assert.equal(Number(c[1]), Number(p[1]) + 1);
    const none = await cp.kubectl(['logs', 'web', '--previous']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /previous terminated container "web" in pod "web" not found/);
  });

  test('exec: output, the exit code, stdin with -i', async () => {
    assert.equal(await cp.k(['exec', 'logger', '--', 'echo', 'hello', 'world']), 'hello world\n');
    const failed = await cp.kubectl(['exec', 'logger', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(failed.code, 3, failed.stderr);
    assert.equal(failed.stdout, 'out\n');
    assert.match(failed.stderr, /^err\n/);
    assert.match(failed.stderr, /command terminated with exit code 3/);
    const piped = await cp.kubectl(['exec', '-i', 'logger', '--', 'sh', '-c', 'cat; echo eof'], { input: 'hello stdin\nsecond line\n' });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'hello stdin\nsecond line\neof\n');
    const missing = await cp.kubectl(['exec', 'logger', '-c', 'nope', '--', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /container nope is not valid for pod logger|container nope not found in pod logger/);
  });

  test('exec over SPDY (kubectl\'s fallback when WebSockets are off): exit code and stdin', async () => {
    const env = { ...process.env, KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const failed = await cp.kubectl(['exec', 'logger', '--', 'sh', '-c', 'echo out; exit 5'], { env });
    assert.equal(failed.code, 5, failed.stderr);
    assert.equal(failed.stdout, 'out\n');
    assert.match(failed.stderr, /command terminated with exit code 5/);
    const piped = await cp.kubectl(['exec', '-i', 'logger', '--', 'sh', '-c', 'cat; echo eof'], { input: 'over spdy\n', env });
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stdout, 'over spdy\neof\n');
    const missing = await cp.kubectl(['exec', 'logger', '-c', 'nope', '--', 'true'], { env });
    assert.match(missing.stderr, /Error from server \(BadRequest\): container nope is not valid for pod logger/);
  });

  test('attach -i: stdin reaches the main process and its output comes back', async () => {
    const proc = spawn('kubectl', ['--kubeconfig', cp.kubeconfig, 'attach', '-i', 'catter'], { stdio: ['pipe', 'pipe', 'pipe'] });
    background.push(proc);
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stdin?.write('one\n');
    await waitFor('the first echo', async () => out.includes('got-one'), 15_000);
    proc.stdin?.write('two\n');
    await waitFor('the second echo', async () => out.includes('got-two'), 15_000);
    proc.stdin?.end();
    const code = await waitFor('kubectl attach to end after stdin closed', async () => (proc.exitCode !== null ? proc.exitCode : undefined), 15_000);
    assert.equal(code, 0);
    assert.equal(out, 'got-one\ngot-two\n');
  });

  for (const [transport, env] of [['WebSocket', {}], ['direct SPDY upgrade', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }]] as const) {
    test(`port-forward (${transport}) to busybox httpd: GETs through the local port return the page`, async () => {
      const pf = kubectlBg(['port-forward', 'pod/web', ':80'], env);
      const port = await waitFor('port-forward listening', async () => {
        if (pf.proc.exitCode !== null) throw new FatalWaitError(`kubectl port-forward exited: ${pf.err()}`);
        const m = /Forwarding from 127\.0\.0\.1:(\d+) -> 80/.exec(pf.out());
        return m ? Number(m[1]) : undefined;
      }, 15_000);
      for (let i = 0; i < 3; i++) {
        const r = await httpGet(port);
        assert.equal(r.status, 200);
        assert.match(r.body, /Welcome to nginx!/);
      }
      assert.equal(pf.proc.exitCode, null, `port-forward still running: ${pf.err()}`);
      assert.doesNotMatch(pf.err(), /error|lost connection/i);
      pf.proc.kill('SIGINT');
      await exited(pf.proc);
    });
  }

  test('top pods and top nodes print usage', async () => {
    const pods = await waitFor('kubectl top pods', async () => {
      const r = await cp.kubectl(['top', 'pods', '-l', 'suite=streams']);
      return r.code === 0 && /\nlogger\s+\d+m\s+\d+Mi/.test(r.stdout) && /\nweb\s+\d+m\s+\d+Mi/.test(r.stdout) ? r.stdout : undefined;
    }, 30_000);
    assert.match(pods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)/);
    const perContainer = await cp.k(['top', 'pod', 'logger', '--containers']);
    assert.match(perContainer, /\nlogger\s+main\s+\d+m\s+\d+Mi/);
    const nodes = await cp.k(['top', 'nodes']);
    assert.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)/);
    assert.match(nodes, new RegExp(`\\n${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
  });
});
