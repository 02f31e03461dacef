import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults';
import { validateCreate, validateUpdate, POD_UPDATE_FORBIDDEN } from './index';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const POD = { group: '', kind: 'Pod' };
const lines = (errs: { field: string; detail: string }[]): string[] => errs.map((e) => `${e.field}: ${e.detail}`);

function pod(spec: Any = {}, meta: Any = { name: 'web', namespace: 'default' }): Any {
  return applyDefaults('Pod', 'v1', { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }], ...spec } });
}

const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

test('a defaulted pod is valid', () => {
  assert.deepEqual(validateCreate(POD, pod()), []);
});

test('missing image, bad name: exact Kubernetes wording', () => {
  const p = pod({ containers: [{ name: 'app' }] }, { name: 'Foo_bar' });
  assert.deepEqual(lines(validateCreate(POD, p)), [
    `metadata.name: Invalid value: "Foo_bar": ${SUBDOMAIN_MSG}`,
    'spec.containers[0].image: Required value',
  ]);
  const e = validateCreate(POD, p).find((x) => x.field === 'spec.containers[0].image');
  assert.equal(e?.type, 'FieldValueRequired');
});

test('name is required unless generateName is set; generateName may end in a dash', () => {
  assert.deepEqual(lines(validateCreate(POD, pod({}, {}))), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(validateCreate(POD, pod({}, { generateName: 'web-' })), []);
  assert.match(lines(validateCreate(POD, pod({}, { name: 'a'.repeat(254) })))[0] ?? '', /metadata.name: Invalid value: "a+": must be no more than 253 characters/);
});

test('labels and annotations', () => {
  const errs = lines(validateCreate(POD, pod({}, { name: 'p', labels: { 'bad key!': 'x', ok: 'bad value!' }, annotations: { 'a/b/c': 'x' } })));
  assert.ok(errs.some((e) => e.startsWith('metadata.labels: Invalid value: "bad key!": name part must consist of alphanumeric characters')));
  assert.ok(errs.some((e) => e.startsWith('metadata.labels: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters')));
  assert.ok(errs.some((e) => e.startsWith('metadata.annotations: Invalid value: "a/b/c": a qualified name must consist of')));
  const big = lines(validateCreate(POD, pod({}, { name: 'p', annotations: { a: 'x'.repeat(262144) } })));
  assert.deepEqual(big, ['metadata.annotations: Too long: may not be more than 262144 bytes']);
});

test('containers: at least one, names unique across init and app containers', () => {
  assert.deepEqual(lines(validateCreate(POD, pod({ containers: [] }))), ['spec.containers: Required value']);
  const dup = pod({ initContainers: [{ name: 'app', image: 'busybox' }], containers: [{ name: 'app', image: 'x' }, { name: 'app', image: 'y' }, { name: 'Bad_Name', image: 'z' }] });
  assert.deepEqual(lines(validateCreate(POD, dup)), [
    'spec.containers[1].name: Duplicate value: "app"',
    `spec.containers[2].name: Invalid value: "Bad_Name": ${LABEL_MSG}`,
    'spec.initContainers[0].name: Duplicate value: "app"',
  ]);
});

test('ports, protocols and env names', () => {
  const p = pod({ containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 70000 }, { containerPort: 80, protocol: 'HTTP', name: 'web' }, { containerPort: 81, name: 'web' }],
    env: [{ name: '1BAD' }, { name: 'OK', valueFrom: {} }, { name: 'F', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] }] });
  assert.deepEqual(lines(validateCreate(POD, p)), [
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    'spec.containers[0].ports[2].name: Duplicate value: "web"',
    "spec.containers[0].env[0].name: Invalid value: \"1BAD\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
    'spec.containers[0].env[1].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
    'spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.bogus": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
  ]);
});

test('volumes: unique names, exactly one source, mounts must refer to a volume', () => {
  const p = pod({
    volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', configMap: { name: 'cm' } }, { name: 'b', emptyDir: {}, hostPath: { path: '/x' } }, { name: 'c', secret: {} }],
    containers: [{ name: 'c', image: 'i', volumeMounts: [{ name: 'a', mountPath: '/a' }, { name: 'nope', mountPath: '/a' }] }],
  });
  delete p.spec.volumes[3].secret.defaultMode;
  assert.deepEqual(lines(validateCreate(POD, p)), [
    'spec.volumes[1].name: Duplicate value: "a"',
    'spec.volumes[2].emptyDir: Forbidden: may not specify more than 1 volume type',
    'spec.volumes[3].secret.secretName: Required value',
    'spec.containers[0].volumeMounts[1].name: Not found: "nope"',
    'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/a": must be unique',
  ]);
  const none = pod({ volumes: [{ name: 'v' }] });
  delete none.spec.volumes[0].emptyDir;
  assert.deepEqual(lines(validateCreate(POD, none)), ['spec.volumes[0]: Required value: must specify a volume type']);
});

test('resources: quantities valid, requests <= limits', () => {
  const p = pod({ containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '500m', memory: 'lots' }, requests: { cpu: '1' } } }] });
  assert.deepEqual(lines(validateCreate(POD, p)), [
    "spec.containers[0].resources.limits[memory]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    'spec.containers[0].resources.requests: Invalid value: "1": must be less than or equal to cpu limit of 500m',
    // defaulting copied the bad limit into requests, so it is reported there too
    "spec.containers[0].resources.requests[memory]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  ]);
  const neg = pod({ containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '-1', gpu: '1' } } }] });
  assert.deepEqual(lines(validateCreate(POD, neg)), [
    'spec.containers[0].resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    'spec.containers[0].resources.requests[gpu]: Invalid value: "gpu": must be a standard resource for containers',
  ]);
});

test('probes: exactly one handler, non-negative periods, liveness success threshold 1', () => {
  const p = pod({ containers: [{ name: 'c', image: 'i',
    livenessProbe: { exec: { command: ['true'] }, httpGet: { port: 80 }, successThreshold: 2 },
    readinessProbe: { periodSeconds: -1 },
    startupProbe: { tcpSocket: { port: 'http' } } }] });
  assert.deepEqual(lines(validateCreate(POD, p)), [
    'spec.containers[0].livenessProbe.httpGet: Forbidden: may not specify more than 1 handler type',
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    'spec.containers[0].readinessProbe: Required value: must specify a handler type',
    'spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0',
  ]);
  const init = pod({ initContainers: [{ name: 'i', image: 'i', readinessProbe: { exec: { command: ['x'] } } }] });
  assert.deepEqual(lines(validateCreate(POD, init)), ['spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always']);
  const port = pod({ containers: [{ name: 'c', image: 'i', livenessProbe: { httpGet: { port: '8080' } } }] });
  assert.deepEqual(lines(validateCreate(POD, port)), ['spec.containers[0].livenessProbe.httpGet.port: Invalid value: "8080": must contain at least one letter (a-z)']);
});

test('pod-level enums, node selector, tolerations', () => {
  const p = pod({ restartPolicy: 'Sometimes', dnsPolicy: 'Weird', nodeSelector: { 'bad key!': 'x' },
    tolerations: [{ key: 'k', operator: 'Maybe' }, { operator: 'Equal', value: 'v' }, { key: 'k', operator: 'Exists', value: 'v' }, { key: 'k', effect: 'Boom' }] });
  const errs = lines(validateCreate(POD, p));
  assert.ok(errs.includes('spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'));
  assert.ok(errs.includes('spec.dnsPolicy: Unsupported value: "Weird": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'));
  assert.ok(errs.some((e) => e.startsWith('spec.nodeSelector: Invalid value: "bad key!"')));
  assert.ok(errs.includes('spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"'));
  assert.ok(errs.includes('spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"'));
  assert.ok(errs.includes('spec.tolerations[2].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\''));
  assert.ok(errs.includes('spec.tolerations[3].effect: Unsupported value: "Boom": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'));
});

test('pod update: only image, activeDeadlineSeconds, added tolerations and metadata may change', () => {
  const old = pod({}, { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '5' });
  const ok = structuredClone(old);
  ok.spec.containers[0].image = 'nginx:1.26';
  ok.spec.activeDeadlineSeconds = 30;
  ok.spec.tolerations.push({ key: 'x', operator: 'Exists' });
  ok.metadata.labels = { new: 'label' };
  assert.deepEqual(validateUpdate(POD, ok, old), []);

  const bad = structuredClone(old);
  bad.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
  const errs = validateUpdate(POD, bad, old);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]?.field, 'spec');
  assert.equal(errs[0]?.type, 'FieldValueForbidden');
  assert.ok(errs[0]?.detail.startsWith(`Forbidden: ${POD_UPDATE_FORBIDDEN}`));
  assert.match(errs[0]?.detail ?? '', /spec\.containers\[0\]\.ports/);

  const more = structuredClone(old);
  more.spec.containers.push({ name: 'b', image: 'x' });
  assert.deepEqual(lines(validateUpdate(POD, applyDefaults('Pod', 'v1', more), old)), ['spec.containers: Forbidden: pod updates may not add or remove containers']);

  const removed = structuredClone(old);
  removed.spec.tolerations = [];
  assert.deepEqual(lines(validateUpdate(POD, removed, old)), ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);

  const renamed = structuredClone(old);
  renamed.metadata.name = 'other';
  assert.deepEqual(lines(validateUpdate(POD, renamed, old)), ['metadata.name: Invalid value: "other": field is immutable']);

  const deadline = structuredClone(old);
  deadline.spec.activeDeadlineSeconds = 10;
  const longer = structuredClone(deadline);
  longer.spec.activeDeadlineSeconds = 20;
  assert.deepEqual(lines(validateUpdate(POD, longer, deadline)), ['spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value']);
});

test('ephemeral containers cannot be set on create', () => {
  assert.deepEqual(lines(validateCreate(POD, pod({ ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] }))), ['spec.ephemeralContainers: Forbidden: cannot be set on create']);
});
