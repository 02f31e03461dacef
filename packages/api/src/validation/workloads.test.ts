import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, generateJobSelector } from '../defaults';
import { validateCreate, validateUpdate } from './index';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const withDefaults = (kind: string, apiVersion: string, obj: Any): Any => applyDefaults(kind, apiVersion, obj);
const lines = (errs: { field: string; detail: string }[]): string[] => errs.map((e) => `${e.field}: ${e.detail}`);
const DEPLOY = { group: 'apps', kind: 'Deployment' };
const RS = { group: 'apps', kind: 'ReplicaSet' };
const DS = { group: 'apps', kind: 'DaemonSet' };
const STS = { group: 'apps', kind: 'StatefulSet' };
const JOB = { group: 'batch', kind: 'Job' };
const CJ = { group: 'batch', kind: 'CronJob' };

const template = (labels: Any = { app: 'web' }, spec: Any = {}): Any => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } });

function deployment(spec: Any = {}, name = 'web'): Any {
  return withDefaults('Deployment', 'apps/v1', { metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec } });
}

test('a defaulted deployment is valid', () => {
  assert.deepEqual(validateCreate(DEPLOY, deployment()), []);
});

test('selector does not match template labels: exact Kubernetes wording', () => {
  const d = deployment({ template: template({ app: 'api', tier: 'x' }) });
  assert.deepEqual(lines(validateCreate(DEPLOY, d)), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"api", "tier":"x"}: `selector` does not match template `labels`',
  ]);
});

test('deployment selector required, not empty, replicas >= 0, strategy', () => {
  const noSel = deployment({ selector: undefined });
  delete noSel.spec.selector;
  assert.deepEqual(lines(validateCreate(DEPLOY, noSel)), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
  ]);
  assert.deepEqual(lines(validateCreate(DEPLOY, deployment({ selector: {} }))), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
  ]);
  assert.deepEqual(lines(validateCreate(DEPLOY, deployment({ replicas: -1 }))), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']);
  assert.deepEqual(lines(validateCreate(DEPLOY, deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }))), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0',
  ]);
  assert.deepEqual(lines(validateCreate(DEPLOY, deployment({ strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%', maxSurge: 'x' } } }))), [
    "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"x\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
  ]);
  assert.deepEqual(lines(validateCreate(DEPLOY, deployment({ strategy: { type: 'Recreate', rollingUpdate: {} } }))), [
    "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ]);
  assert.deepEqual(lines(validateCreate(DEPLOY, deployment({ strategy: { type: 'BlueGreen' } }))), [
    'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
  ]);
  assert.deepEqual(lines(validateCreate(DEPLOY, deployment({ template: template({ app: 'web' }, { restartPolicy: 'Never' }) }))), [
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
});

test('template errors carry template paths', () => {
  const d = deployment({ template: { metadata: { labels: { app: 'web', 'bad key!': 'x' } }, spec: { containers: [{ name: 'c' }] } } });
  const errs = lines(validateCreate(DEPLOY, d));
  assert.ok(errs.some((e) => e.startsWith('spec.template.labels: Invalid value: "bad key!"')), errs.join('\n'));
  assert.ok(errs.includes('spec.template.spec.containers[0].image: Required value'));
});

test('deployment selector is immutable on update', () => {
  const old = deployment();
  const changed = deployment({ selector: { matchLabels: { app: 'web', v: '2' } }, template: template({ app: 'web', v: '2' }) });
  assert.deepEqual(lines(validateUpdate(DEPLOY, changed, old)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "v":"2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const scaled = deployment({ replicas: 5 });
  assert.deepEqual(validateUpdate(DEPLOY, scaled, old), []);
});

test('replicaset and daemonset', () => {
  const rs = withDefaults('ReplicaSet', 'apps/v1', { metadata: { name: 'rs' }, spec: { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }, template: template() } });
  assert.deepEqual(validateCreate(RS, rs), []);
  const badExpr = structuredClone(rs);
  badExpr.spec.selector.matchExpressions[0].operator = 'Maybe';
  assert.deepEqual(lines(validateCreate(RS, badExpr)), [
    'spec.selector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator',
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"Maybe", Values:[]string{"web"}}}}: invalid label selector',
  ]);
  const ds = withDefaults('DaemonSet', 'apps/v1', { metadata: { name: 'ds' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template() } });
  assert.deepEqual(validateCreate(DS, ds), []);
  const surge = structuredClone(ds);
  surge.spec.updateStrategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 1 };
  assert.deepEqual(lines(validateCreate(DS, surge)), ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero']);
  const mismatch = structuredClone(ds);
  mismatch.spec.template.metadata.labels = { app: 'other' };
  assert.deepEqual(lines(validateCreate(DS, mismatch)), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: `selector` does not match template `labels`']);
});

test('statefulset: name is a DNS label, claim templates count as volumes, limited updates', () => {
  const sts = withDefaults('StatefulSet', 'apps/v1', {
    metadata: { name: 'db' },
    spec: { serviceName: 'db', selector: { matchLabels: { app: 'web' } },
      template: template({ app: 'web' }, { containers: [{ name: 'c', image: 'pg', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] }),
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] },
  });
  assert.deepEqual(validateCreate(STS, sts), []);
  const dotted = structuredClone(sts);
  dotted.metadata.name = 'db.v1';
  assert.deepEqual(lines(validateCreate(STS, dotted)), ['metadata.name: Invalid value: "db.v1": must not contain dots']);
  const changed = structuredClone(sts);
  changed.spec.serviceName = 'other';
  assert.deepEqual(lines(validateUpdate(STS, changed, sts)), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
  const scaled = structuredClone(sts);
  scaled.spec.replicas = 3;
  assert.deepEqual(validateUpdate(STS, scaled, sts), []);
});

function job(spec: Any = {}, uid = 'u-1'): Any {
  const j = withDefaults('Job', 'batch/v1', { metadata: { name: 'pi', namespace: 'default', uid }, spec: { template: template({}, { restartPolicy: 'Never' }), ...spec } });
  generateJobSelector(j);
  return j;
}

test('jobs: generated selector, restart policy, counts, completion mode', () => {
  assert.deepEqual(validateCreate(JOB, job()), []);
  const always = job({ template: template({}, {}) });
  assert.deepEqual(lines(validateCreate(JOB, always)), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  assert.deepEqual(lines(validateCreate(JOB, job({ completions: -1, parallelism: -2 }))), [
    'spec.parallelism: Invalid value: -2: must be greater than or equal to 0',
    'spec.completions: Invalid value: -1: must be greater than or equal to 0',
  ]);
  assert.deepEqual(lines(validateCreate(JOB, job({ completionMode: 'Sometimes' }))), [
    'spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
  ]);
  const manual = withDefaults('Job', 'batch/v1', { metadata: { name: 'm' }, spec: { manualSelector: true, template: template({ a: 'b' }, { restartPolicy: 'OnFailure' }) } });
  assert.deepEqual(lines(validateCreate(JOB, manual)), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: map[string]string{"a":"b"}: `selector` does not match template `labels`',
  ]);
  const old = job();
  const changed = structuredClone(old);
  changed.spec.template.spec.containers[0].image = 'other';
  assert.match(lines(validateUpdate(JOB, changed, old)).join('\n'), /^spec\.template: Invalid value: .*: field is immutable$/);
  const suspended = structuredClone(old);
  suspended.spec.suspend = true;
  assert.deepEqual(validateUpdate(JOB, suspended, old), []);
});

test('cronjobs: schedule, time zone, job template', () => {
  const cj = (spec: Any): Any => withDefaults('CronJob', 'batch/v1', { metadata: { name: 'nightly' }, spec: { jobTemplate: { spec: { template: template({}, { restartPolicy: 'OnFailure' }) } }, ...spec } });
  assert.deepEqual(validateCreate(CJ, cj({ schedule: '*/5 * * * *' })), []);
  assert.deepEqual(validateCreate(CJ, cj({ schedule: '@hourly', timeZone: 'Europe/Paris' })), []);
  assert.deepEqual(lines(validateCreate(CJ, cj({}))), ['spec.schedule: Required value']);
  assert.deepEqual(lines(validateCreate(CJ, cj({ schedule: '61 * * * *' }))), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']);
  assert.deepEqual(lines(validateCreate(CJ, cj({ schedule: 'every day' }))), ['spec.schedule: Invalid value: "every day": expected exactly 5 fields, found 2: [every day]']);
  assert.deepEqual(lines(validateCreate(CJ, cj({ schedule: 'TZ=UTC 0 * * * *' }))), ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  assert.deepEqual(lines(validateCreate(CJ, cj({ schedule: '@hourly', timeZone: 'Mars/Olympus' }))), ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']);
  assert.deepEqual(lines(validateCreate(CJ, cj({ schedule: '@hourly', concurrencyPolicy: 'Sometimes' }))), ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']);
  const withSelector = cj({ schedule: '@daily' });
  withSelector.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } };
  assert.deepEqual(lines(validateCreate(CJ, withSelector)), [
    'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
  ]);
  const long = cj({ schedule: '@daily' });
  long.metadata.name = 'x'.repeat(53);
  assert.deepEqual(lines(validateCreate(CJ, long)), [`metadata.name: Invalid value: "${'x'.repeat(53)}": must be no more than 52 characters`]);
  const old = cj({ schedule: 'TZ=UTC 0 * * * *' });
  assert.deepEqual(validateUpdate(CJ, old, old), []);
});
