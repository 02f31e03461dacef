/** skiffctl get */
import { ApiError, formatApiError, isNotFound, TABLE_ACCEPT } from '../client';
import { Ctx } from '../context';
import { ApiResource, kindName, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';
import { printJson } from '../printers/gojson';
import { printTable, Table, TableColumn, TableRow } from '../printers/table';

const ALLOWED = 'custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml';

type Output = { kind: 'table'; wide: boolean } | { kind: 'json' } | { kind: 'yaml' } | { kind: 'name' } | { kind: 'jsonpath'; template: string }
  | { kind: 'custom-columns'; columns: { header: string; path: string }[] }
  | { kind: 'go-template'; template: string };

export function parseOutput(o: string | undefined): Output {
  if (o === undefined || o === '') return { kind: 'table', wide: false };
  if (o === 'wide') return { kind: 'table', wide: true };
  if (o === 'json' || o === 'yaml' || o === 'name') return { kind: o };
  const m = /^jsonpath=(.*)$/s.exec(o);
  if (m) return { kind: 'jsonpath', template: m[1] ?? '' };
  const gt = /^(go-template|template|go-template-file|templatefile)=(.*)$/s.exec(o);
  if (gt) return { kind: 'go-template', template: gt[1]?.endsWith('file') ? require('node:fs').readFileSync(gt[2] ?? '', 'utf8') as string : gt[2] ?? '' };
  const cc = /^custom-columns=(.*)$/s.exec(o);
  if (cc || o === 'custom-columns') {
    const spec = cc?.[1] ?? '';
    if (spec === '') throw cliError('custom-columns format specified but no custom columns given');
    const { relaxedJsonPath, JsonPathError } = require('../printers/jsonpath') as typeof import('../printers/jsonpath');
    return {
      kind: 'custom-columns',
      columns: spec.split(',').map((part) => {
        const colSpec = part.split(':');
        if (colSpec.length !== 2) throw cliError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
        try {
          return { header: colSpec[0] as string, path: relaxedJsonPath(colSpec[1] as string) };
        } catch (e) {
          if (e instanceof JsonPathError) throw cliError(e.message);
          throw e;
        }
      }),
    };
  }
  throw cliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: ${ALLOWED}`);
}

type Obj = Record<string, unknown> & { metadata?: { name?: string; namespace?: string } };

interface ListBody {
  apiVersion?: string;
  kind?: string;
  metadata?: { continue?: string; resourceVersion?: string };
  items?: Obj[];
}

/** Splits `pods x y`, `pod/x deploy/y`, `pods,services` forms into (type, names). */
function targets(args: string[]): { type: string; names: string[] }[] {
  const first = args[0] as string;
  if (first.includes('/')) {
    const out: { type: string; names: string[] }[] = [];
    for (const a of args) {
      const [t, ...rest] = a.split('/');
      const name = rest.join('/');
      if (!t || !name) throw cliError(`arguments in resource/name form must have a single resource and name`);
      const last = out[out.length - 1];
      if (last && last.type === t) last.names.push(name);
      else out.push({ type: t, names: [name] });
    }
    return out;
  }
  if (args.slice(1).some((a) => a.includes('/'))) throw cliError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. \'skiffctl get resource/<resource_name>\' instead of \'skiffctl get resource resource/<resource_name>\')');
  return first.split(',').filter((t) => t !== '').map((t) => ({ type: t, names: args.slice(1) }));
}

export async function get(ctx: Ctx, args: string[]): Promise<number> {
  const f = ctx.flags;
  if (args.length === 0) {
    throw new CliError('You must specify the type of resource to get. Use "skiffctl api-resources" for a complete list of supported resources.\n\n' +
      'error: Required resource not specified.\nUse "skiffctl explain <resource>" for a detailed description of that resource (e.g. skiffctl explain pods).\n' +
      "See 'skiffctl get -h' for help and examples");
  }
  const output = parseOutput(f.str('output'));
  const allNs = f.bool('all-namespaces');
  const ignoreNotFound = f.bool('ignore-not-found');
  const tgts = targets(args);
  const named = tgts.some((t) => t.names.length > 0);
  if (named && allNs) throw cliError('a resource cannot be retrieved by name across all namespaces');
  const client = ctx.client();
  const disc = ctx.discovery();
  const resolved: { r: ApiResource; names: string[] }[] = [];
  for (const t of tgts) resolved.push({ r: await disc.resolve(t.type), names: t.names });
  const ns = ctx.namespace;
  const errors: string[] = [];
  const query = { labelSelector: f.str('selector'), fieldSelector: f.str('field-selector') };
  const sortBy = f.str('sort-by');
  const jp = sortBy ? require('../printers/jsonpath') as typeof import('../printers/jsonpath') : undefined;
  if (jp && sortBy && output.kind !== 'table') {
    try {
      jp.relaxedJsonPath(sortBy);
    } catch (e) {
      if (e instanceof jp.JsonPathError) throw cliError(e.message);
      throw e;
    }
  }
  const tableAccept = TABLE_ACCEPT;
  const tableQuery: Record<string, string> = sortBy ? { includeObject: 'Object' } : {};
  if (f.bool('watch') || f.bool('watch-only')) {
    if (output.kind !== 'table' && output.kind !== 'name' && output.kind !== 'json' && output.kind !== 'yaml') throw cliError('skiffctl get --watch supports only table, name, json and yaml output');
    if (resolved.length !== 1 || (resolved[0]?.names.length ?? 0) > 1) throw cliError('you may only specify a single resource type');
    const { watchTable, watchObjects } = require('./watch') as typeof import('./watch');
    if (output.kind !== 'table') return watchObjects(ctx, resolved[0] as { r: ApiResource; names: string[] }, { allNs, ns, query, watchOnly: f.bool('watch-only'), format: output.kind });
    return watchTable(ctx, resolved[0] as { r: ApiResource; names: string[] }, { allNs, ns, query, wide: output.wide, watchOnly: f.bool('watch-only') });
  }

  const listAll = async <T extends ListBody | Table>(r: ApiResource, accept: string, extra: Record<string, string> = {}): Promise<T[]> => {
    const pages: T[] = [];
    let cont: string | undefined;
    do {
      const page = await client.get<T>(resourcePath(r, allNs ? undefined : ns, undefined), { accept, query: { ...query, ...extra, limit: '500', continue: cont } });
      pages.push(page);
      cont = (page as { metadata?: { continue?: string } }).metadata?.continue || undefined;
    } while (cont);
    return pages;
  };
  const fetchNamed = async <T>(r: ApiResource, name: string, accept: string, extra: Record<string, string> = {}): Promise<T | undefined> => {
    try {
      return await client.get<T>(resourcePath(r, ns, name), { accept, query: extra });
    } catch (e) {
      if (e instanceof ApiError) {
        if (!(ignoreNotFound && isNotFound(e))) errors.push(formatApiError(e));
        return undefined;
      }
      throw e;
    }
  };

  if (output.kind === 'table') {
    let text = '';
    let printedAny = false;
    for (const { r, names } of resolved) {
      let columns: TableColumn[] = [];
      const rows: TableRow[] = [];
      const tables: Table[] = names.length
        ? (await Promise.all(names.map((n) => fetchNamed<Table>(r, n, tableAccept, tableQuery)))).filter((t): t is Table => t !== undefined)
        : await listAll<Table>(r, tableAccept, tableQuery);
      for (const t of tables) {
        if (t.columnDefinitions && columns.length === 0) columns = t.columnDefinitions;
        rows.push(...(t.rows ?? []));
      }
      if (jp && sortBy) {
        let sorted: TableRow[] | undefined;
        try {
          sorted = jp.sortByJsonPath(rows, sortBy, (row) => row.object);
        } catch (e) {
          if (!(e instanceof jp.JsonPathError)) throw e;
        }
        // kubectl 1.32 prints nothing (then "No resources found") when the field is in no row or the path is invalid
        rows.splice(0, rows.length, ...(sorted ?? []));
      }
      if (rows.length === 0) continue;
      if (printedAny) text += '\n';
      printedAny = true;
      text += printTable(columns, rows, {
        wide: output.wide, withNamespace: allNs && r.namespaced, withKind: resolved.length > 1 ? kindName(r) : undefined, showLabels: f.bool('show-labels'), noHeaders: f.bool('no-headers'),
      });
    }
    ctx.out(text);
    if (!printedAny && !ignoreNotFound && errors.length === 0) {
      const allNamespaced = !allNs && resolved.every((x) => x.r.namespaced);
      ctx.err(allNamespaced ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
    }
  } else {
    const items: Obj[] = [];
    let single: Obj | undefined;
    const singleImplied = resolved.length === 1 && (resolved[0]?.names.length ?? 0) === 1;
    for (const { r, names } of resolved) {
      if (names.length) {
        for (const n of names) {
          const o = await fetchNamed<Obj>(r, n, 'application/json');
          if (o) items.push(o);
        }
      } else {
        for (const page of await listAll<ListBody>(r, 'application/json')) {
          const itemKind = (page.kind ?? '').replace(/List$/, '');
          for (const it of page.items ?? []) {
            items.push(it.kind === undefined && it.apiVersion === undefined ? { apiVersion: page.apiVersion, kind: itemKind, ...it } : it);
          }
        }
      }
    }
    if (singleImplied) {
      if (errors.length) throw new CliError(errors.join('\n'));
      single = items[0];
    }
    // kubectl hides managedFields unless --show-managed-fields
    for (const o of items) if (o.metadata && 'managedFields' in o.metadata) delete (o.metadata as Record<string, unknown>).managedFields;
    if (jp && sortBy && !single) items.splice(0, items.length, ...(jp.sortByJsonPath(items, sortBy, (o) => o) ?? items));
    if (output.kind === 'custom-columns') {
      const { findValues, goFormatV } = require('../printers/jsonpath') as typeof import('../printers/jsonpath');
      const { tabwrite } = require('../printers/tabwriter') as typeof import('../printers/tabwriter');
      const lines: string[] = [];
      if (!f.bool('no-headers')) lines.push(output.columns.map((c) => c.header).join('\t'));
      for (const o of single ? [single] : items) {
        lines.push(output.columns.map((c) => {
          const vs = findValues(c.path, o);
          return vs.length === 0 ? '<none>' : vs.map(goFormatV).join(',');
        }).join('\t'));
      }
      ctx.out(lines.length ? tabwrite(lines.join('\n') + '\n') : '');
      if (errors.length) throw new CliError(errors.join('\n'));
      return 0;
    }
    const data: unknown = single ?? { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
    if (output.kind === 'json') ctx.out(printJson(data));
    else if (output.kind === 'yaml') ctx.out((require('../printers/goyaml') as typeof import('../printers/goyaml')).toGoYaml(data));
    else if (output.kind === 'name') {
      const byKind = (o: Obj): string => {
        const api = String(o.apiVersion ?? '');
        const group = api.includes('/') ? api.split('/')[0] : '';
        const k = String(o.kind ?? '').toLowerCase();
        return `${group ? `${k}.${group}` : k}/${o.metadata?.name ?? ''}`;
      };
      ctx.out(items.map((o) => `${byKind(o)}\n`).join(''));
    } else if (output.kind === 'go-template') {
      ctx.out((require('../printers/go-template') as typeof import('../printers/go-template')).runGoTemplate(output.template, data));
    } else {
      const { jsonpath, JsonPathError } = require('../printers/jsonpath') as typeof import('../printers/jsonpath');
      try {
        ctx.out(jsonpath(output.template, data));
      } catch (e) {
        if (e instanceof JsonPathError) throw cliError(`error executing jsonpath ${JSON.stringify(output.template)}: Error executing template: ${e.message}`);
        throw e;
      }
    }
  }
  if (errors.length) throw new CliError(errors.join('\n'));
  return 0;
}
