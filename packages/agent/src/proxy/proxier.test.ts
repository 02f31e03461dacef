import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { ExecResult, IptablesRunner, IptablesTable } from './iptables-runner';
import { IptablesError } from './iptables-runner';
import { Proxier } from './proxier';
import { renderIptables, type ProxyNodeConfig } from './render-iptables';

const NODE: ProxyNodeConfig = { nodeName: 'n1', nodeIP: '192.168.56.11', podCIDR: '10.244.1.0/24', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16' };

class FakeRunner implements IptablesRunner {
  restores: string[] = [];
  saves = 0;
  lists = 0;
  failNext = false;
  async restore(payload: string): Promise<void> {
    if (this.failNext) { this.failNext = false; throw new IptablesError('iptables-restore', 1, 'line 3 failed'); }
    this.restores.push(payload);
  }
  async save(_table?: IptablesTable): Promise<string> { this.saves++; return '*nat\n:SKIFF-SVC-OLDOLDOLDOLDOLD1 - [0:0]\nCOMMIT\n'; }
  async iptables(_args: string[]): Promise<ExecResult> { this.lists++; return { code: 0, stdout: '', stderr: '' }; }
  async exec(): Promise<ExecResult> { return { code: 127, stdout: '', stderr: 'not found' }; }
}

function svc(name: string, ip: string): Service {
  return { metadata: { name, namespace: 'ns' }, spec: { clusterIP: ip, ports: [{ port: 80 }] } };
}
function slice(svcName: string, ips: string[]): EndpointSlice {
  return { addressType: 'IPv4', metadata: { name: `${svcName}-1`, namespace: 'ns', labels: { 'kubernetes.io/service-name': svcName } }, ports: [{ port: 8080 }], endpoints: ips.map((ip) => ({ addresses: [ip] })) };
}

function setup(opts: { minSyncIntervalMs?: number } = {}): { p: Proxier; r: FakeRunner } {
  const r = new FakeRunner();
  const p = new Proxier({ node: NODE, runner: r, minSyncIntervalMs: opts.minSyncIntervalMs ?? 0, fullSyncIntervalMs: 3_600_000 });
  p.updateService(svc('a', '10.96.0.11'));
  p.updateService(svc('b', '10.96.0.12'));
  p.updateEndpointSlice(slice('a', ['10.244.1.2']));
  p.updateEndpointSlice(slice('b', ['10.244.1.3']));
  return { p, r };
}

test('first sync is full: reads existing chains, deletes stale ones, hooks builtin chains', async () => {
  const { p, r } = setup();
  const res = await p.syncNow();
  assert.equal(res.full, true);
  assert.equal(res.writtenServicePorts, 2);
  assert.equal(r.saves, 1);
  assert.equal(r.lists, 6, 'one iptables -S per hooked builtin chain');
  assert.equal(r.restores.length, 2, 'the sync, then the jump repair (the fake lists no jumps)');
  assert.match(r.restores[0]!, /^-X SKIFF-SVC-OLDOLDOLDOLDOLD1$/m);
  assert.equal((await p.syncNow({ full: true })).full, true);
  assert.equal(r.lists, 6, 'a periodic full sync does not re-list the builtin chains (jumpCheckIntervalMs)');
  assert.equal(r.saves, 1, 'nor re-read the chains');
  await p.stop();
});

test('a change to one service writes only its chains; no change means no spawn', async () => {
  const { p, r } = setup();
  await p.syncNow();
  r.restores = [];
  assert.equal((await p.syncNow()).skipped, true);
  assert.equal(r.restores.length, 0);
  p.updateEndpointSlice(slice('b', ['10.244.1.3', '10.244.1.4']));
  const res = await p.syncNow();
  assert.deepEqual([res.full, res.writtenServicePorts], [false, 1]);
  assert.equal(r.restores.length, 1);
  assert.match(r.restores[0]!, /-> 10\.244\.1\.4:8080/);
  assert.doesNotMatch(r.restores[0]!, /-> 10\.244\.1\.2:8080/);
  await p.stop();
});

test('a failed restore makes the next sync full and re-read the chains', async () => {
  const { p, r } = setup();
  await p.syncNow();
  p.deleteService(svc('a', '10.96.0.11'));
  r.failNext = true;
  await assert.rejects(p.syncNow(), IptablesError);
  const res = await p.syncNow();
  assert.equal(res.full, true);
  assert.equal(r.saves, 2);
  await p.stop();
});

test('changes are batched: no two syncs closer than minSyncInterval, nothing before initialisation', async () => {
  const { p, r } = setup({ minSyncIntervalMs: 1500 });
  const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
  await sleep(30);
  assert.equal(r.restores.length, 0, 'not initialised yet');
  p.setInitialized();
  for (let i = 0; i < 100 && r.restores.length < 2; i++) await sleep(20);
  const afterFirst = r.restores.length;
  assert.equal(afterFirst, 2, 'the first sync and its jump repair');
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) p.updateEndpointSlice(slice('a', ['10.244.1.2', `10.244.1.${10 + i}`]));
  await sleep(300);
  if (Date.now() - t0 < 1200) assert.equal(r.restores.length, afterFirst, 'within the interval');
  for (let i = 0; i < 150 && r.restores.length === afterFirst; i++) await sleep(20);
  assert.equal(r.restores.length, afterFirst + 1, 'one batched sync');
  assert.match(r.restores.at(-1)!, /10\.244\.1\.14:8080/);
  await p.stop();
});

test('the per-service cache of a partial sync agrees with a render from scratch', async () => {
  const { p, r } = setup();
  await p.syncNow();
  const moved = slice('a', ['10.244.1.9']);
  moved.metadata!.labels!['kubernetes.io/service-name'] = 'b';
  p.updateEndpointSlice(moved);                       // a loses its endpoints, b gains one
  p.updateService(svc('c', '10.96.0.13'));
  p.updateEndpointSlice(slice('c', ['10.244.1.5']));
  p.deleteEndpointSlice(slice('b', []));              // b keeps only the moved slice
  const res = await p.syncNow();
  assert.equal(res.full, false);
  const scratch = renderIptables({
    services: [svc('a', '10.96.0.11'), svc('b', '10.96.0.12'), svc('c', '10.96.0.13')],
    endpointSlices: [moved, slice('c', ['10.244.1.5'])],
  }, NODE).text;
  const top = (t: string): string[] => t.split('\n').filter((l) => /^-A SKIFF-(SERVICES|NODEPORTS|EXTERNAL-SERVICES) /.test(l));
  assert.deepEqual(top(r.restores.at(-1)!), top(scratch));
  assert.match(r.restores.at(-1)!, /-> 10\.244\.1\.9:8080/);
  await p.stop();
});
