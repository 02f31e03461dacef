import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults';
import { validateCreate, validateUpdate } from './index';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const lines = (errs: { field: string; detail: string }[]): string[] => errs.map((e) => `${e.field}: ${e.detail}`);
const core = (kind: string): { group: string; kind: string } => ({ group: '', kind });
const withDefaults = (kind: string, apiVersion: string, obj: Any): Any => applyDefaults(kind, apiVersion, obj);
const b64 = (s: string): string => Buffer.from(s).toString('base64');

test('configmap keys, binaryData, size', () => {
  assert.deepEqual(validateCreate(core('ConfigMap'), { metadata: { name: 'c' }, data: { 'app.conf': 'x' }, binaryData: { bin: b64('y') } }), []);
  assert.deepEqual(lines(validateCreate(core('ConfigMap'), { metadata: { name: 'c' }, data: { 'bad/key': 'x', dup: 'a' }, binaryData: { dup: b64('b') } })), [
    "data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
  ]);
  assert.deepEqual(lines(validateCreate(core('ConfigMap'), { metadata: { name: 'c' }, data: { big: 'x'.repeat(1024 * 1024 + 1) } })), ['[]: Too long: may not be more than 1048576 bytes']);
  const old = { metadata: { name: 'c' }, immutable: true, data: { a: '1' } };
  assert.deepEqual(lines(validateUpdate(core('ConfigMap'), { metadata: { name: 'c' }, immutable: true, data: { a: '2' } }, old)), ['data: Forbidden: field is immutable when `immutable` is set']);
});

test('secrets: keys, types, type immutable', () => {
  const secret = (o: Any): Any => withDefaults('Secret', 'v1', { metadata: { name: 's' }, ...o });
  assert.deepEqual(validateCreate(core('Secret'), secret({ stringData: { password: 'x' } })), []);
  assert.deepEqual(lines(validateCreate(core('Secret'), secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': b64('c') } }))), ['data[tls.key]: Required value']);
  assert.deepEqual(lines(validateCreate(core('Secret'), secret({ type: 'kubernetes.io/dockerconfigjson', data: {} }))), ['data[.dockerconfigjson]: Required value']);
  assert.deepEqual(lines(validateCreate(core('Secret'), secret({ data: { k: 'not base64!' } }))), ['data[k]: Invalid value: "<value omitted>": illegal base64 data at input byte 3']);
  assert.deepEqual(lines(validateUpdate(core('Secret'), secret({ type: 'Other' }), secret({}))), ['type: Invalid value: "Other": field is immutable']);
});

test('namespace names are DNS labels; node taints', () => {
  assert.deepEqual(validateCreate(core('Namespace'), withDefaults('Namespace', 'v1', { metadata: { name: 'team-a' } })), []);
  assert.deepEqual(lines(validateCreate(core('Namespace'), { metadata: { name: 'team.a' } })), ['metadata.name: Invalid value: "team.a": must not contain dots']);
  const node = (taints: Any[]): Any => ({ metadata: { name: 'n1' }, spec: { taints } });
  assert.deepEqual(validateCreate(core('Node'), node([{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }])), []);
  assert.deepEqual(lines(validateCreate(core('Node'), node([{ key: 'a', effect: 'Sometimes' }, { key: 'b' }, { key: 'c', effect: 'NoExecute' }, { key: 'c', effect: 'NoExecute' }]))), [
    'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    'spec.taints[1].effect: Required value',
    'spec.taints[3]: Duplicate value: core.Taint{Key:"c", Value:"", Effect:"NoExecute", TimeAdded:<nil>}: taints must be unique by key and effect pair',
  ]);
  const n = { metadata: { name: 'n1' }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } };
  assert.deepEqual(validateUpdate(core('Node'), { ...n, spec: { ...n.spec, unschedulable: true, taints: [] } }, n), []);
  assert.deepEqual(lines(validateUpdate(core('Node'), { ...n, spec: { podCIDR: '10.244.2.0/24', podCIDRs: ['10.244.2.0/24'] } }, n)), [
    'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
  ]);
});

test('lease, endpointslice, endpoints', () => {
  const LEASE = { group: 'coordination.k8s.io', kind: 'Lease' };
  assert.deepEqual(validateCreate(LEASE, { metadata: { name: 'skiff-master' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2024-01-01T00:00:00.000000Z' } }), []);
  assert.deepEqual(lines(validateCreate(LEASE, { metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } })), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
  ]);
  const SLICE = { group: 'discovery.k8s.io', kind: 'EndpointSlice' };
  const slice = (o: Any): Any => withDefaults('EndpointSlice', 'discovery.k8s.io/v1', { metadata: { name: 'web-abc' }, ...o });
  assert.deepEqual(validateCreate(SLICE, slice({ addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: true } }], ports: [{ port: 80 }] })), []);
  assert.deepEqual(lines(validateCreate(SLICE, slice({ endpoints: [] }))), ['addressType: Required value']);
  assert.deepEqual(lines(validateCreate(SLICE, slice({ addressType: 'IPv5' }))), ['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']);
  assert.deepEqual(lines(validateCreate(SLICE, slice({ addressType: 'IPv4', endpoints: [{ addresses: ['fe80::1'] }, { addresses: [] }] }))), [
    'endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address',
    'endpoints[1].addresses: Required value: must contain at least 1 address',
  ]);
  const before = slice({ addressType: 'IPv4' });
  assert.deepEqual(lines(validateUpdate(SLICE, slice({ addressType: 'IPv6' }), before)), ['addressType: Invalid value: "IPv6": field is immutable']);
  const EP = core('Endpoints');
  assert.deepEqual(validateCreate(EP, withDefaults('Endpoints', 'v1', { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ port: 80 }] }] })), []);
  const loopback = { metadata: { name: 'kubernetes' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 6443, protocol: 'TCP' }] }] };
  assert.deepEqual(validateCreate(EP, loopback), []);
  assert.deepEqual(lines(validateCreate(EP, loopback, { rejectSpecialEndpointIPs: true })), [
    'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
  ]);
  assert.deepEqual(lines(validateCreate(SLICE, slice({ addressType: 'IPv4', endpoints: [{ addresses: ['169.254.1.1'] }] }), { rejectSpecialEndpointIPs: true })), [
    'endpoints[0].addresses[0]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
  ]);
});

test('pdb, hpa', () => {
  const PDB = { group: 'policy', kind: 'PodDisruptionBudget' };
  assert.deepEqual(validateCreate(PDB, { metadata: { name: 'p' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } }), []);
  const both = lines(validateCreate(PDB, { metadata: { name: 'p' }, spec: { minAvailable: 1, maxUnavailable: '150%' } }));
  assert.equal(both.length, 2);
  assert.match(both[0] ?? '', /^spec: Invalid value: .*: minAvailable and maxUnavailable cannot be both set$/);
  assert.equal(both[1], 'spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%');
  const HPA = { group: 'autoscaling', kind: 'HorizontalPodAutoscaler' };
  const hpa = (spec: Any): Any => withDefaults('HorizontalPodAutoscaler', 'autoscaling/v2', { metadata: { name: 'h' }, spec });
  assert.deepEqual(validateCreate(HPA, hpa({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5 })), []);
  assert.deepEqual(lines(validateCreate(HPA, hpa({ scaleTargetRef: { kind: 'Deployment' }, minReplicas: 4, maxReplicas: 2 }))), [
    'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
    'spec.scaleTargetRef.name: Required value',
  ]);
  assert.deepEqual(lines(validateCreate(HPA, hpa({ scaleTargetRef: { kind: 'Deployment', name: 'w' }, maxReplicas: 2, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 0 } } }] }))), [
    'spec.metrics[0].resource.target.averageUtilization: Invalid value: 0: must be greater than 0',
  ]);
});

test('rbac: verbs required, roleRef rules, roleRef immutable', () => {
  const ROLE = { group: 'rbac.authorization.k8s.io', kind: 'Role' };
  assert.deepEqual(validateCreate(ROLE, { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }), []);
  assert.deepEqual(lines(validateCreate(ROLE, { metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['pods'] }, { verbs: ['get'] }] })), [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[1].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[1].resources: Required value: resource rules must supply at least one resource',
  ]);
  assert.deepEqual(lines(validateCreate({ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }, { metadata: { name: 'system:x' }, rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] })), []);
  const RB = { group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' };
  const rb = (o: Any): Any => withDefaults('RoleBinding', 'rbac.authorization.k8s.io/v1', { metadata: { name: 'b' }, roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'User', name: 'alice' }], ...o });
  assert.deepEqual(validateCreate(RB, rb({})), []);
  assert.deepEqual(lines(validateCreate(RB, rb({ roleRef: { kind: 'Thing', name: 'x' }, subjects: [{ kind: 'Robot', name: 'r' }] }))), [
    'roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole"',
    'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
  assert.deepEqual(lines(validateUpdate(RB, rb({ roleRef: { kind: 'Role', name: 'writer' } }), rb({}))), [
    'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"writer"}: cannot change roleRef',
  ]);
});

test('persistent volumes and claims', () => {
  const PV = core('PersistentVolume');
  const pv = (spec: Any): Any => withDefaults('PersistentVolume', 'v1', { metadata: { name: 'pv1' }, spec });
  assert.deepEqual(validateCreate(PV, pv({ accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, hostPath: { path: '/data' } })), []);
  assert.deepEqual(lines(validateCreate(PV, pv({ capacity: { storage: '0' } }))), [
    'spec.accessModes: Required value',
    'spec.capacity[storage]: Invalid value: "0": must be greater than zero',
    'spec: Required value: must specify a volume type',
  ]);
  const PVC = core('PersistentVolumeClaim');
  const pvc = (spec: Any, status?: Any): Any => withDefaults('PersistentVolumeClaim', 'v1', { metadata: { name: 'data' }, spec, ...(status ? { status } : {}) });
  assert.deepEqual(validateCreate(PVC, pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } })), []);
  assert.deepEqual(lines(validateCreate(PVC, pvc({ accessModes: ['ReadWriteSometimes'] }))), [
    'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    'spec.resources[storage]: Required value',
  ]);
  const bound = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeName: 'pv1' }, { phase: 'Bound' });
  const grown = structuredClone(bound);
  grown.spec.resources.requests.storage = '2Gi';
  assert.deepEqual(validateUpdate(PVC, grown, bound), []);
  const modes = structuredClone(bound);
  modes.spec.accessModes = ['ReadWriteMany'];
  assert.deepEqual(lines(validateUpdate(PVC, modes, bound)), ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
  const unbound = pvc({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } });
  const bind = structuredClone(unbound);
  bind.spec.volumeName = 'pv1';
  assert.deepEqual(validateUpdate(PVC, bind, unbound), []);
});

test('events: involvedObject namespace must match', () => {
  const EV = core('Event');
  assert.deepEqual(validateCreate(EV, { metadata: { name: 'p.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started' }), []);
  assert.deepEqual(lines(validateCreate(EV, { metadata: { name: 'p.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } })), [
    'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  ]);
});

test('unknown kinds get object meta validation', () => {
  assert.deepEqual(lines(validateCreate({ group: 'example.com', kind: 'Widget' }, { metadata: { name: 'Bad' } })).length, 1);
  assert.deepEqual(validateCreate({ group: '', kind: 'ServiceAccount' }, { metadata: { name: 'default' } }), []);
});
