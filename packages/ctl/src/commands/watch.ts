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

type Obj = { apiVersion?: string; kind?: string; metadata?: { name?: string; managedFields?: unknown } } & Record<string, unknown>;

/**
 * skiffctl get -w -o name|json|yaml: kubectl prints each object of the list on its own (not a
 * List), then each watched object the same way; YAML documents after the first start with `---`.
 */
export async function watchObjects(ctx: Ctx, target: { r: ApiResource; names: string[] }, o: Omit<WatchOptions, 'wide'> & { format: 'name' | 'json' | 'yaml' }): Promise<number> {
  const { r, names } = target;
  if (names.length) throw cliError('skiffctl get --watch of a named object is not supported; use --field-selector metadata.name=NAME');
  const client = ctx.client();
  const path = resourcePath(r, o.allNs ? undefined : o.ns, undefined);
  const { printJson } = require('../printers/gojson') as typeof import('../printers/gojson');
  let printed = 0;
  const print = (obj: Obj): void => {
    if (obj.metadata && 'managedFields' in obj.metadata) delete obj.metadata.managedFields;
    if (o.format === 'name') {
      const api = String(obj.apiVersion ?? '');
      const group = api.includes('/') ? api.split('/')[0] : '';
      const k = String(obj.kind ?? '').toLowerCase();
      ctx.out(`${group ? `${k}.${group}` : k}/${obj.metadata?.name ?? ''}\n`);
    } else if (o.format === 'json') {
      ctx.out(printJson(obj));
    } else {
      const { toGoYaml } = require('../printers/goyaml') as typeof import('../printers/goyaml');
      ctx.out((printed > 0 ? '---\n' : '') + toGoYaml(obj));
    }
    printed++;
  };
  const list = await client.get<{ apiVersion?: string; kind?: string; items?: Obj[]; metadata?: { resourceVersion?: string } }>(path, { query: { ...o.query, limit: '500' } });
  if (!o.watchOnly) {
    const itemKind = (list.kind ?? '').replace(/List$/, '');
    const items = list.items ?? [];
    for (const it of items) print(it.kind === undefined && it.apiVersion === undefined ? { apiVersion: list.apiVersion, kind: itemKind, ...it } : it);
    if (!items.length) ctx.err(o.allNs || !r.namespaced ? 'No resources found\n' : `No resources found in ${o.ns} namespace.\n`);
  }
  const w = client.stream(path, { query: { ...o.query, resourceVersion: list.metadata?.resourceVersion, watch: 'true' } }, (line) => {
    let ev: { type?: string; object?: Obj & { message?: string } };
    try { ev = JSON.parse(line) as typeof ev; } catch { return; }
    const obj = ev.object;
    if (!obj || ev.type === 'BOOKMARK') return;
    if (ev.type === 'ERROR') { ctx.err(`error: ${obj.message ?? 'watch error'}\n`); return; }
    print(obj);
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
