/** The scheduling.k8s.io printer: PriorityClass. */
import type { KObject } from '@skiff/api';
import type { Printer } from './types';
import { AGE_COLUMN, NAME_COLUMN, ageOf, column, nameOf } from './columns';

const VALUE_DOC = 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.';
const GLOBAL_DEFAULT_DOC = 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.';
const PREEMPTION_DOC = 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.';

/** NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY, as the API server prints PriorityClasses. */
export const priorityClassPrinter: Printer = {
  columns: [NAME_COLUMN, column('Value', 'integer', VALUE_DOC), column('Global-Default', 'boolean', GLOBAL_DEFAULT_DOC), AGE_COLUMN, column('PreemptionPolicy', 'string', PREEMPTION_DOC)],
  cells(obj: KObject, now) {
    const pc = obj as KObject & { value?: number; globalDefault?: boolean; preemptionPolicy?: string };
    return [nameOf(obj), pc.value ?? 0, pc.globalDefault ?? false, ageOf(obj, now), pc.preemptionPolicy ?? ''];
  },
};
