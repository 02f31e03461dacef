/**
 * explain TYPE[.field.path] [--recursive]: kubectl 1.32's OpenAPI v3 explain (plaintext template):
 * the group-version document from /openapi/v3, the schema whose x-kubernetes-group-version-kind
 * matches, field descriptions word-wrapped at 76 columns (go-wordwrap) and indented by 4.
 */
import { Ctx } from '../context';
import { ApiResource } from '../discovery';
import { CliError, cliError } from '../errors';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
type Schema = Record<string, Any>;

/** github.com/mitchellh/go-wordwrap WrapString. */
export function wrapString(s: string, lim: number): string {
  let buf = '';
  let current = 0;
  let word = '';
  let space = '';
  for (const ch of s) {
    if (ch === '\n') {
      if (word.length === 0) {
        if (current + space.length > lim) current = 0;
        else { current += space.length; buf += space; }
        space = '';
      } else {
        current += space.length + word.length;
        buf += space + word;
        space = ''; word = '';
      }
      buf += ch;
      current = 0;
    } else if (/\s/.test(ch) && ch !== '\u00a0') {
      if (space.length === 0 || word.length > 0) {
        current += space.length + word.length;
        buf += space + word;
        space = ''; word = '';
      }
      space += ch;
    } else {
      word += ch;
      if (current + space.length + word.length > lim && word.length < lim) {
        buf += '\n';
        current = 0;
        space = '';
      }
    }
  }
  if (word.length === 0) {
    if (current + space.length <= lim) buf += space;
  } else buf += space + word;
  return buf;
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return s.split('\n').map((l) => pad + l).join('\n');
}

class Doc {
  constructor(readonly schemas: Record<string, Schema>) {}

  ref(s: Schema | undefined): Schema | undefined {
    const r = s?.$ref as string | undefined;
    if (!r) return undefined;
    return this.schemas[r.replace('#/components/schemas/', '')];
  }

  /** Follows a single allOf and $ref to the named schema, if any. */
  deref(s: Schema | undefined): { schema: Schema | undefined; name?: string } {
    let cur = s;
    for (let i = 0; i < 10 && cur; i++) {
      if (cur.$ref) {
        const name = String(cur.$ref).replace('#/components/schemas/', '');
        return { schema: this.schemas[name], name };
      }
      if (Array.isArray(cur.allOf) && cur.allOf.length === 1 && !cur.properties) { cur = cur.allOf[0]; continue; }
      break;
    }
    return { schema: cur };
  }

  /** The schema whose fields are listed for s: through allOf/$ref and array items. */
  element(s: Schema | undefined): { schema: Schema | undefined; name?: string } {
    let d = this.deref(s);
    for (let i = 0; i < 10 && d.schema && (d.schema.items || (d.schema.type === 'object' && d.schema.additionalProperties && !d.schema.properties)); i++) {
      d = this.deref(d.schema.items ?? d.schema.additionalProperties);
    }
    return d;
  }

  typeGuess(s: Schema | undefined): string {
    if (!s) return 'Object';
    if (s.items || (s.additionalProperties && typeof s.additionalProperties === 'object')) {
      return (s.type === 'array' ? '[]' : 'map[string]') + this.typeGuess(s.items ?? s.additionalProperties);
    }
    if (Array.isArray(s.allOf) && s.allOf.length === 1 && !s.properties) return this.typeGuess(s.allOf[0]);
    if (s.$ref) {
      const name = String(s.$ref).replace('#/components/schemas/', '');
      const target = this.schemas[name];
      const t = target?.type;
      if (typeof t === 'string' && t !== 'object' && t !== 'array') return t;
      return name.slice(name.lastIndexOf('.') + 1);
    }
    if (typeof s.type === 'string') return s.type;
    return 'Object';
  }
}

async function loadDoc(ctx: Ctx, r: ApiResource): Promise<Doc> {
  const client = ctx.client();
  const root = await client.get<{ paths?: Record<string, { serverRelativeURL?: string }> }>('/openapi/v3');
  const key = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
  const entry = root.paths?.[key];
  if (!entry?.serverRelativeURL) throw cliError(`couldn't find resource for "${r.group ? `${r.group}/${r.version}` : r.version}, Resource=${r.resource}"`);
  const doc = await client.get<{ components?: { schemas?: Record<string, Schema> } }>(entry.serverRelativeURL);
  return new Doc(doc.components?.schemas ?? {});
}

function findKindSchema(doc: Doc, r: ApiResource): Schema | undefined {
  for (const name of Object.keys(doc.schemas).sort()) {
    const s = doc.schemas[name] as Schema;
    const gvks = s['x-kubernetes-group-version-kind'] as { group?: string; version?: string; kind?: string }[] | undefined;
    if (gvks?.some((g) => (g.group ?? '') === r.group && g.version === r.version && g.kind === r.kind)) return s;
  }
  return undefined;
}

function requiredSet(s: Schema | undefined): Set<string> {
  return new Set(Array.isArray(s?.required) ? s?.required as string[] : []);
}

function fieldsText(doc: Doc, s: Schema, recursive: boolean, level: number, seen: Set<string>): string {
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const req = requiredSet(s);
  let out = '';
  for (const name of Object.keys(props).sort()) {
    const p = props[name] as Schema;
    out += `${' '.repeat(level * 2)}${name}\t<${doc.typeGuess(p)}>${req.has(name) ? ' -required-' : ''}\n`;
    if (recursive) {
      const el = doc.element(p);
      if (el.schema?.properties && !(el.name && seen.has(el.name))) {
        const next = new Set(seen);
        if (el.name) next.add(el.name);
        out += fieldsText(doc, el.schema, true, level + 1, next);
      }
    } else {
      const d = typeof p.description === 'string' && p.description ? p.description : '<no description>';
      out += `${indent(level * 2 + 2, wrapString(d, 76))}\n\n`;
    }
  }
  return out;
}

export async function explain(ctx: Ctx, args: string[]): Promise<number> {
  const fmt = ctx.flags.str('output') ?? 'plaintext';
  if (fmt !== 'plaintext') throw cliError(`skiffctl explain supports only --output=plaintext, not "${fmt}"`);
  if (args.length === 0) {
    throw cliError('You must specify the type of resource to explain. Use "kubectl api-resources" for a complete list of supported resources.\n');
  }
  if (args.length > 1) throw cliError(`We accept only this format: explain RESOURCE\n`);
  // the longest dotted prefix that names a resource (`cronjobs.batch.spec` is cronjobs.batch + spec)
  const parts = (args[0] as string).split('.');
  const disc = ctx.discovery();
  let r: ApiResource | undefined;
  let path: string[] = [];
  let firstErr: unknown;
  for (let i = parts.length; i > 0 && !r; i--) {
    try {
      r = await disc.resolve(parts.slice(0, i).join('.'));
      path = parts.slice(i);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      firstErr = e;
    }
  }
  if (!r) {
    // kubectl prints this one without the `error: ` prefix
    const e = firstErr as CliError;
    throw new CliError(e.message.replace(/^error: /, ''), e.exitCode);
  }
  const apiVersion = ctx.flags.str('api-version');
  if (apiVersion) {
    const [g, v] = apiVersion.includes('/') ? apiVersion.split('/') as [string, string] : ['', apiVersion];
    r = { ...r, group: g, version: v };
  }
  const doc = await loadDoc(ctx, r);
  const top = findKindSchema(doc, r);
  if (!top) throw cliError(`GVK ${r.group}/${r.version}, Kind=${r.kind} not found in OpenAPI schema`);
  let out = '';
  if (r.group) out += `GROUP:      ${r.group}\n`;
  out += `KIND:       ${r.kind}\nVERSION:    ${r.version}\n\n`;
  let field: Schema | undefined;
  let parent: Schema = top;
  let fieldName = '';
  for (const seg of path.filter((x) => x !== '')) {
    const container = field === undefined ? parent : doc.element(field).schema;
    const next = (container?.properties as Record<string, Schema> | undefined)?.[seg];
    if (!next) {
      ctx.out(out);
      throw new CliError(`error: field "${seg}" does not exist`);
    }
    if (container) parent = container;
    field = next;
    fieldName = seg;
  }
  const descs: string[] = [];
  let listed: Schema | undefined;
  if (field) {
    out += `FIELD: ${fieldName} <${doc.typeGuess(field)}>\n\n\n`;
    if (typeof field.description === 'string' && field.description) descs.push(field.description);
    const el = doc.element(field);
    if (el.name && typeof el.schema?.description === 'string' && el.schema.description) descs.push(el.schema.description);
    listed = el.schema;
  } else {
    if (typeof top.description === 'string' && top.description) descs.push(top.description);
    listed = top;
  }
  if (descs.length) out += `DESCRIPTION:\n${indent(4, `${descs.map((d) => wrapString(d, 76)).join('\n')}\n`)}\n`;
  if (listed?.properties && Object.keys(listed.properties).length) {
    const seen = new Set<string>();
    out += `FIELDS:\n${fieldsText(doc, listed, ctx.flags.bool('recursive'), 1, seen)}`;
  }
  ctx.out(`${out}\n`);
  return 0;
}
