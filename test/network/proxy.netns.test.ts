/**
 * The proxy against real iptables, inside network namespaces this test creates
 * (never the host's tables): a "node" namespace with a bridge and two "pod"
 * namespaces running busybox httpd. Checks that a sync writes only Skiff's
 * chains, that an identical sync changes nothing, and traces real packets:
 * ClusterIP from the node and from a pod, hairpin, NodePort, a service without
 * endpoints refused at once, an unknown service address refused by the guard,
 * an endpoint removed by a partial sync, and --cleanup.
 * Needs root; SKIFF_SKIP_NETNS=1 skips.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { cleanupIptables, ExecIptables, Proxier, type ProxyNodeConfig } from '@skiff/agent';
import { netnsUnavailable, Topology } from './netns';

const skip = netnsUnavailable();

function svc(name: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: 'default' }, spec };
}
function slice(service: string, ips: string[], port = 8080): EndpointSlice {
  return {
    addressType: 'IPv4',
    metadata: { name: `${service}-abc`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    ports: [{ name: 'http', port }],
    endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: 'node-1', conditions: { ready: true } })),
  };
}

/** iptables-save without the comment lines and counters, to compare two states. */
function normalizedSave(text: string): string {
  return text.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]')).join('\n');
}

describe('proxy in a network namespace', { skip }, () => {
  let topo: Topology;
  let proxier: Proxier;
  let runner: ExecIptables;
  const P1 = '10.244.1.2';
  const P2 = '10.244.1.3';

  before(async () => {
    topo = new Topology();
    topo.addPod(P1, 'pod-1');
    topo.addPod(P2, 'pod-2');
    await topo.waitServing([P1, P2]);
    const node: ProxyNodeConfig = { nodeName: 'node-1', nodeIP: topo.nodeIP, podCIDR: '10.244.1.0/24', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16' };
    runner = new ExecIptables({ netns: topo.node.name });
    proxier = new Proxier({ node, runner, minSyncIntervalMs: 0, conntrack: false });
    proxier.updateService(svc('web', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }] }));
    proxier.updateService(svc('self', { clusterIP: '10.96.0.21', ports: [{ name: 'http', port: 80 }] }));
    proxier.updateService(svc('empty', { clusterIP: '10.96.0.30', ports: [{ name: 'http', port: 80 }] }));
    proxier.updateEndpointSlice(slice('web', [P1, P2]));
    proxier.updateEndpointSlice(slice('self', [P1]));
    topo.udpEcho(topo.pods[0]!, 5353, 'pod-1');
    proxier.updateService(svc('dns', { clusterIP: '10.96.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }));
    proxier.updateEndpointSlice({ ...slice('dns', [P1]), ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }] });
  });

  after(async () => {
    await proxier?.stop();
    topo?.destroy();
  });

  const curl = (from: { tryRun: Topology['node']['tryRun'] }, url: string, timeout = 3): { status: number; stdout: string; ms: number } =>
    from.tryRun('curl', '-s', '--max-time', String(timeout), url);

  test('a full sync writes only Skiff chains, and an identical sync changes nothing', async () => {
    const first = await proxier.syncNow();
    assert.equal(first.full, true);
    const save1 = await runner.save();
    const userChains = [...save1.matchAll(/^:(\S+) - \[/gm)].map((m) => m[1]!);
    assert.ok(userChains.length > 0);
    assert.deepEqual(userChains.filter((c) => !c.startsWith('SKIFF-')), [], 'no user chain outside SKIFF-');
    for (const line of save1.split('\n').filter((l) => /^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /.test(l))) {
      assert.match(line, /-j SKIFF-/, `builtin chains hold only jumps into Skiff chains: ${line}`);
    }
    assert.match(save1, /^-A SKIFF-SERVICES .*-d 10\.96\.0\.20\/32 .*-j SKIFF-SVC-/m);
    await proxier.syncNow({ full: true });
    const save2 = await runner.save();
    assert.equal(normalizedSave(save2), normalizedSave(save1));
    assert.equal((await proxier.syncNow()).skipped, true, 'no change: no spawn at all');
  });

  test('ClusterIP from the node balances over both endpoints', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 30 && seen.size < 2; i++) {
      const r = curl(topo.node, 'http://10.96.0.20/');
      assert.equal(r.status, 0, `curl exit ${r.status}`);
      seen.add(r.stdout.trim());
    }
    assert.deepEqual([...seen].sort(), ['pod-1', 'pod-2']);
  });

  test('ClusterIP from a pod, hairpin to itself, and NodePort', () => {
    const [p1, p2] = topo.pods as [typeof topo.node, typeof topo.node];
    assert.match(curl(p2, 'http://10.96.0.20/').stdout, /^pod-[12]$/);
    assert.equal(curl(p1, 'http://10.96.0.21/').stdout.trim(), 'pod-1', 'hairpin: pod-1 reaches itself through its service');
    assert.match(curl(p2, `http://${topo.nodeIP}:30080/`).stdout, /^pod-[12]$/);
    assert.match(curl(topo.node, `http://${topo.nodeIP}:30080/`).stdout, /^pod-[12]$/);
  });

  test('UDP through a ClusterIP', async () => {
    let reply = '';
    for (let i = 0; i < 20 && !reply; i++) reply = topo.udpAsk(topo.node, '10.96.0.53', 53, 'ping', 500);
    assert.equal(reply, 'pod-1:ping');
    assert.equal(topo.udpAsk(topo.pods[1]!, '10.96.0.53', 53, 'hello'), 'pod-1:hello');
  });

  test('a service without endpoints, and an address no service has, are refused at once', () => {
    for (const url of ['http://10.96.0.30/', 'http://10.96.0.99/']) {
      for (const from of [topo.node, topo.pods[1]!]) {
        const r = curl(from, url, 5);
        assert.equal(r.status, 7, `${url} from ${from.name}: want "connection refused" (curl exit 7), got ${r.status}`);
        assert.ok(r.ms < 2000, `refused in ${r.ms} ms`);
      }
    }
  });

  test('removing an endpoint is a partial sync and traffic follows it', async () => {
    proxier.updateEndpointSlice(slice('web', [P2]));
    const r = await proxier.syncNow();
    assert.deepEqual([r.full, r.writtenServicePorts], [false, 1]);
    for (let i = 0; i < 10; i++) assert.equal(curl(topo.node, 'http://10.96.0.20/').stdout.trim(), 'pod-2');
    const save = await runner.save('nat');
    assert.equal((save.match(/-j DNAT/g) ?? []).length, 3, 'web -> pod-2, self -> pod-1 and dns -> pod-1 only');
  });

  test('cleanup removes every Skiff chain and jump, and nothing else', async () => {
    topo.node.run('iptables', '-t', 'nat', '-N', 'SOMEONE-ELSE');
    topo.node.run('iptables', '-t', 'nat', '-A', 'OUTPUT', '-j', 'SOMEONE-ELSE');
    const removed = await cleanupIptables(runner);
    assert.ok(removed.includes('nat/SKIFF-SERVICES') && removed.includes('filter/SKIFF-PROXY-GUARD'));
    const save = await runner.save();
    assert.doesNotMatch(save, /SKIFF-/);
    assert.match(save, /^-A OUTPUT -j SOMEONE-ELSE$/m);
    assert.deepEqual(await cleanupIptables(runner), [], 'a second cleanup finds nothing');
    // Control: without Skiff's rules the same address is not refused but lost (curl times out, exit 28).
    assert.equal(curl(topo.node, 'http://10.96.0.99/', 1).status, 28);
  });
});
