import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allMembers, etcdClientURLs, etcdInitialCluster, labTopology, TopologyError } from './topology';
import { renderHostFirewall } from './host-network';
import { podRoutesFor, renderNodeForwardRules } from './pod-network-routes';
import { parseLabArgs, UsageError } from './config';

test('topology: addresses, namespaces, veth names and pod ranges', () => {
  const t = labTopology({ workers: 3, masters: 2 });
  assert.deepEqual(allMembers(t).map((m) => `${m.name} ${m.netns} ${m.hostVeth} ${m.address}`), [
    'etcd-1 skiff-lab-etcd-1 sl-etcd-1 10.250.0.11',
    'etcd-2 skiff-lab-etcd-2 sl-etcd-2 10.250.0.12',
    'etcd-3 skiff-lab-etcd-3 sl-etcd-3 10.250.0.13',
    'master-1 skiff-lab-master-1 sl-master-1 10.250.0.21',
    'master-2 skiff-lab-master-2 sl-master-2 10.250.0.22',
    'worker-1 skiff-lab-worker-1 sl-worker-1 10.250.0.101',
    'worker-2 skiff-lab-worker-2 sl-worker-2 10.250.0.102',
    'worker-3 skiff-lab-worker-3 sl-worker-3 10.250.0.103',
  ]);
  assert.deepEqual(t.workers.map((w) => [w.podCIDR, w.dockerBridgeIP]), [
    ['10.244.1.0/24', '10.244.1.1/24'], ['10.244.2.0/24', '10.244.2.1/24'], ['10.244.3.0/24', '10.244.3.1/24'],
  ]);
  for (const m of allMembers(labTopology({ workers: 50, masters: 2 }))) assert.ok(m.hostVeth.length <= 15, m.hostVeth);
  assert.deepEqual(etcdClientURLs(t), ['http://10.250.0.11:2379', 'http://10.250.0.12:2379', 'http://10.250.0.13:2379']);
  assert.equal(etcdInitialCluster(t), 'etcd-1=http://10.250.0.11:2380,etcd-2=http://10.250.0.12:2380,etcd-3=http://10.250.0.13:2380');
  assert.throws(() => labTopology({ workers: 0, masters: 1 }), TopologyError);
  assert.throws(() => labTopology({ workers: 51, masters: 1 }), TopologyError);
  assert.throws(() => labTopology({ workers: 1, masters: 3 }), TopologyError);
});

test('host firewall: lab traffic stays on the bridge, nothing leaves or enters from elsewhere', () => {
  const text = renderHostFirewall(labTopology({ workers: 1, masters: 1 }).network);
  assert.equal(text, [
    '*filter',
    ':SKIFF-LAB-FWD - [0:0]',
    '-A SKIFF-LAB-FWD -i skiff-lab0 -o skiff-lab0 -m comment --comment "skiff-lab: between lab members" -j ACCEPT',
    '-A SKIFF-LAB-FWD -i skiff-lab0 ! -o skiff-lab0 -m comment --comment "skiff-lab: nothing from the lab leaves the machine" -j DROP',
    '-A SKIFF-LAB-FWD -s 10.250.0.0/24 ! -o skiff-lab0 -m comment --comment "skiff-lab: lab range stays on the lab bridge" -j DROP',
    '-A SKIFF-LAB-FWD -s 10.244.0.0/16 ! -o skiff-lab0 -m comment --comment "skiff-lab: pod range stays on the lab bridge" -j DROP',
    '-A SKIFF-LAB-FWD -s 10.96.0.0/12 ! -o skiff-lab0 -m comment --comment "skiff-lab: service range stays on the lab bridge" -j DROP',
    '-A SKIFF-LAB-FWD -d 10.96.0.0/12 ! -o skiff-lab0 -m comment --comment "skiff-lab: service range is never routed off the lab" -j DROP',
    '-A SKIFF-LAB-FWD ! -i skiff-lab0 -o skiff-lab0 -m comment --comment "skiff-lab: nothing forwarded into the lab from elsewhere" -j DROP',
    'COMMIT',
    '',
  ].join('\n'));
  assert.doesNotMatch(text, /MASQUERADE|SNAT|DNAT|\*nat/);
});

test('pod network: host-gw routes to the other workers and FORWARD accepts for the pod range', () => {
  const t = labTopology({ workers: 3, masters: 1 });
  assert.deepEqual(podRoutesFor(t.workers[0]!, t.workers), [
    { destination: '10.244.2.0/24', via: '10.250.0.102' },
    { destination: '10.244.3.0/24', via: '10.250.0.103' },
  ]);
  assert.deepEqual(podRoutesFor(t.workers[0]!, t.workers.slice(0, 1)), []);
  assert.equal(renderNodeForwardRules('10.244.0.0/16'), [
    '*filter',
    ':SKIFF-LAB-PODS - [0:0]',
    '-A SKIFF-LAB-PODS -s 10.244.0.0/16 -m comment --comment "skiff-lab: pod traffic between nodes" -j ACCEPT',
    '-A SKIFF-LAB-PODS -d 10.244.0.0/16 -m comment --comment "skiff-lab: pod traffic between nodes" -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n'));
});

test('CLI flags', () => {
  assert.deepEqual(parseLabArgs(['up', '--nodes', '3']), { command: { kind: 'up', workers: 3, masters: 1, mergeKubeconfig: true, json: false } });
  assert.deepEqual(parseLabArgs(['--home', '/x', 'up', '--nodes=5', '--masters', '2', '--no-merge-kubeconfig']),
    { home: '/x', command: { kind: 'up', workers: 5, masters: 2, mergeKubeconfig: false, json: false } });
  assert.deepEqual(parseLabArgs(['node', 'kill', 'worker-2']), { command: { kind: 'node', op: 'kill', name: 'worker-2' } });
  assert.deepEqual(parseLabArgs(['down', '--keep-data']), { command: { kind: 'down', keepData: true } });
  assert.deepEqual(parseLabArgs([]), { command: { kind: 'help' } });
  assert.throws(() => parseLabArgs(['up', '--nodes', 'x']), UsageError);
  assert.throws(() => parseLabArgs(['up', '--masters', '3']), UsageError);
  assert.throws(() => parseLabArgs(['node', 'reboot', 'worker-1']), UsageError);
  assert.throws(() => parseLabArgs(['down', '--nodes', '3']), UsageError);
  assert.throws(() => parseLabArgs(['frobnicate']), UsageError);
});
