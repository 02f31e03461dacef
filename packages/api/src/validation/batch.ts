/** batch/v1 validation: Job and CronJob. */
import { deepEqual, type JsonObject } from '../object';
import { LabelMatcher, labelSelectorAsMatcher } from '../selectors/label-selector';
import { selectorMismatch } from './apps';
import { CronScheduleError, isKnownTimeZone, parseCronSchedule } from './cron-schedule';
import { childPath, IMMUTABLE, invalid, invalidRaw, nonNegative, notSupported, required } from './field-errors';
import { goLabelSelector } from './go-format';
import { isDNS1123Label, nameIsDNSSubdomain } from './name-rules';
import { selectorError, validateAnnotations, validateLabels, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { templateFacts, validatePodTemplateSpec } from './pod-spec';
import { peek, type Reader } from './typed-read';

const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
const MAX_PARALLELISM_FOR_INDEXED_JOB = 100000;

/** validateJobSpec: everything but the selector. `path` is the JobSpec's path. */
function validateJobSpecFields(r: Reader, specValue: unknown, path: string): JsonObject {
  const spec = r.obj(specValue, path) ?? {};
  const p = (k: string): string => childPath(path, k);
  const parallelism = r.int(spec.parallelism, p('parallelism'));
  const completions = r.int(spec.completions, p('completions'));
  r.add(...nonNegative(p('parallelism'), parallelism));
  r.add(...nonNegative(p('completions'), completions));
  r.add(...nonNegative(p('activeDeadlineSeconds'), r.int(spec.activeDeadlineSeconds, p('activeDeadlineSeconds'))));
  r.add(...nonNegative(p('backoffLimit'), r.int(spec.backoffLimit, p('backoffLimit'))));
  r.add(...nonNegative(p('ttlSecondsAfterFinished'), r.int(spec.ttlSecondsAfterFinished, p('ttlSecondsAfterFinished'))));
  r.bool(spec.suspend, p('suspend'));
  r.bool(spec.manualSelector, p('manualSelector'));
  const mode = r.str(spec.completionMode, p('completionMode'));
  const perIndex = r.int(spec.backoffLimitPerIndex, p('backoffLimitPerIndex'));
  if (perIndex !== undefined) {
    r.add(...nonNegative(p('backoffLimitPerIndex'), perIndex));
    if (mode !== 'Indexed') r.add(invalid(p('backoffLimitPerIndex'), perIndex, 'requires indexed completion mode'));
  }
  if (mode !== undefined) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') r.add(notSupported(p('completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (completions === undefined) r.add(required(p('completions'), 'when completion mode is Indexed'));
      if (parallelism !== undefined && parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
        r.add(invalid(p('parallelism'), parallelism, `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`));
      }
    }
  }
  const failurePolicy = r.obj(spec.podFailurePolicy, p('podFailurePolicy'));
  if (failurePolicy) {
    for (const { item, path: rp } of r.objList(failurePolicy.rules, childPath(p('podFailurePolicy'), 'rules'))) {
      const action = r.str(item.action, childPath(rp, 'action')) ?? '';
      const actions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
      if (!actions.includes(action)) r.add(notSupported(childPath(rp, 'action'), action, actions));
    }
  }
  const replacement = r.str(spec.podReplacementPolicy, p('podReplacementPolicy'));
  if (replacement !== undefined) {
    if (failurePolicy && replacement !== 'Failed') r.add(notSupported(p('podReplacementPolicy'), replacement, ['Failed']));
    else if (replacement !== 'TerminatingOrFailed' && replacement !== 'Failed') r.add(notSupported(p('podReplacementPolicy'), replacement, ['TerminatingOrFailed', 'Failed']));
  }
  validatePodTemplateSpec(r, spec.template, p('template'));
  const restartPolicy = peek.str(peek.obj(peek.obj(spec.template)?.spec)?.restartPolicy) ?? '';
  const rpPath = childPath(path, 'template', 'spec', 'restartPolicy');
  if (restartPolicy === 'Always' || restartPolicy === '') r.add(required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') r.add(notSupported(rpPath, restartPolicy, ['OnFailure', 'Never']));
  else if (failurePolicy && restartPolicy !== 'Never') r.add(invalid(rpPath, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  return spec;
}

function validateJobSpec(r: Reader, job: JsonObject): void {
  const spec = validateJobSpecFields(r, job.spec, 'spec');
  const check = validateLabelSelector(r, spec.selector, 'spec.selector');
  if (check.absent) r.add(required('spec.selector'));
  const matcher = check.absent ? LabelMatcher.nothing() : check.matcher;
  if (matcher && !matcher.matches(templateFacts(spec.template).labels)) {
    r.add(selectorMismatch('spec.template.metadata.labels', templateFacts(spec.template).labelsRaw));
  }
}

export function validateJob(r: Reader, job: JsonObject): void {
  validateObjectMeta(r, job.metadata, 'metadata', nameIsDNSSubdomain);
  const meta = peek.obj(job.metadata) ?? {};
  const spec = peek.obj(job.spec) ?? {};
  const uid = peek.str(meta.uid) ?? '';
  if (spec.manualSelector !== true && uid && peek.obj(spec.selector)) {
    const m = validateLabelSelectorQuiet(spec.selector);
    if (m && !m.matches({ [CONTROLLER_UID_LABEL]: uid })) r.add(selectorError('spec.selector', spec.selector, '`selector` not auto-generated'));
  }
  validateJobSpec(r, job);
  const completions = peek.int(spec.completions);
  const name = peek.str(meta.name) ?? '';
  if (spec.completionMode === 'Indexed' && completions !== undefined && completions > 0 && name) {
    const host = `${name}-${completions - 1}`;
    if (isDNS1123Label(host).length > 0) r.add(invalid('metadata.name', name, `will not able to create pod with invalid DNS label: ${host}`));
  }
}

function validateLabelSelectorQuiet(sel: unknown): LabelMatcher | undefined {
  try {
    return labelSelectorAsMatcher(sel);
  } catch {
    return undefined;
  }
}

const SCHEDULING_FIELDS = ['nodeSelector', 'affinity', 'tolerations', 'schedulingGates'];

export function validateJobUpdate(r: Reader, job: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, job.metadata, old.metadata, 'metadata');
  validateJob(r, job);
  const spec = peek.obj(job.spec) ?? {};
  const oldSpec = peek.obj(old.spec) ?? {};
  const indexed = spec.completionMode === 'Indexed';
  if (!deepEqual(spec.completions, oldSpec.completions)) {
    if (!indexed) r.add(invalid('spec.completions', spec.completions ?? null, IMMUTABLE));
    else if (spec.completions !== undefined && spec.completions !== spec.parallelism) {
      r.add(invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  }
  if (!deepEqual(spec.selector, oldSpec.selector)) r.add(invalidRaw('spec.selector', goLabelSelector(spec.selector), IMMUTABLE));
  const neverStarted = oldSpec.suspend === true && !peek.obj(old.status)?.startTime;
  const strip = (t: unknown): unknown => {
    if (!neverStarted) return t;
    const tpl = structuredClone(peek.obj(t) ?? {});
    const s = peek.obj(tpl.spec);
    if (s) for (const k of SCHEDULING_FIELDS) delete s[k];
    const m = peek.obj(tpl.metadata);
    if (m) { delete m.labels; delete m.annotations; }
    return tpl;
  };
  if (!deepEqual(strip(spec.template), strip(oldSpec.template))) r.add(invalid('spec.template', spec.template, IMMUTABLE));
  for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex']) {
    if (!deepEqual(spec[k], oldSpec[k])) r.add(invalid(`spec.${k}`, spec[k] ?? null, IMMUTABLE));
  }
}

// ---- CronJob ----------------------------------------------------------------------

const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(r: Reader, tz: string, path: string): void {
  if (tz.length === 0) { r.add(invalid(path, tz, 'timeZone must be nil or non-empty string')); return; }
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_PART.test(part)) {
      r.add(invalid(path, tz, `unknown time zone ${tz}`));
      return;
    }
  }
  if (tz.toLowerCase() === 'local') r.add(invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  else if (!isKnownTimeZone(tz)) r.add(invalid(path, tz, `unknown time zone ${tz}`));
}

function validateCronJobSpec(r: Reader, cj: JsonObject, oldSpec: JsonObject | undefined): void {
  const spec = r.obj(cj.spec, 'spec') ?? {};
  const schedule = r.str(spec.schedule, 'spec.schedule') ?? '';
  const timeZone = r.str(spec.timeZone, 'spec.timeZone');
  if (!schedule) {
    r.add(required('spec.schedule'));
  } else {
    try {
      parseCronSchedule(schedule);
    } catch (e) {
      r.add(invalid('spec.schedule', schedule, e instanceof CronScheduleError ? e.message : String(e)));
    }
    const allowTZ = (peek.str(oldSpec?.schedule) ?? '').includes('TZ');
    if (allowTZ && schedule.includes('TZ') && timeZone !== undefined) r.add(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    else if (!allowTZ && schedule.includes('TZ')) r.add(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  r.add(...nonNegative('spec.startingDeadlineSeconds', r.int(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds')));
  if (timeZone !== undefined && (!oldSpec || oldSpec.timeZone !== timeZone)) validateTimeZone(r, timeZone, 'spec.timeZone');
  const policy = r.str(spec.concurrencyPolicy, 'spec.concurrencyPolicy');
  if (policy === '') r.add(required('spec.concurrencyPolicy'));
  else if (policy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(policy)) r.add(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  r.bool(spec.suspend, 'spec.suspend');

  const jt = r.obj(spec.jobTemplate, 'spec.jobTemplate') ?? {};
  const jtMeta = r.obj(jt.metadata, 'spec.jobTemplate.metadata');
  if (jtMeta) {
    validateLabels(r, jtMeta.labels, 'spec.jobTemplate.metadata.labels');
    validateAnnotations(r, jtMeta.annotations, 'spec.jobTemplate.metadata.annotations');
  }
  const jobSpec = validateJobSpecFields(r, jt.spec, 'spec.jobTemplate.spec');
  if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
    r.add(selectorError('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'));
  }
  if (jobSpec.manualSelector === true) {
    r.add({ ...notSupported('spec.jobTemplate.spec.manualSelector', '', ['nil', 'false']), detail: 'Unsupported value: true: supported values: "nil", "false"' });
  }
  r.add(...nonNegative('spec.successfulJobsHistoryLimit', r.int(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit')));
  r.add(...nonNegative('spec.failedJobsHistoryLimit', r.int(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit')));
}

export function validateCronJob(r: Reader, cj: JsonObject): void {
  validateObjectMeta(r, cj.metadata, 'metadata', nameIsDNSSubdomain);
  validateCronJobSpec(r, cj, undefined);
  const name = peek.str(peek.obj(cj.metadata)?.name) ?? '';
  if (name.length > 52) r.add(invalid('metadata.name', name, 'must be no more than 52 characters'));
}

export function validateCronJobUpdate(r: Reader, cj: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, cj.metadata, old.metadata, 'metadata');
  validateCronJobSpec(r, cj, peek.obj(old.spec) ?? {});
}

