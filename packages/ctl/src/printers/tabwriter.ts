/**
 * A port of Go's text/tabwriter as kubectl configures it (minwidth 6, tabwidth 4, padding 3,
 * pad char ' ', no flags). Cells are tab-terminated; the text after the last tab of a line is
 * not part of any column. Column blocks (consecutive lines that have a cell in a column) are
 * aligned independently, as Go does.
 */
export interface TabWriterOptions {
  minWidth: number;
  padding: number;
  /** liggitt/tabwriter's RememberWidths (kubectl get -w): column widths persist across calls and only grow. */
  remembered?: number[];
}

export const KUBECTL_TABWRITER: TabWriterOptions = { minWidth: 6, padding: 3 };

export function runeLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function tabwrite(text: string, opts: TabWriterOptions = KUBECTL_TABWRITER): string {
  if (text === '') return '';
  const endsWithNewline = text.endsWith('\n');
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  const out: string[] = [];

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i] ?? [];
      let s = '';
      cells.forEach((c, j) => {
        s += c;
        const w = widths[j];
        if (w !== undefined) s += ' '.repeat(Math.max(0, w - runeLen(c)));
      });
      out.push(s);
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= (lines[t] ?? []).length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = opts.minWidth;
      for (; t < line1; t++) {
        const l = lines[t] ?? [];
        if (column >= l.length - 1) break;
        const w = runeLen(l[column] ?? '') + opts.padding;
        if (w > width) width = w;
      }
      const mem = opts.remembered;
      if (mem) {
        const old = mem[column];
        if (old === undefined || old < width) mem[column] = width;
        else width = old;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };
  format(0, lines.length);
  return out.join('\n') + (endsWithNewline ? '\n' : '');
}
