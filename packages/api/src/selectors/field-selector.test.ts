import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, fieldsOf, fieldSelectorMatcher, FieldSelectorError, supportedFieldLabels, convertFieldSelector } from './index';

test('parse and match field selectors', () => {
  const s = parseFieldSelector('metadata.name=web,status.phase!=Running,spec.nodeName==n1');
  assert.deepEqual(s.requirements.map((r) => r.field), ['metadata.name', 'spec.nodeName', 'status.phase']);
  assert.equal(s.matches({ 'metadata.name': 'web', 'spec.nodeName': 'n1', 'status.phase': 'Pending' }), true);
  assert.equal(s.matches({ 'metadata.name': 'web', 'spec.nodeName': 'n1', 'status.phase': 'Running' }), false);
  assert.equal(s.toString(), 'metadata.name=web,spec.nodeName=n1,status.phase!=Running');
  assert.equal(parseFieldSelector('').isEmpty(), true);
  assert.equal(parseFieldSelector('spec.nodeName=').matches({}), true);
  assert.equal(parseFieldSelector('metadata.name=a\\,b').requirements[0]?.value, 'a,b');
  assert.equal(parseFieldSelector('metadata.name=x').requiresExactMatch('metadata.name'), 'x');
});

test('malformed field selectors', () => {
  assert.throws(() => parseFieldSelector('foo'), (e: unknown) => e instanceof FieldSelectorError && e.message === "invalid selector: 'foo'; can't understand 'foo'");
  assert.throws(() => parseFieldSelector('a=b=c'), /invalid field selector: unescaped character in value: 61/);
  assert.throws(() => parseFieldSelector('a=b\\x'), /invalid field selector: invalid escape sequence: \\x/);
});

test('unsupported field labels are reported as Kubernetes does', () => {
  assert.throws(() => fieldSelectorMatcher('Pod', 'spec.foo=bar'), (e: unknown) => e instanceof FieldSelectorError && e.message === 'field label not supported: spec.foo');
  assert.throws(() => fieldSelectorMatcher('Service', 'spec.type=ClusterIP'), /field label not supported: spec.type/);
  assert.ok(supportedFieldLabels('ConfigMap').includes('metadata.name'));
  assert.equal(convertFieldSelector('Pod', parseFieldSelector('spec.host=n1')).requirements[0]?.field, 'spec.nodeName');
});

test('fieldsOf gives Kubernetes selectable fields', () => {
  const pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' }, status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }] } };
  const f = fieldsOf('Pod', pod);
  assert.equal(f['spec.nodeName'], 'n1');
  assert.equal(f['status.phase'], 'Running');
  assert.equal(f['status.podIP'], '10.0.0.1');
  assert.equal(f['status.nominatedNodeName'], '');
  assert.equal(f['metadata.namespace'], 'ns');
  assert.equal(fieldSelectorMatcher('Pod', 'spec.nodeName=n1,status.phase=Running')(pod), true);
  assert.equal(fieldSelectorMatcher('Pod', 'spec.nodeName!=n1')(pod), false);

  const ev = { metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'p', uid: 'u' }, reason: 'Started', source: { component: 'kubelet' }, type: 'Normal' };
  const fe = fieldsOf('Event', ev);
  assert.equal(fe['involvedObject.kind'], 'Pod');
  assert.equal(fe.source, 'kubelet');
  assert.equal(fe.reason, 'Started');
  assert.equal(fieldsOf('Event', { reportingComponent: 'ctrl' }).source, 'ctrl');

  assert.equal(fieldsOf('Secret', { type: 'Opaque' }).type, 'Opaque');
  assert.equal(fieldsOf('Node', { spec: { unschedulable: true } })['spec.unschedulable'], 'true');
  assert.equal(fieldsOf('Node', {})['spec.unschedulable'], 'false');
  assert.equal(fieldsOf('Namespace', { status: { phase: 'Active' } })['status.phase'], 'Active');
  assert.equal(fieldsOf('ReplicaSet', { status: { replicas: 3 } })['status.replicas'], '3');
  assert.equal(fieldsOf('Job', { status: { succeeded: 2 } })['status.successful'], '2');
  assert.equal(fieldsOf('Job', null)['status.successful'], '0');
  assert.deepEqual(fieldsOf('ConfigMap', 'weird'), { 'metadata.name': '', 'metadata.namespace': '' });
});
