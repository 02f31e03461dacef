import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults';
import { validateCreate, validateUpdate } from './index';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const SVC = { group: '', kind: 'Service' };
const lines = (errs: { field: string; detail: string }[]): string[] => errs.map((e) => `${e.field}: ${e.detail}`);
const svc = (spec: Any, name = 'web'): Any => applyDefaults('Service', 'v1', { metadata: { name, namespace: 'default' }, spec } as Any);

test('a defaulted ClusterIP service is valid', () => {
  assert.deepEqual(validateCreate(SVC, svc({ selector: { app: 'web' }, ports: [{ port: 80 }] })), []);
  assert.deepEqual(validateCreate(SVC, svc({ clusterIP: 'None', selector: { app: 'db' } })), []);
  assert.deepEqual(validateCreate(SVC, svc({ type: 'ExternalName', externalName: 'db.example.com.' })), []);
  assert.deepEqual(validateCreate(SVC, svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })), []);
});

test('service names are DNS-1035 labels', () => {
  assert.deepEqual(lines(validateCreate(SVC, svc({ ports: [{ port: 80 }] }, '1web'))), [
    "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  ]);
});

test('ports: required, range, names required and unique when several', () => {
  assert.deepEqual(lines(validateCreate(SVC, svc({ selector: { a: 'b' } }))), ['spec.ports: Required value']);
  assert.deepEqual(lines(validateCreate(SVC, svc({ ports: [{ port: 80 }, { port: 0, name: 'b' }, { port: 443, name: 'b' }] }))), [
    'spec.ports[0].name: Required value',
    'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.ports[2].name: Duplicate value: "b"',
  ]);
  assert.deepEqual(lines(validateCreate(SVC, svc({ ports: [{ port: 80, name: 'a' }, { port: 80, name: 'b' }] }))), [
    'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
  ]);
});

test('node ports only for NodePort/LoadBalancer, within range', () => {
  assert.deepEqual(lines(validateCreate(SVC, svc({ ports: [{ port: 80, nodePort: 30080 }] }))), [
    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
  ]);
  assert.deepEqual(lines(validateCreate(SVC, svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }))), [
    'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]);
  assert.deepEqual(validateCreate(SVC, svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }), { nodePortRange: [1, 1000] }), []);
});

test('type enum, ExternalName needs externalName, headless NodePort rejected', () => {
  assert.deepEqual(lines(validateCreate(SVC, svc({ type: 'Magic', ports: [{ port: 80 }] }))), [
    'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  assert.deepEqual(lines(validateCreate(SVC, svc({ type: 'ExternalName' }))), ['spec.externalName: Required value']);
  assert.deepEqual(lines(validateCreate(SVC, svc({ type: 'NodePort', clusterIP: 'None', ports: [{ port: 80 }] }))), [
    'spec.clusterIPs[0]: Invalid value: "None": may not be set to \'None\' for NodePort services',
  ]);
  assert.deepEqual(lines(validateCreate(SVC, svc({ selector: { 'bad key!': 'x' }, ports: [{ port: 80 }] }))).length, 1);
});

test('clusterIP is immutable on update', () => {
  const old = svc({ clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80 }] });
  const moved = structuredClone(old);
  moved.spec.clusterIP = '10.96.0.11';
  moved.spec.clusterIPs = ['10.96.0.11'];
  assert.deepEqual(lines(validateUpdate(SVC, moved, old)), ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  const same = structuredClone(old);
  same.spec.ports[0].port = 81;
  same.spec.ports[0].targetPort = 81;
  assert.deepEqual(validateUpdate(SVC, same, old), []);
});
