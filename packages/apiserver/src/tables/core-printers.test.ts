import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '@skiff/api';
import {
  configMapPrinter, endpointsPrinter, eventPrinter, nodePrinter, persistentVolumeClaimPrinter, resourceQuotaPrinter,
  secretPrinter, servicePrinter,
} from './core-printers';

const now = new Date('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:00:00Z'; // AGE 60m
const obj = (o: object): KObject => o as KObject;

function svc(spec: object, status: object = {}): KObject {
  return obj({ metadata: { name: 's', creationTimestamp: created }, spec, status });
}

test('service TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S) and SELECTOR', () => {
  assert.deepEqual(
    servicePrinter.cells(svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } }), now),
    ['s', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '60m', 'app=web'],
  );
  assert.deepEqual(
    servicePrinter.cells(svc({ type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }] }), now),
    ['s', 'NodePort', '10.96.0.11', '<none>', '80:30080/TCP,53/UDP', '60m', '<none>'],
  );
});

test('service EXTERNAL-IP for each type', () => {
  const ext = (spec: object, status: object = {}): unknown => servicePrinter.cells(svc(spec, status), now)[3];
  assert.equal(ext({ type: 'LoadBalancer', ports: [{ port: 80, nodePort: 31000 }] }), '<pending>');
  assert.equal(ext({ type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }] } }), '203.0.113.9,lb.example.com');
  assert.equal(ext({ type: 'LoadBalancer', externalIPs: ['198.51.100.1'] }, { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } }), '203.0.113.9,198.51.100.1');
  assert.equal(ext({ type: 'ClusterIP', externalIPs: ['198.51.100.1', '198.51.100.2'] }), '198.51.100.1,198.51.100.2');
  assert.equal(ext({ type: 'ExternalName', externalName: 'db.example.com' }), 'db.example.com');
  const externalName = servicePrinter.cells(svc({ type: 'ExternalName', externalName: 'db.example.com' }), now);
  assert.equal(externalName[2], '<none>');
  assert.equal(externalName[4], '<none>');
  assert.equal(servicePrinter.cells(svc({ clusterIP: 'None', ports: [{ port: 80 }] }), now)[2], 'None');
});

test('node STATUS, ROLES, VERSION and wide columns', () => {
  const node = (spec: object, conditions: object[], labels: Record<string, string> = {}): KObject => obj({
    metadata: { name: 'n1', creationTimestamp: created, labels },
    spec,
    status: {
      conditions,
      addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '192.168.56.11' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu 24.04 LTS', kernelVersion: '6.8.0', containerRuntimeVersion: 'docker://27.0.1' },
    },
  });
  const ready = [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }];
  assert.deepEqual(nodePrinter.cells(node({}, ready), now), [
    'n1', 'Ready', '<none>', '60m', 'v1.32.0', '192.168.56.11', '<none>', 'Ubuntu 24.04 LTS', '6.8.0', 'docker://27.0.1',
  ]);
  assert.equal(nodePrinter.cells(node({ unschedulable: true }, ready), now)[1], 'Ready,SchedulingDisabled');
  assert.equal(nodePrinter.cells(node({}, [{ type: 'Ready', status: 'Unknown' }]), now)[1], 'NotReady');
  assert.equal(nodePrinter.cells(node({ unschedulable: true }, []), now)[1], 'Unknown,SchedulingDisabled');
  const roles = { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/': 'x', 'kubernetes.io/role': 'ingress' };
  assert.equal(nodePrinter.cells(node({}, ready, roles), now)[2], 'control-plane,ingress,worker');
  const bare = obj({ metadata: { name: 'n2' }, spec: {}, status: {} });
  assert.deepEqual(nodePrinter.cells(bare, now), ['n2', 'Unknown', '<none>', '<unknown>', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>']);
});

test('endpoints list at most three addresses', () => {
  const ep = (subsets: object[]): unknown => endpointsPrinter.cells(obj({ metadata: { name: 'e', creationTimestamp: created }, subsets }), now)[1];
  assert.equal(ep([]), '<none>');
  assert.equal(ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 8080 }] }]), '10.0.0.1:8080,10.0.0.2:8080');
  assert.equal(ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }], ports: [{ port: 80 }, { port: 443 }] }]),
    '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 3 more...');
  assert.equal(ep([{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }]), '[fd00::1]:80');
  assert.equal(ep([{ addresses: [{ ip: '10.0.0.1' }] }]), '10.0.0.1');
});

test('configmap and secret DATA counts', () => {
  assert.deepEqual(configMapPrinter.cells(obj({ metadata: { name: 'c', creationTimestamp: created }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), now), ['c', 3, '60m']);
  assert.deepEqual(secretPrinter.cells(obj({ metadata: { name: 's', creationTimestamp: created }, type: 'Opaque', data: { a: 'MQ==' } }), now), ['s', 'Opaque', 1, '60m']);
});

test('event cells, normal and wide', () => {
  const ev = obj({
    metadata: { name: 'web.17c', namespace: 'default', creationTimestamp: created },
    involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled', message: 'Container image "nginx" already present on machine\n', type: 'Normal',
    source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: '2024-05-01T11:50:00Z', lastTimestamp: '2024-05-01T11:59:00Z', count: 4,
  });
  assert.deepEqual(eventPrinter.cells(ev, now), [
    '60s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{app}', 'kubelet, n1',
    'Container image "nginx" already present on machine', '10m', 4, 'web.17c',
  ]);
  const fresh = obj({ metadata: { name: 'x' }, involvedObject: { kind: 'Node' }, eventTime: '2024-05-01T11:59:58.000000Z', reportingComponent: 'sched' });
  const cells = eventPrinter.cells(fresh, now);
  assert.deepEqual([cells[0], cells[3], cells[5], cells[7], cells[8]], ['2s', 'node', 'sched', '2s', 1]);
});

test('resource quota REQUEST and LIMIT', () => {
  const rq = obj({
    metadata: { name: 'q', creationTimestamp: created },
    status: {
      hard: { pods: '10', 'requests.cpu': '2', 'limits.memory': '2Gi', 'requests.memory': '1024Mi' },
      used: { pods: '3', 'requests.cpu': '500m', 'limits.memory': '512Mi' },
    },
  });
  assert.deepEqual(resourceQuotaPrinter.cells(rq, now), [
    'q', 'pods: 3/10, requests.cpu: 500m/2, requests.memory: 0/1Gi', 'limits.memory: 512Mi/2Gi', '60m',
  ]);
});

test('pvc shows capacity and access modes only once bound', () => {
  const pvc = (spec: object, status: object): unknown[] => persistentVolumeClaimPrinter.cells(obj({ metadata: { name: 'data', creationTimestamp: created }, spec, status }), now);
  assert.deepEqual(pvc({ storageClassName: 'local', resources: { requests: { storage: '1Gi' } } }, { phase: 'Pending' }),
    ['data', 'Pending', '', '', '', 'local', '<unset>', '60m', '<unset>']);
  assert.deepEqual(pvc({ volumeName: 'pv1', storageClassName: 'local', volumeMode: 'Filesystem' }, { phase: 'Bound', capacity: { storage: '1024Mi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce'] }),
    ['data', 'Bound', 'pv1', '1Gi', 'RWO,RWX', 'local', '<unset>', '60m', 'Filesystem']);
});
