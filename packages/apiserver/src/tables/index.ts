/**
 * Server-side `meta.k8s.io/v1` Table output for `kubectl get`, following the Kubernetes API
 * server's printers: the same columns, `-o wide` columns (priority 1) and cell text.
 */
import { apiVersionOf, type KObject, type ResourceInfo } from '@skiff/api';
import type { BuildTableOptions, Table, TableRow } from './types';
import { printerFor } from './printers';

export type {
  BuildTableOptions, IncludeObject, PartialObjectMetadata, Printer, Table, TableCell, TableColumnDefinition,
  TableRow, TableRowCondition,
} from './types';
export { defaultPrinter, printerFor } from './printers';
export { humanDuration, parseTime, translateTimestampSince } from './duration';
export { formatQuantity } from './quantity';
export { formatLabelSelector, formatLabels, labelSelectorString } from './label-format';
export { summarizePod, type PodSummary } from './pod';

function rowObject(info: ResourceInfo, obj: KObject, include: BuildTableOptions['includeObject']): TableRow['object'] {
  switch (include ?? 'Metadata') {
    case 'None':
      return undefined;
    case 'Object':
      return { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(info), kind: obj.kind ?? info.kind };
    case 'Metadata':
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  }
}

/**
 * A Table of `objects` of one resource. The API server always renders the wide cells; kubectl
 * hides the priority-1 columns unless `-o wide`.
 */
export function buildTable(info: ResourceInfo, objects: readonly KObject[], opts: BuildTableOptions): Table {
  const printer = printerFor(info);
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, opts.now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    const object = rowObject(info, obj, opts.includeObject);
    if (object) row.object = object;
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continueToken) metadata.continue = opts.continueToken;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.omitHeaders ? null : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
