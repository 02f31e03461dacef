/** batch/v1 defaults: Job and CronJob, and the selector the Job registry generates. */
import { isPlainObject } from '../object';
import { child, defaultString, defaultValue, ensureChild, items, type JsonObject } from './fields';
import { defaultPodTemplate } from './pod-defaults';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
const MAX_INT32 = 2147483647;

export function defaultJob(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  const unset = (k: string): boolean => spec[k] === undefined || spec[k] === null;
  if (unset('completions') && unset('parallelism')) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  defaultValue(spec, 'parallelism', 1);
  defaultValue(spec, 'backoffLimit', unset('backoffLimitPerIndex') ? 6 : MAX_INT32);
  const template = child(spec, 'template');
  const templateLabels = template && child(template, 'metadata') && child(child(template, 'metadata') as JsonObject, 'labels');
  const meta = ensureChild(o, 'metadata');
  if (templateLabels && meta) {
    const labels = meta.labels;
    if (labels === undefined || labels === null || (isPlainObject(labels) && Object.keys(labels).length === 0)) meta.labels = { ...templateLabels };
  }
  defaultValue(spec, 'completionMode', 'NonIndexed');
  defaultValue(spec, 'suspend', false);
  const failurePolicy = child(spec, 'podFailurePolicy');
  if (failurePolicy) {
    for (const rule of items(failurePolicy, 'rules')) {
      for (const pattern of items(rule, 'onPodConditions')) defaultString(pattern, 'status', 'True');
    }
  }
  defaultValue(spec, 'podReplacementPolicy', failurePolicy ? 'Failed' : 'TerminatingOrFailed');
  defaultPodTemplate(template);
  // Kubernetes' Job registry generates the selector once the uid is known; doing it here
  // means any caller that defaults after assigning the uid gets it (a no-op without a uid).
  if (meta && typeof meta.uid === 'string' && meta.uid !== '') generateJobSelector(o);
}

export function defaultCronJob(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  defaultString(spec, 'concurrencyPolicy', 'Allow');
  defaultValue(spec, 'suspend', false);
  defaultValue(spec, 'successfulJobsHistoryLimit', 3);
  defaultValue(spec, 'failedJobsHistoryLimit', 1);
  const jobTemplate = child(spec, 'jobTemplate');
  const jobSpec = jobTemplate && child(jobTemplate, 'spec');
  if (jobSpec) defaultPodTemplate(child(jobSpec, 'template'));
}

/**
 * What the Job registry does before validating a new Job whose `spec.manualSelector` is not
 * true: label the pod template with the job's name and uid, and select on the uid. Needs
 * `metadata.uid` (and name) to be set; call it after they are assigned, before validation.
 * Like Kubernetes (which re-applies defaults when it reads the Job back), a Job without
 * labels of its own then carries the template's.
 */
export function generateJobSelector(job: JsonObject): void {
  const spec = child(job, 'spec');
  const meta = child(job, 'metadata');
  if (!spec || !meta || spec.manualSelector === true) return;
  const name = typeof meta.name === 'string' ? meta.name : '';
  const uid = typeof meta.uid === 'string' ? meta.uid : '';
  const template = ensureChild(spec, 'template');
  const tmeta = template && ensureChild(template, 'metadata');
  const labels = tmeta && ensureChild(tmeta, 'labels');
  if (!labels) return;
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (labels[k] === undefined) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (labels[k] === undefined) labels[k] = uid;
  const selector = ensureChild(spec, 'selector');
  const matchLabels = selector && ensureChild(selector, 'matchLabels');
  if (matchLabels && matchLabels[CONTROLLER_UID_LABEL] === undefined) matchLabels[CONTROLLER_UID_LABEL] = uid;
  const own = meta.labels;
  if (own === undefined || own === null || (isPlainObject(own) && Object.keys(own).length === 0)) meta.labels = { ...labels };
}
