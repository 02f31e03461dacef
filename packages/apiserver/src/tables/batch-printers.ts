import type { CronJob, Job, JobCondition } from 'kubernetes-types/batch/v1';
import type { KObject } from '@skiff/api';
import type { Printer } from './types';
import { AGE_COLUMN, CONTAINERS_DOC, IMAGES_DOC, NAME_COLUMN, ageOf, column, containerCells, nameOf, wide } from './columns';
import { FIELD_DOCS as D } from './field-docs';
import { humanDuration, parseTime, translateTimestampSince } from './duration';
import { formatLabelSelector } from './label-format';

const as = <T>(obj: KObject): T => obj as unknown as T;

/** The first condition of the type decides. */
function hasCondition(conditions: JobCondition[] | undefined, type: string): boolean {
  const c = (conditions ?? []).find((x) => x.type === type);
  return c?.status === 'True';
}

export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasCondition(conditions, 'Complete')) return 'Complete';
  if (hasCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const completions = job.spec?.completions;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

export function jobDuration(job: Job, now: Date): string {
  const start = parseTime(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job.status?.completionTime);
  return humanDuration((end ?? now.getTime()) - start);
}

export const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', D.jobSucceeded),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    wide('Containers', 'string', CONTAINERS_DOC),
    wide('Images', 'string', IMAGES_DOC),
    wide('Selector', 'string', D.jobSelector),
  ],
  cells(obj, now) {
    const job = as<Job>(obj);
    const [names, images] = containerCells(job.spec?.template?.spec?.containers);
    return [
      nameOf(obj), jobStatus(job), jobCompletions(job), jobDuration(job, now), ageOf(obj, now),
      names, images, formatLabelSelector(job.spec?.selector),
    ];
  },
};

function printBoolPtr(value: boolean | undefined | null): string {
  if (value === undefined || value === null) return '<unset>';
  return value ? 'True' : 'False';
}

export const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', D.cronSchedule),
    column('Timezone', 'string', D.cronTimeZone),
    column('Suspend', 'boolean', D.cronSuspend),
    column('Active', 'integer', D.cronActive),
    column('Last Schedule', 'string', D.cronLastSchedule),
    AGE_COLUMN,
    wide('Containers', 'string', CONTAINERS_DOC),
    wide('Images', 'string', IMAGES_DOC),
    wide('Selector', 'string', D.jobSelector),
  ],
  cells(obj, now) {
    const cj = as<CronJob>(obj);
    const jobSpec = cj.spec?.jobTemplate?.spec;
    const [names, images] = containerCells(jobSpec?.template?.spec?.containers);
    const last = cj.status?.lastScheduleTime ? translateTimestampSince(cj.status.lastScheduleTime, now) : '<none>';
    return [
      nameOf(obj), cj.spec?.schedule ?? '', cj.spec?.timeZone ?? '<none>', printBoolPtr(cj.spec?.suspend),
      (cj.status?.active ?? []).length, last, ageOf(obj, now),
      names, images, formatLabelSelector(jobSpec?.selector),
    ];
  },
};
