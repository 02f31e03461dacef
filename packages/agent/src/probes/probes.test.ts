import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { applyProbeOutcome, FRESH_RUN_STATE, probeTiming, type ProbeRunState } from './probe-state';
import { httpProbe, tcpProbe, resolvePort, execProbe } from './probe-runner';
import type { ProbeResult, ProbeType } from './probe-types';
import { FakeRuntime } from '../runtime/fake-runtime';

function feed(type: ProbeType, timing: Parameters<typeof probeTiming>[0], results: ProbeResult[]): (ProbeResult | '-')[] {
  let state: ProbeRunState = { ...FRESH_RUN_STATE };
  const t = probeTiming(timing);
  return results.map((r) => {
    if (state.onHold) return '-';
    const o = applyProbeOutcome(type, t, state, r);
    state = o.state;
    return o.publish ?? '-';
  });
}

test('probe thresholds: failureThreshold and successThreshold gate the published verdict', () => {
  assert.deepEqual(feed('readiness', { failureThreshold: 3, successThreshold: 2 }, ['Success', 'Success', 'Failure', 'Failure', 'Failure', 'Success', 'Success']),
    ['-', 'Success', '-', '-', 'Failure', '-', 'Success']);
  // Liveness: a published failure puts the worker on hold until a new container.
  assert.deepEqual(feed('liveness', { failureThreshold: 2 }, ['Failure', 'Failure', 'Success']), ['-', 'Failure', '-']);
  assert.deepEqual(probeTiming({}), { initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
});

test('httpGet probe: 2xx/3xx succeed, others fail with the kubelet text; refused connections', async () => {
  const srv = http.createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('late'), 500);
    res.statusCode = req.url === '/ok' ? 200 : req.url === '/redirect' ? 302 : 500;
    res.end(String(req.headers['user-agent']));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  try {
    assert.deepEqual(await httpProbe('http', '127.0.0.1', port, '/ok', {}, 1000), { result: 'Success', output: '' });
    assert.deepEqual(await httpProbe('http', '127.0.0.1', port, '/redirect', {}, 1000), { result: 'Success', output: '' });
    assert.deepEqual(await httpProbe('http', '127.0.0.1', port, '/bad', {}, 1000), { result: 'Failure', output: 'HTTP probe failed with statuscode: 500' });
    assert.deepEqual(await httpProbe('http', '127.0.0.1', port, '/slow', {}, 100), {
      result: 'Failure', output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
  } finally {
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  }
  const closed = await freePort();
  assert.deepEqual(await httpProbe('http', '127.0.0.1', closed, '/', {}, 500), { result: 'Failure', output: `Get "http://127.0.0.1:${closed}/": dial tcp 127.0.0.1:${closed}: connect: connection refused` });
});

test('tcpSocket probe', async () => {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  assert.deepEqual(await tcpProbe('127.0.0.1', port, 500), { result: 'Success', output: '' });
  await new Promise((r) => srv.close(r));
  assert.deepEqual(await tcpProbe('127.0.0.1', port, 500), { result: 'Failure', output: `dial tcp 127.0.0.1:${port}: connect: connection refused` });
});

test('exec probe: exit code and output; named ports', async () => {
  const rt = new FakeRuntime();
  rt.addImage('img');
  const sb = await rt.createSandbox({ pod: { uid: 'u', name: 'p', namespace: 'd' }, hostname: 'p', network: 'bridge', resolvConf: '' });
  const id = await rt.createContainer({ pod: { uid: 'u', name: 'p', namespace: 'd' }, sandboxId: sb, name: 'c', kind: 'app', image: 'img', env: [], mounts: [], limits: { cpuShares: 2 }, restartCount: 0 });
  await rt.startContainer(id);
  rt.execHandler = (_o, cmd) => (cmd[0] === 'ok' ? { exitCode: 0, stdout: 'fine' } : { exitCode: 1, stdout: 'not ', stderr: 'ready' });
  assert.deepEqual(await execProbe({ runtime: rt, containerId: id, container: { name: 'c' } }, ['ok'], 1000), { result: 'Success', output: 'fine' });
  const bad = await execProbe({ runtime: rt, containerId: id, container: { name: 'c' } }, ['no'], 1000);
  assert.equal(bad.result, 'Failure');
  assert.equal(bad.output.length, 'not ready'.length);
  assert.equal(resolvePort('http', { name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }), 8080);
  assert.equal(resolvePort(81, { name: 'c' }), 81);
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
