/** apps/v1 validation: Deployment, ReplicaSet, DaemonSet, StatefulSet, ControllerRevision. */
import { deepEqual, type JsonObject } from '../object';
import { LabelMatcher } from '../selectors/label-selector';
import {
  childPath, forbidden, IMMUTABLE, invalid, invalidRaw, NEGATIVE, nonNegative, notSupported, required, type FieldError,
} from './field-errors';
import { goIntOrString, goLabelSelector, goQuote, goStringMap } from './go-format';
import { isValidPercent, nameIsDNSLabel, nameIsDNSSubdomain } from './name-rules';
import { selectorError, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate, type LabelSelectorCheck } from './object-meta';
import { templateFacts, validatePodTemplateSpec } from './pod-spec';
import { peek, type Reader } from './typed-read';

export const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

/** The `spec.template.metadata.labels: Invalid value: map[...]: `selector` does not match template `labels`` error. */
export function selectorMismatch(path: string, labels: unknown): FieldError {
  return invalidRaw(path, goStringMap(labels), SELECTOR_MISMATCH);
}

// ---- int-or-percent fields --------------------------------------------------------

export function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (/^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
    return /^[+-]?[0-9]+$/.test(v) ? Number(v) : 0;
  }
  return 0;
}

/** ValidatePositiveIntOrPercent. */
export function positiveIntOrPercent(r: Reader, value: unknown, path: string): void {
  const v = r.intOrStr(value, path);
  if (typeof v === 'string') for (const m of isValidPercent(v)) r.add(invalidRaw(path, goIntOrString(v), m));
  else if (typeof v === 'number' && v < 0) r.add(invalid(path, v, NEGATIVE));
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(r: Reader, value: unknown, path: string): void {
  if (typeof value === 'string' && /^[0-9]+%$/.test(value) && Number(value.slice(0, -1)) > 100) {
    r.add(invalidRaw(path, goIntOrString(value), 'must not be greater than 100%'));
  }
}

// ---- shared: selector + template --------------------------------------------------

function workloadSelector(r: Reader, spec: JsonObject, what: string): LabelSelectorCheck {
  const check = validateLabelSelector(r, spec.selector, 'spec.selector');
  if (check.absent) r.add(required('spec.selector'));
  else if (check.empty && peek.obj(spec.selector)) r.add(selectorError('spec.selector', spec.selector, `empty selector is invalid for ${what}`));
  return check;
}

/** The selector as Kubernetes uses it for the template check: absent selects nothing. */
function effectiveMatcher(check: LabelSelectorCheck): LabelMatcher | undefined {
  if (check.absent) return LabelMatcher.nothing();
  return check.matcher;
}

function templateMatches(r: Reader, matcher: LabelMatcher, template: unknown): void {
  const facts = templateFacts(template);
  if (!matcher.isEmpty() && !matcher.matches(facts.labels)) r.add(selectorMismatch('spec.template.metadata.labels', facts.labelsRaw));
}

/** ValidatePodTemplateSpecForReplicaSet (also used by Deployment). */
function templateForReplicaSet(r: Reader, matcher: LabelMatcher, template: unknown, what: string): void {
  templateMatches(r, matcher, template);
  validatePodTemplateSpec(r, template, 'spec.template');
  const facts = templateFacts(template);
  if (facts.restartPolicy !== 'Always') r.add(notSupported('spec.template.spec.restartPolicy', facts.restartPolicy, ['Always']));
  if (facts.activeDeadlineSeconds !== undefined) {
    r.add(invalid('spec.template.spec.activeDeadlineSeconds', facts.activeDeadlineSeconds, `activeDeadlineSeconds in ${what} is not Supported`));
  }
}

function selectorImmutable(r: Reader, obj: JsonObject, old: JsonObject): void {
  const sel = peek.obj(obj.spec)?.selector;
  const oldSel = peek.obj(old.spec)?.selector;
  if (!deepEqual(sel, oldSel)) r.add(invalidRaw('spec.selector', goLabelSelector(sel), IMMUTABLE));
}

// ---- Deployment -------------------------------------------------------------------

function renderDeploymentStrategy(strategy: JsonObject): string {
  const ru = strategy.rollingUpdate === undefined || strategy.rollingUpdate === null ? '(*apps.RollingUpdateDeployment)(nil)' : '&apps.RollingUpdateDeployment{...}';
  return `apps.DeploymentStrategy{Type:${goQuote(peek.str(strategy.type) ?? '')}, RollingUpdate:${ru}}`;
}

function validateDeploymentStrategy(r: Reader, value: unknown): void {
  const path = 'spec.strategy';
  const strategy = r.obj(value, path) ?? {};
  const type = r.str(strategy.type, childPath(path, 'type')) || 'RollingUpdate';
  const rollingUpdate = r.obj(strategy.rollingUpdate, childPath(path, 'rollingUpdate'));
  if (type === 'Recreate') {
    if (rollingUpdate) r.add(forbidden(childPath(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'"));
  } else if (type === 'RollingUpdate') {
    if (!rollingUpdate) return; // defaulted to 25%/25%
    const ru = childPath(path, 'rollingUpdate');
    positiveIntOrPercent(r, rollingUpdate.maxUnavailable, childPath(ru, 'maxUnavailable'));
    positiveIntOrPercent(r, rollingUpdate.maxSurge, childPath(ru, 'maxSurge'));
    const unavailable = rollingUpdate.maxUnavailable ?? '25%';
    const surge = rollingUpdate.maxSurge ?? '25%';
    if (intOrPercentValue(unavailable) === 0 && intOrPercentValue(surge) === 0) {
      r.add(invalidRaw(childPath(ru, 'maxUnavailable'), goIntOrString(unavailable), 'may not be 0 when `maxSurge` is 0'));
    }
    notMoreThan100Percent(r, rollingUpdate.maxUnavailable, childPath(ru, 'maxUnavailable'));
  } else {
    r.add({ ...notSupported(path, '', ['Recreate', 'RollingUpdate']), detail: `Unsupported value: ${renderDeploymentStrategy(strategy)}: supported values: "Recreate", "RollingUpdate"` });
  }
}

export function validateDeployment(r: Reader, obj: JsonObject): void {
  validateObjectMeta(r, obj.metadata, 'metadata', nameIsDNSSubdomain);
  validateDeploymentSpec(r, obj);
}

function validateDeploymentSpec(r: Reader, obj: JsonObject): void {
  const spec = r.obj(obj.spec, 'spec') ?? {};
  r.add(...nonNegative('spec.replicas', r.int(spec.replicas, 'spec.replicas')));
  const check = workloadSelector(r, spec, 'deployment');
  const matcher = effectiveMatcher(check);
  if (!matcher) r.add(selectorError('spec.selector', spec.selector, 'invalid label selector'));
  else templateForReplicaSet(r, matcher, spec.template, 'ReplicaSet');
  validateDeploymentStrategy(r, spec.strategy);
  const minReady = r.int(spec.minReadySeconds, 'spec.minReadySeconds') ?? 0;
  r.add(...nonNegative('spec.minReadySeconds', minReady));
  r.add(...nonNegative('spec.revisionHistoryLimit', r.int(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit')));
  r.bool(spec.paused, 'spec.paused');
  const deadline = r.int(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds');
  if (deadline !== undefined) {
    r.add(...nonNegative('spec.progressDeadlineSeconds', deadline));
    if (deadline <= minReady) r.add(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
}

export function validateDeploymentUpdate(r: Reader, obj: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, obj.metadata, old.metadata, 'metadata');
  validateDeploymentSpec(r, obj);
  selectorImmutable(r, obj, old);
}

// ---- ReplicaSet -------------------------------------------------------------------

function validateReplicaSetSpec(r: Reader, obj: JsonObject): void {
  const spec = r.obj(obj.spec, 'spec') ?? {};
  r.add(...nonNegative('spec.replicas', r.int(spec.replicas, 'spec.replicas')));
  r.add(...nonNegative('spec.minReadySeconds', r.int(spec.minReadySeconds, 'spec.minReadySeconds')));
  const check = workloadSelector(r, spec, 'deployment');
  const matcher = effectiveMatcher(check);
  if (!matcher) r.add(selectorError('spec.selector', spec.selector, 'invalid label selector'));
  else templateForReplicaSet(r, matcher, spec.template, 'ReplicaSet');
}

export function validateReplicaSet(r: Reader, obj: JsonObject): void {
  validateObjectMeta(r, obj.metadata, 'metadata', nameIsDNSSubdomain);
  validateReplicaSetSpec(r, obj);
}

export function validateReplicaSetUpdate(r: Reader, obj: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, obj.metadata, old.metadata, 'metadata');
  validateReplicaSetSpec(r, obj);
  selectorImmutable(r, obj, old);
}

// ---- DaemonSet --------------------------------------------------------------------

function validateDaemonSetSpec(r: Reader, obj: JsonObject): void {
  const spec = r.obj(obj.spec, 'spec') ?? {};
  const check = validateLabelSelector(r, spec.selector, 'spec.selector');
  if (check.absent) r.add(required('spec.selector'));
  const matcher = effectiveMatcher(check);
  if (matcher && !matcher.matches(templateFacts(spec.template).labels)) {
    r.add(selectorMismatch('spec.template.metadata.labels', templateFacts(spec.template).labelsRaw));
  }
  if (!check.absent && check.empty && peek.obj(spec.selector)) r.add(selectorError('spec.selector', spec.selector, 'empty selector is invalid for daemonset'));
  validatePodTemplateSpec(r, spec.template, 'spec.template');
  const facts = templateFacts(spec.template);
  if (facts.restartPolicy !== 'Always') r.add(notSupported('spec.template.spec.restartPolicy', facts.restartPolicy, ['Always']));
  if (facts.activeDeadlineSeconds !== undefined) r.add(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in DaemonSet is not Supported'));
  r.add(...nonNegative('spec.minReadySeconds', r.int(spec.minReadySeconds, 'spec.minReadySeconds')));
  r.add(...nonNegative('spec.templateGeneration', r.int(spec.templateGeneration, 'spec.templateGeneration')));

  const path = 'spec.updateStrategy';
  const strategy = r.obj(spec.updateStrategy, path) ?? {};
  const type = r.str(strategy.type, childPath(path, 'type')) || 'RollingUpdate';
  if (type === 'RollingUpdate') {
    const ru = r.obj(strategy.rollingUpdate, childPath(path, 'rollingUpdate'));
    if (ru) {
      const p = childPath(path, 'rollingUpdate');
      positiveIntOrPercent(r, ru.maxUnavailable, childPath(p, 'maxUnavailable'));
      positiveIntOrPercent(r, ru.maxSurge, childPath(p, 'maxSurge'));
      notMoreThan100Percent(r, ru.maxUnavailable, childPath(p, 'maxUnavailable'));
      notMoreThan100Percent(r, ru.maxSurge, childPath(p, 'maxSurge'));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable ?? 1) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge ?? 0) !== 0;
      if (hasUnavailable && hasSurge) r.add(invalidRaw(childPath(p, 'maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) r.add(required(childPath(p, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
    }
  } else if (type !== 'OnDelete') {
    const ru = strategy.rollingUpdate === undefined || strategy.rollingUpdate === null ? '(*apps.RollingUpdateDaemonSet)(nil)' : '&apps.RollingUpdateDaemonSet{...}';
    r.add({ ...notSupported(path, '', []), detail: `Unsupported value: apps.DaemonSetUpdateStrategy{Type:${goQuote(type)}, RollingUpdate:${ru}}: supported values: "RollingUpdate", "OnDelete"` });
  }
  r.add(...nonNegative('spec.revisionHistoryLimit', r.int(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit')));
}

export function validateDaemonSet(r: Reader, obj: JsonObject): void {
  validateObjectMeta(r, obj.metadata, 'metadata', nameIsDNSSubdomain);
  validateDaemonSetSpec(r, obj);
}

export function validateDaemonSetUpdate(r: Reader, obj: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, obj.metadata, old.metadata, 'metadata');
  validateDaemonSetSpec(r, obj);
  selectorImmutable(r, obj, old);
}

// ---- StatefulSet ------------------------------------------------------------------

function validateStatefulSetSpec(r: Reader, obj: JsonObject): void {
  const spec = r.obj(obj.spec, 'spec') ?? {};
  const policy = r.str(spec.podManagementPolicy, 'spec.podManagementPolicy');
  if (policy !== undefined && policy !== '' && policy !== 'OrderedReady' && policy !== 'Parallel') {
    r.add(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const sp = 'spec.updateStrategy';
  const strategy = r.obj(spec.updateStrategy, sp) ?? {};
  const type = r.str(strategy.type, childPath(sp, 'type')) || 'RollingUpdate';
  const ru = r.obj(strategy.rollingUpdate, childPath(sp, 'rollingUpdate'));
  if (type === 'OnDelete') {
    if (ru) r.add(invalidRaw(childPath(sp, 'rollingUpdate'), `apps.RollingUpdateStatefulSetStrategy{Partition:${peek.int(ru.partition) ?? 0}, MaxUnavailable:(*intstr.IntOrString)(nil)}`, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (type === 'RollingUpdate') {
    if (ru) {
      const p = childPath(sp, 'rollingUpdate');
      r.add(...nonNegative(childPath(p, 'partition'), r.int(ru.partition, childPath(p, 'partition'))));
      if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
        positiveIntOrPercent(r, ru.maxUnavailable, childPath(p, 'maxUnavailable'));
        if (intOrPercentValue(ru.maxUnavailable) === 0) r.add(invalidRaw(childPath(p, 'maxUnavailable'), goIntOrString(ru.maxUnavailable), 'cannot be 0'));
        notMoreThan100Percent(r, ru.maxUnavailable, childPath(p, 'maxUnavailable'));
      }
    }
  } else {
    r.add(invalidRaw(sp, `apps.StatefulSetUpdateStrategy{Type:${goQuote(type)}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}`, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = r.obj(spec.persistentVolumeClaimRetentionPolicy, 'spec.persistentVolumeClaimRetentionPolicy');
  if (retention) {
    for (const k of ['whenDeleted', 'whenScaled']) {
      const p = childPath('spec.persistentVolumeClaimRetentionPolicy', k);
      const v = r.str(retention[k], p);
      if (v !== undefined && v !== 'Retain' && v !== 'Delete') r.add(notSupported(p, v, ['Retain', 'Delete']));
    }
  }
  r.add(...nonNegative('spec.replicas', r.int(spec.replicas, 'spec.replicas')));
  r.add(...nonNegative('spec.minReadySeconds', r.int(spec.minReadySeconds, 'spec.minReadySeconds')));
  const ordinals = r.obj(spec.ordinals, 'spec.ordinals');
  if (ordinals) r.add(...nonNegative('spec.ordinals.start', r.int(ordinals.start, 'spec.ordinals.start')));
  r.str(spec.serviceName, 'spec.serviceName');
  r.add(...nonNegative('spec.revisionHistoryLimit', r.int(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit')));

  const check = workloadSelector(r, spec, 'statefulset');
  const matcher = effectiveMatcher(check);
  const claimNames = r.objList(spec.volumeClaimTemplates, 'spec.volumeClaimTemplates')
    .map(({ item }) => peek.str(peek.obj(item.metadata)?.name))
    .filter((n): n is string => !!n);
  if (!matcher) r.add(invalidRaw('spec.selector', goLabelSelector(spec.selector), ''));
  else {
    templateMatches(r, matcher, spec.template);
    // Kubernetes checks only the template's metadata here; Skiff also checks its pod spec,
    // counting the claim templates as volumes, so that a bad template fails now rather than
    // at every pod creation.
    validatePodTemplateSpec(r, spec.template, 'spec.template', { extraVolumeNames: claimNames });
  }
  const facts = templateFacts(spec.template);
  if (facts.restartPolicy !== 'Always') r.add(notSupported('spec.template.spec.restartPolicy', facts.restartPolicy, ['Always']));
  if (facts.activeDeadlineSeconds !== undefined) r.add(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
}

export function validateStatefulSet(r: Reader, obj: JsonObject): void {
  validateObjectMeta(r, obj.metadata, 'metadata', nameIsDNSLabel);
  validateStatefulSetSpec(r, obj);
}

const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'minReadySeconds', 'persistentVolumeClaimRetentionPolicy'];

export function validateStatefulSetUpdate(r: Reader, obj: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, obj.metadata, old.metadata, 'metadata');
  validateStatefulSetSpec(r, obj);
  const strip = (s: unknown): JsonObject => {
    const o: JsonObject = { ...(peek.obj(s) ?? {}) };
    for (const k of STATEFULSET_MUTABLE) delete o[k];
    return o;
  };
  if (!deepEqual(strip(obj.spec), strip(old.spec))) {
    r.add(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
}

// ---- ControllerRevision -------------------------------------------------------------

export function validateControllerRevision(r: Reader, obj: JsonObject): void {
  validateObjectMeta(r, obj.metadata, 'metadata', nameIsDNSSubdomain);
  if (obj.data === undefined || obj.data === null) r.add(required('data', 'data is mandatory'));
  r.add(...nonNegative('revision', r.int(obj.revision, 'revision')));
}

export function validateControllerRevisionUpdate(r: Reader, obj: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, obj.metadata, old.metadata, 'metadata');
  validateControllerRevision(r, obj);
  if (!deepEqual(obj.data, old.data)) r.add(invalid('data', obj.data, IMMUTABLE));
}
