/**
 * End to end: a real etcd and skiff-master, the agent gateway, and skiff-agent
 * as a real process on the local Docker engine. The agent joins with a
 * bootstrap token, its Node turns Ready, a pod bound to it runs, and deleting
 * the pod removes it and its containers. Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caHash } from '@skiff/apiserver';
import { createBootstrapToken, printJoinCommand } from '@skiff/master';
import { ControlPlane, REPO, run, stopProcess, waitFor, FatalWaitError } from '../lib/control-plane';
import { InProcessGateway } from './gateway-harness';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';
const suffix = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const NODE = `e2e-node-${suffix}`;
const AGENT_MAIN = join(REPO, 'packages/agent/dist/main.js');

interface AgentProc { proc: ChildProcess; stderr: () => string }

function startAgent(home: string, args: string[]): AgentProc {
  const proc = spawn(process.execPath, [AGENT_MAIN, '--home', home, '--node-name', NODE, '--log-file', join(home, 'agent.log'), '--allowed-registries', '127.0.0.1:5000,localhost:5000', '--proxy-mode', 'none', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  return { proc, stderr: () => err };
}

async function exitOf(p: AgentProc, timeoutMs = 20_000): Promise<number> {
  if (p.proc.exitCode !== null) return p.proc.exitCode;
  return waitFor('the agent to exit', async () => (p.proc.exitCode !== null ? p.proc.exitCode : undefined), timeoutMs);
}

function dockerIds(uid: string): string[] {
  return execFileSync('docker', ['ps', '-aq', '--filter', `label=io.skiff.pod.uid=${uid}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('skiff-agent joined to a master', { skip }, () => {
  let cp: ControlPlane;
  let gw: InProcessGateway;
  let home: string;
  let agent: AgentProc | undefined;
  const podUids: string[] = [];
  const scratch: string[] = [];
  const tempHome = (): string => { const d = mkdtempSync(join(tmpdir(), 'skiff-agent-bad-')); scratch.push(d); return d; };

  const agentLog = (): string => (existsSync(join(home, 'agent.log')) ? readFileSync(join(home, 'agent.log'), 'utf8').slice(-4000) : '');
  const alive = async (): Promise<void> => {
    if (agent && agent.proc.exitCode !== null) throw new FatalWaitError(`skiff-agent exited (${agent.proc.exitCode}): ${agent.stderr()}\n${agentLog()}`);
  };

  before(async () => {
    execFileSync('bash', [join(REPO, 'test/images/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    cp = await ControlPlane.start();
    gw = await InProcessGateway.start(cp, { logFile: join(cp.dir, 'gateway.log') });
    home = mkdtempSync(join(tmpdir(), 'skiff-agent-e2e-'));
  });

  after(async () => {
    if (agent) await stopProcess(agent.proc);
    for (const uid of podUids) {
      const ids = dockerIds(uid);
      if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
    }
    await gw?.stop();
    await cp?.stop();
    // Pod directories may hold root-owned files written by containers.
    if (home && !process.env.SKIFF_KEEP_AGENT_HOME) rmSync(home, { recursive: true, force: true });
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });

  test('the join command names the gateway, a fresh token and the CA hash', async () => {
    const line = await printJoinCommand({ registry: gw.registry, caCertPem: gw.caCert, host: '10.0.0.5', ttlSeconds: 60 });
    assert.match(line, /^skiff-agent --join 10\.0\.0\.5:9443 --token [a-z0-9]{6}\.[a-z0-9]{16} --ca-hash sha256:[0-9a-f]{64}$/);
    assert.ok(line.endsWith(caHash(gw.caCert)));
    const secrets = await cp.k(['get', 'secrets', '-n', 'kube-system', '-o', 'jsonpath={range .items[*]}{.metadata.name} {.type}{"\\n"}{end}']);
    assert.match(secrets, /bootstrap-token-[a-z0-9]{6} bootstrap\.kubernetes\.io\/token/);
  });

  test('a wrong token is refused with a clear message', async () => {
    const bad = startAgent(tempHome(), ['--join', gw.address, '--token', 'abcdef.0123456789abcdef', '--ca-hash', caHash(gw.caCert)]);
    assert.equal(await exitOf(bad), 1);
    assert.match(bad.stderr(), /refused to join this node: bootstrap token id "abcdef" is invalid for this cluster or it has expired/);
    const wrongHash = startAgent(tempHome(), ['--join', gw.address, '--token', 'abcdef.0123456789abcdef', '--ca-hash', `sha256:${'0'.repeat(64)}`]);
    assert.equal(await exitOf(wrongHash), 1);
    assert.match(wrongHash.stderr(), /does not match --ca-hash/);
  });

  test('the agent joins, its Node turns Ready and its Lease is renewed', async () => {
    const token = await createBootstrapToken(gw.registry, 600);
    agent = startAgent(home, ['--join', gw.address, '--token', token, '--ca-hash', caHash(gw.caCert)]);
    const line = await waitFor('the node Ready in kubectl get nodes', async () => {
      await alive();
      const out = (await cp.kubectl(['get', 'nodes', '--no-headers'])).stdout;
      return out.split('\n').find((l) => l.startsWith(`${NODE} `) && /\sReady\s/.test(l));
    }, 30_000);
    assert.match(line, /v1\.32\.0-skiff/);
    const node = JSON.parse(await cp.k(['get', 'node', NODE, '-o', 'json'])) as { status: { capacity: Record<string, string>; addresses: { type: string; address: string }[]; nodeInfo: Record<string, string>; conditions: { type: string; status: string }[] } };
    assert.equal(node.status.capacity.pods, '110');
    assert.ok(Number(node.status.capacity.cpu) >= 1);
    assert.match(node.status.capacity.memory ?? '', /^\d+Ki$/);
    assert.match(node.status.nodeInfo.containerRuntimeVersion ?? '', /^docker:\/\/\d/);
    assert.deepEqual(node.status.addresses.map((a) => a.type), ['InternalIP', 'Hostname']);
    assert.deepEqual(node.status.conditions.map((c) => `${c.type}=${c.status}`).sort(), ['DiskPressure=False', 'MemoryPressure=False', 'PIDPressure=False', 'Ready=True']);
    assert.match(await cp.k(['get', 'node', NODE, '-o', 'jsonpath={.spec.podCIDR}']), /^10\.244\.\d+\.0\/24$/, 'a /24 of the pod range');
    const holder = await cp.k(['get', 'lease', '-n', 'kube-node-lease', NODE, '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.equal(holder, NODE);
    assert.ok(existsSync(join(home, 'agent', 'node.crt')) && existsSync(join(home, 'agent', 'node.key')));
  });

  const podName = `sleeper-${suffix}`;
  let podUid = '';

  test('a pod bound to the node runs and shows 1/1 Running with an IP', async () => {
    await cp.k(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace: 'default' },
        spec: {
          nodeName: NODE, terminationGracePeriodSeconds: 2,
          containers: [{ name: 'main', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }],
        },
      }),
    });
    podUid = (await cp.k(['get', 'pod', podName, '-o', 'jsonpath={.metadata.uid}'])).trim();
    podUids.push(podUid);
    const row = await waitFor('the pod 1/1 Running', async () => {
      await alive();
      const out = (await cp.kubectl(['get', 'pod', podName, '-o', 'wide', '--no-headers'])).stdout.trim();
      return /\s1\/1\s+Running\s/.test(out) && /\s\d+\.\d+\.\d+\.\d+\s/.test(out) ? out : undefined;
    }, 45_000);
    assert.ok(row.includes(NODE), row);
    const podIP = (await cp.k(['get', 'pod', podName, '-o', 'jsonpath={.status.podIP}'])).trim();
    assert.match(podIP, /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(dockerIds(podUid).length >= 2, 'sandbox and app container exist');
    await waitFor('a Started event from the kubelet', async () => {
      const out = (await cp.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${podName}`, '-o', 'jsonpath={range .items[*]}{.reason} {.source.component}{"\\n"}{end}'])).stdout;
      return /Started kubelet/.test(out);
    }, 15_000);
  });

  test('a restarted agent reuses its credentials and re-adopts the running pod; a restarted gateway is reconnected to', async () => {
    const before = dockerIds(podUid).sort();
    await stopProcess(agent!.proc);
    agent = startAgent(home, ['--join', gw.address]);
    await waitFor('the restarted agent in sync', async () => { await alive(); return /in sync with the gateway","pods":1/.test(readFileSync(join(home, 'agent.log'), 'utf8')); }, 20_000);
    assert.deepEqual(dockerIds(podUid).sort(), before, 'the same containers, not new ones');
    assert.match(readFileSync(join(home, 'agent.log'), 'utf8'), /using stored node credentials/);

    const port = Number(gw.address.split(':')[1]);
    await gw.stop();
    gw = await InProcessGateway.start(cp, { logFile: join(cp.dir, 'gateway.log'), port });
    await waitFor('the agent back in sync after the gateway restart', async () => {
      await alive();
      return (readFileSync(join(home, 'agent.log'), 'utf8').match(/in sync with the gateway","pods":1/g) ?? []).length >= 2;
    }, 30_000);
    assert.deepEqual(dockerIds(podUid).sort(), before);
    assert.match(await cp.k(['get', 'pod', podName, '--no-headers']), /1\/1\s+Running/);
  });

  test('deleting the pod removes it from the API and its containers from Docker', async () => {
    const del = await cp.kubectl(['delete', 'pod', podName, '--timeout=40s'], { timeoutMs: 50_000 });
    assert.equal(del.code, 0, del.stderr);
    const gone = await cp.kubectl(['get', 'pod', podName]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /NotFound|not found/);
    await waitFor('the pod\'s containers removed', async () => dockerIds(podUid).length === 0, 20_000);
  });
});
