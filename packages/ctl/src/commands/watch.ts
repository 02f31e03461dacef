/** skiffctl get -w / --watch-only: the table, then one row per watch event (Table watch). */
import { TABLE_ACCEPT } from '../client';
import { Ctx } from '../context';
import { ApiResource, resourcePath } from '../discovery';
import { cliError } from '../errors';
import { printTable, Table, TableColumn } from '../printers/table';

export interface WatchOptions {
  allNs: boolean;
  ns: string;
  query: Record<string, string | undefined>;
  wide: boolean;
  watchOnly: boolean;
}

interface WatchEvent {
  type?: string;
  object?: Table & { kind?: string; message?: string };
}

export async function watchTable(ctx: Ctx, target: { r: ApiResource; names: string[] }, o: WatchOptions): Promise<number> {
  const { r, names } = target;
  if (names.length) throw cliError('skiffctl get --watch of a named object is not supported; use --field-selector metadata.name=NAME');
  const client = ctx.client();
  const path = resourcePath(r, o.allNs ? undefined : o.ns, undefined);
  const f = ctx.flags;
  const opts = { withNamespace: o.allNs && r.namespaced, showLabels: f.bool('show-labels'), wide: o.wide, rememberedWidths: [] as number[] };
  // kubectl lists first (one page is enough to learn the columns and the resourceVersion)
  const list = await client.get<Table & { metadata?: { resourceVersion?: string } }>(path, { accept: TABLE_ACCEPT, query: { ...o.query, limit: '500' } });
  let columns: TableColumn[] = list.columnDefinitions ?? [];
  let headerDone = f.bool('no-headers');
  if (!o.watchOnly) {
    const rows = list.rows ?? [];
    if (rows.length) {
      ctx.out(printTable(columns, rows, { ...opts, noHeaders: headerDone }));
      headerDone = true;
    } else if (!headerDone) {
      ctx.err(o.allNs || !r.namespaced ? 'No resources found\n' : `No resources found in ${o.ns} namespace.\n`);
    }
  }
  const w = client.stream(path, { accept: TABLE_ACCEPT, query: { ...o.query, resourceVersion: list.metadata?.resourceVersion, watch: 'true' } }, (line) => {
    let ev: WatchEvent;
    try { ev = JSON.parse(line) as WatchEvent; } catch { return; }
    const t = ev.object;
    if (!t || ev.type === 'BOOKMARK') return;
    if (ev.type === 'ERROR') { ctx.err(`error: ${t.message ?? 'watch error'}\n`); return; }
    if (t.columnDefinitions?.length && columns.length === 0) columns = t.columnDefinitions;
    const rows = t.rows ?? [];
    if (!rows.length) return;
    ctx.out(printTable(columns, rows, { ...opts, noHeaders: headerDone }));
    headerDone = true;
  });
  let signalled = false;
  const stop = (): void => { signalled = true; w.abort(); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await w.done;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  return signalled ? 1 : 0;
}
