import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from 'kubernetes-types/core/v1';
import { dockerNetworkSpec, enableHairpin, ensureDockerNetwork, firstHost, planPodNetwork, planRoutes, PodNetworkError, type DockerNetworks } from './pod-network';
import { ServiceFeed, type ServiceListener } from './service-feed';

test('the pod network plan: bridge on the podCIDR, gateway its first address', () => {
  assert.equal(firstHost('10.244.3.0/24'), '10.244.3.1');
  assert.equal(firstHost('10.244.3.77/24'), '10.244.3.1');
  const plan = planPodNetwork('10.244.3.0/24');
  assert.deepEqual(plan, { network: 'skiff0', bridge: 'skiff0', subnet: '10.244.3.0/24', gateway: '10.244.3.1' });
  assert.deepEqual((dockerNetworkSpec(plan).IPAM as { Config: unknown[] }).Config, [{ Subnet: '10.244.3.0/24', Gateway: '10.244.3.1' }]);
});

test('the Docker network is created once, and a different subnet is refused', async () => {
  const created: Record<string, unknown>[] = [];
  let nets: { Name: string; Id: string; IPAM?: { Config?: { Subnet?: string }[] } }[] = [];
  const docker: DockerNetworks = {
    listNetworks: async () => nets,
    createNetwork: async (spec) => { created.push(spec); nets = [{ Name: String(spec.Name), Id: 'x', IPAM: { Config: [{ Subnet: '10.244.3.0/24' }] } }]; },
  };
  assert.equal(await ensureDockerNetwork(docker, planPodNetwork('10.244.3.0/24')), 'created');
  assert.equal(await ensureDockerNetwork(docker, planPodNetwork('10.244.3.0/24')), 'exists');
  assert.equal(created.length, 1);
  await assert.rejects(ensureDockerNetwork(docker, planPodNetwork('10.244.4.0/24')), PodNetworkError);
});

test('routes: one per other node, replaced when the node moves, removed when it goes', () => {
  const peers = [
    { name: 'n1', nodeIP: '192.168.56.11', podCIDR: '10.244.1.0/24' },
    { name: 'n2', nodeIP: '192.168.56.12', podCIDR: '10.244.2.0/24' },
    { name: 'n3', nodeIP: '192.168.56.13', podCIDR: '10.244.3.0/24' },
    { name: 'n4', nodeIP: '192.168.56.14', podCIDR: '' },
  ];
  const current = '10.244.2.0/24 via 192.168.56.99 dev eth1 proto 152\n10.244.9.0/24 via 192.168.56.19 dev eth1 proto 152\n';
  assert.deepEqual(planRoutes(current, peers, 'n1'), [
    ['route', 'replace', '10.244.2.0/24', 'via', '192.168.56.12', 'proto', '152'],
    ['route', 'replace', '10.244.3.0/24', 'via', '192.168.56.13', 'proto', '152'],
    ['route', 'del', '10.244.9.0/24', 'proto', '152'],
  ]);
  assert.deepEqual(planRoutes('10.244.2.0/24 via 192.168.56.12 dev eth1 proto 152\n', peers.slice(0, 2), 'n1'), []);
});

test('hairpin mode is turned on for the bridge ports that lack it', async () => {
  const sys = mkdtempSync(join(tmpdir(), 'skiff-sysfs-'));
  try {
    for (const [port, mode] of [['veth1', '0'], ['veth2', '1']] as const) {
      mkdirSync(join(sys, 'class/net/skiff0/brif', port), { recursive: true });
      writeFileSync(join(sys, 'class/net/skiff0/brif', port, 'hairpin_mode'), `${mode}\n`);
    }
    assert.deepEqual(await enableHairpin('skiff0', sys), ['veth1']);
    assert.equal(readFileSync(join(sys, 'class/net/skiff0/brif/veth1/hairpin_mode'), 'utf8'), '1');
    assert.deepEqual(await enableHairpin('missing', sys), []);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('the service feed converges on each full state and deletes what was not resent', () => {
  const calls: string[] = [];
  const l: ServiceListener = {
    updateService: (s) => calls.push(`+svc ${s.metadata?.name}`), deleteService: (s) => calls.push(`-svc ${s.metadata?.name}`),
    updateEndpointSlice: (s) => calls.push(`+slice ${s.metadata?.name}`), deleteEndpointSlice: (s) => calls.push(`-slice ${s.metadata?.name}`),
    updateEndpoints: (e) => calls.push(`+ep ${e.metadata?.name}`), deleteEndpoints: (e) => calls.push(`-ep ${e.metadata?.name}`),
  };
  let synced = 0;
  const feed = new ServiceFeed([l], () => synced++);
  const svc = (name: string): Buffer => Buffer.from(JSON.stringify({ metadata: { name, namespace: 'd' } } as Service));
  feed.beginFullState();
  assert.equal(feed.handle({ type: 'ADDED', service_json: svc('a') }), true);
  assert.equal(feed.handle({ type: 'ADDED', service_json: svc('b') }), true);
  assert.equal(feed.handle({ type: 'ADDED', endpointslice_json: svc('a-1') }), true);
  assert.equal(feed.handle({ type: 'ADDED', pod_json: svc('p') }), false, 'pods are the caller\'s');
  assert.equal(feed.handle({ type: 'SYNC' }), false, 'SYNC is observed and left to the caller');
  feed.beginFullState();
  feed.handle({ type: 'ADDED', service_json: svc('a') });
  feed.handle({ type: 'SYNC' });
  assert.deepEqual(calls, ['+svc a', '+svc b', '+slice a-1', '+svc a', '-svc b', '-slice a-1']);
  assert.equal(synced, 2);
});
