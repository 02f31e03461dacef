import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { KObject } from '@skiff/api';

/** One cell of a Table row: kubectl prints strings as-is and numbers/booleans via their JSON form. */
export type TableCell = string | number | boolean;

export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** OpenAPI format modifier; "name" marks the primary name column. */
  format: string;
  description: string;
  /** 0 = always shown; 1 = shown by `kubectl get -o wide`. */
  priority: number;
}

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  object?: KObject | PartialObjectMetadata;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null when headers were omitted (watch events after the first). */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

/** `?includeObject=` of a Table request. */
export type IncludeObject = 'None' | 'Object' | 'Metadata';

export interface BuildTableOptions {
  /** Defaults to 'Metadata', as the API server does. */
  includeObject?: IncludeObject;
  /** The clock AGE and other relative cells are computed against. */
  now: Date;
  resourceVersion?: string;
  continueToken?: string;
  remainingItemCount?: number;
  /** Leave out column definitions (`columnDefinitions: null`), as for watch events after the first. */
  omitHeaders?: boolean;
}

/** How one resource is printed: its columns and the cells of one object's row. */
export interface Printer {
  columns: readonly TableColumnDefinition[];
  cells(obj: KObject, now: Date): TableCell[];
  /** Row conditions (pods report Completed for Succeeded/Failed phases). */
  conditions?(obj: KObject): TableRowCondition[] | undefined;
}
