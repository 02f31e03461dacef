/**
 * `-f` sources as kubectl's resource builder reads them: files, directories (only .json, .yaml
 * and .yml inside, lexical order, sub-directories only with -R), `-` for stdin; YAML streams
 * split on `---`; `kind: *List` flattened into its items. YAML is read with go-yaml v2 rules
 * (YAML 1.1 booleans such as yes/on/y, no timestamps, no sexagesimal numbers).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cliError } from './errors';

export type Obj = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

export interface Manifest {
  source: string;
  obj: Obj;
}

const EXTS = ['.json', '.yaml', '.yml'];

function walk(dir: string, recursive: boolean, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) walk(p, recursive, out);
    } else if (EXTS.some((x) => e.name.endsWith(x))) out.push(p);
  }
}

/** File names (or '-') behind the -f arguments, as kubectl visits them. */
export function expandPaths(paths: string[], recursive: boolean): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (p === '-') { out.push('-'); continue; }
    if (/^https?:\/\//.test(p)) throw cliError(`reading manifests from URLs is not supported: ${p}`);
    let st;
    try {
      st = statSync(p);
    } catch {
      throw cliError(`the path "${p}" does not exist`);
    }
    if (st.isDirectory()) walk(p, recursive, out);
    else out.push(p);
  }
  return out;
}

export function parseYamlDocs(text: string, source: string): unknown[] {
  const docs = parseAllDocuments(text, {
    version: '1.1',
    uniqueKeys: false,
    customTags: (tags) => tags.filter((t) => typeof t === 'string' ? t !== 'timestamp' && !t.endsWith('Time') : !t.tag.endsWith(':timestamp') && t.format !== 'TIME'),
  });
  const out: unknown[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length) throw cliError(`error parsing ${source}: error converting YAML to JSON: yaml: ${d.errors[0]?.message ?? 'invalid'}`);
    const v = d.toJS({ maxAliasCount: 1000 }) as unknown;
    if (v === null || v === undefined) continue;
    out.push(v);
  }
  return out;
}

/** Objects of one source; a `*List` becomes its items. Non-objects are reported like kubectl. */
export function readSource(path: string, stdin: () => string): { docs: unknown[]; source: string } {
  const source = path === '-' ? 'STDIN' : path;
  const text = path === '-' ? stdin() : readFileSync(path, 'utf8');
  const trimmed = text.trimStart();
  let docs: unknown[];
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      docs = [JSON.parse(text) as unknown];
    } catch {
      docs = parseYamlDocs(text, source);
    }
  } else docs = parseYamlDocs(text, source);
  return { docs, source };
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function flatten(o: Obj): Obj[] {
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
    return (o.items as unknown[]).filter(isObj).flatMap(flatten);
  }
  return [o];
}

let stdinCache: string | undefined;
export function readStdin(): string {
  stdinCache ??= readFileSync(0, 'utf8');
  return stdinCache;
}

export interface FileFlags {
  filenames: string[];
  recursive: boolean;
}

/** All manifests behind -f; invalid documents reported as kubectl's validation error. */
export function loadManifests(ff: FileFlags, validate: boolean, errors: string[], stdin: () => string = readStdin): Manifest[] {
  const out: Manifest[] = [];
  for (const p of expandPaths(ff.filenames, ff.recursive)) {
    const { docs, source } = readSource(p, stdin);
    for (const d of docs) {
      if (!isObj(d) || typeof d.kind !== 'string' || d.kind === '' || typeof d.apiVersion !== 'string') {
        if (validate) {
          errors.push(`error validating "${source}": error validating data: ${isObj(d) ? (typeof d.kind !== 'string' || d.kind === '' ? 'kind not set' : 'apiVersion not set') : 'invalid object to validate'}; if you choose to ignore these errors, turn validation off with --validate=false`);
        } else if (isObj(d)) {
          errors.push(`error: unable to decode "${source}": Object 'Kind' is missing in '${JSON.stringify(d)}'`);
        } else {
          errors.push(`error: unable to decode "${source}": json: cannot unmarshal ${typeof d} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
        }
        continue;
      }
      for (const obj of flatten(d)) out.push({ source, obj });
    }
  }
  return out;
}
