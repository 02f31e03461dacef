/** kubectl's printer for server-side Tables (k8s.io/cli-runtime tableprinter). */
import { KUBECTL_TABWRITER, tabwrite } from './tabwriter';

export interface TableColumn {
  name: string;
  type?: string;
  format?: string;
  priority?: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { namespace?: string; labels?: Record<string, string> } };
}

export interface Table {
  kind?: string;
  columnDefinitions?: TableColumn[] | null;
  rows?: TableRow[] | null;
}

export interface TableOptions {
  wide?: boolean;
  withNamespace?: boolean;
  showLabels?: boolean;
  noHeaders?: boolean;
  /** `pod`, `deployment.apps`: prefixes the first cell with `<kind>/` (several types printed). */
  withKind?: string;
  /** Column widths kept across calls (watch output), see TabWriterOptions.remembered. */
  rememberedWidths?: number[];
}

/** labels.FormatLabels: sorted k=v joined by ',', or <none>. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${(labels as Record<string, string>)[k]}`).join(',');
}

function cellText(cell: unknown): string {
  if (typeof cell === 'string') {
    const br = cell.search(/[\f\n\r]/);
    return br >= 0 ? `${cell.slice(0, br)}...` : cell;
  }
  if (cell === null || cell === undefined) return '<nil>';
  if (typeof cell === 'object') return JSON.stringify(cell);
  return String(cell);
}

/** Table text (header unless noHeaders, then one line per row), aligned like kubectl. */
export function printTable(columns: TableColumn[], rows: TableRow[], opts: TableOptions): string {
  const keep = columns.map((c) => opts.wide || !c.priority);
  const lines: string[] = [];
  if (!opts.noHeaders) {
    const h: string[] = [];
    if (opts.withNamespace) h.push('NAMESPACE');
    columns.forEach((c, i) => { if (keep[i]) h.push(c.name.toUpperCase()); });
    if (opts.showLabels) h.push('LABELS');
    lines.push(h.join('\t'));
  }
  for (const row of rows) {
    const cells: string[] = [];
    if (opts.withNamespace) cells.push(row.object?.metadata?.namespace ?? '');
    row.cells.forEach((c, i) => {
      if (i < columns.length && keep[i]) cells.push(i === 0 && opts.withKind ? `${opts.withKind}/${cellText(c)}` : cellText(c));
    });
    if (opts.showLabels) cells.push(row.object?.metadata ? formatLabels(row.object.metadata.labels) : '');
    lines.push(cells.join('\t'));
  }
  if (lines.length === 0) return '';
  return tabwrite(lines.join('\n') + '\n', opts.rememberedWidths ? { ...KUBECTL_TABWRITER, remembered: opts.rememberedWidths } : KUBECTL_TABWRITER);
}
