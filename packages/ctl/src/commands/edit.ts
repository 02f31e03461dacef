/**
 * edit: kubectl's edit loop. The object goes to a temp file (`kubectl-edit-<n>.yaml|json`,
 * YAML with kubectl's header comment), `$KUBE_EDITOR`/`$EDITOR`/vi opens it, and the change is
 * sent as a two-way strategic merge patch (JSON merge patch for kinds without a schema).
 * An Invalid answer re-opens the file with the causes as comments; saving it unchanged
 * stops with the file kept, as kubectl does.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiError } from '../client';
import { Ctx } from '../context';
import { ApiResource, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';
import { deepEqual, jsonMergePatch, patchMeta, twoWayMergePatch } from '../smp';
import { targets } from './misc';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const HEADER = `# Please edit the object below. Lines beginning with a '#' will be ignored,
# and an empty file will abort the edit. If an error occurs while saving this file will be
# reopened with the relevant failures.
#
`;

interface Reason { head: string; other: string[] }

/** Go's %q for the shell form of the editor command. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function editorArgs(env: NodeJS.ProcessEnv): { args: string[]; shell: boolean; display: string } {
  let editor = '';
  for (const name of ['KUBE_EDITOR', 'EDITOR']) {
    editor = env[name] ?? '';
    if (editor) break;
  }
  if (!editor) editor = 'vi';
  if (!editor.includes(' ')) return { args: [editor], shell: false, display: editor };
  if (!/["'\\]/.test(editor)) return { args: editor.split(' '), shell: false, display: editor };
  const sh = env.SHELL || '/bin/bash';
  return { args: [sh, '-c', editor], shell: true, display: `${sh} -c ${editor}` };
}

function launch(ctx: Ctx, content: string, ext: string): { file: string; edited: string } {
  const file = join(ctx.env.TMPDIR || tmpdir(), `kubectl-edit-${randomBytes(4).readUInt32BE(0)}${ext}`);
  writeFileSync(file, content, { mode: 0o600 });
  const ed = editorArgs(ctx.env);
  const args = [...ed.args];
  if (ed.shell) args[args.length - 1] = `${args[args.length - 1]} ${goQuote(resolve(file))}`;
  else args.push(resolve(file));
  const r = spawnSync(args[0] as string, args.slice(1), { stdio: 'inherit', env: ctx.env });
  if (r.error || r.status !== 0) {
    const notFound = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' && !(args[0] as string).includes('/');
    throw cliError(notFound ? `unable to launch the editor "${ed.args.join(' ')}"` : `there was a problem with the editor "${ed.args.join(' ')}"`);
  }
  return { file, edited: readFileSync(file, 'utf8') };
}

/** kubectl's ManualStrip: drop every comment line (but not `#!`). */
function manualStrip(text: string): string {
  return text.split('\n').filter((l) => { const t = l.trim(); return !(t.startsWith('#') && !t.startsWith('#!')); }).join('\n');
}

function parseDoc(text: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseYamlDocs } = require('../manifests') as typeof import('../manifests');
  const docs = parseYamlDocs(text, 'edited file');
  return docs.length ? docs[0] : null;
}

/** StripComments: the YAML as data when it parses, else the text without comment lines. */
function stripComments(text: string): unknown {
  try {
    return { data: parseDoc(text) };
  } catch {
    return { text: manualStrip(text) };
  }
}

function hasLines(text: string): boolean {
  return text.split('\n').some((l) => { const t = l.trim(); return t.length > 0 && !t.startsWith('#'); });
}

function hashOnLineBreak(s: string): string {
  return s.replace(/\n/g, '\n# ');
}

function headerText(reasons: Reason[]): string {
  let s = HEADER;
  for (const r of reasons) {
    s += r.other.length ? `# ${hashOnLineBreak(r.head)}:\n` : `# ${hashOnLineBreak(r.head)}\n`;
    for (const o of r.other) s += `# * ${hashOnLineBreak(o)}\n`;
    s += '#\n';
  }
  return s;
}

function preserved(err: CliError, file: string | undefined, ctx: Ctx): CliError {
  if (file) ctx.err(`A copy of your changes has been stored to "${file}"\n`);
  return err;
}

export async function edit(ctx: Ctx, args: string[]): Promise<number> {
  const o = ctx.flags.str('output') ?? 'yaml';
  if (o !== 'yaml' && o !== 'json') throw cliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: json,yaml`);
  if (args.length === 0) {
    throw cliError('You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   \'-f rsrc.yaml\'\n   \'--filename=rsrc.json\'\n   \'<resource> <name>\'\n   \'<resource>\'');
  }
  if (args.length === 1 && !args[0]?.includes('/')) throw cliError('skiffctl edit needs TYPE NAME or TYPE/NAME (editing every object of a type is not supported)');
  const items = await targets(ctx, args);
  if (items.length !== 1) throw cliError('skiffctl edit edits one object at a time');
  const { r, name } = items[0] as { r: ApiResource; name: string };
  const client = ctx.client();
  const path = resourcePath(r, r.namespaced ? ctx.namespace : undefined, name);
  const obj = await client.get<Any>(path);
  if (!ctx.flags.bool('show-managed-fields') && obj?.metadata) delete obj.metadata.managedFields;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { printJson } = require('../printers/gojson') as typeof import('../printers/gojson');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { toGoYaml } = require('../printers/goyaml') as typeof import('../printers/goyaml');
  const isYaml = o === 'yaml';
  const ext = isYaml ? '.yaml' : '.json';
  const body = isYaml ? toGoYaml(obj) : printJson(obj);
  const original = (isYaml ? HEADER : '') + body;
  const resString = r.group ? `${r.resource}.${r.group}` : r.resource;
  let reasons: Reason[] = [];
  let containsError = false;
  let edited = '';
  let prevFile: string | undefined;
  for (;;) {
    const content = containsError ? (isYaml ? headerText(reasons) : '') + manualStrip(edited) : original;
    const editedDiff = edited;
    const launched = launch(ctx, content, ext);
    edited = launched.edited;
    const file = launched.file;
    if (containsError && deepEqual(stripComments(editedDiff), stripComments(edited))) {
      throw preserved(cliError('Edit cancelled, no valid changes were saved.'), file, ctx);
    }
    if (prevFile) rmSync(prevFile, { force: true });
    prevFile = undefined;
    if (deepEqual(stripComments(original), stripComments(edited))) {
      rmSync(file, { force: true });
      ctx.err('Edit cancelled, no changes made.\n');
      return 0;
    }
    if (!hasLines(edited)) {
      rmSync(file, { force: true });
      ctx.err('Edit cancelled, saved file was empty.\n');
      return 0;
    }
    let updated: Any;
    try {
      updated = parseDoc(edited);
    } catch (e) {
      containsError = true;
      reasons = [{ head: `The edited file had a syntax error: ${(e as Error).message.replace(/^error: /, '')}`, other: [] }];
      prevFile = file;
      continue;
    }
    containsError = false;
    reasons = [];
    const ns = updated?.metadata?.namespace;
    if (r.namespaced && ns && ns !== ctx.namespace) {
      throw preserved(cliError(`the namespace from the provided object "${ns}" does not match the namespace "${ctx.namespace}". You must pass '--namespace=${ns}' to perform this operation.`), file, ctx);
    }
    if (deepEqual(obj, updated)) {
      rmSync(file, { force: true });
      ctx.out(`${kindNameOf(r)}/${name} skipped\n`);
      return 0;
    }
    if (updated?.apiVersion !== obj.apiVersion || updated?.kind !== obj.kind || updated?.metadata?.name !== obj.metadata?.name ||
      !deepEqual(updated?.metadata?.managedFields, obj.metadata?.managedFields)) {
      throw preserved(cliError('At least one of apiVersion, kind and name was changed'), file, ctx);
    }
    const meta = patchMeta(obj.apiVersion, obj.kind);
    const patch = meta ? twoWayMergePatch(obj, updated, meta) : jsonMergePatch(obj, updated);
    if (ctx.flags.bool('output-patch')) ctx.out(`Patch: ${JSON.stringify(patch)}\n`);
    let patched: Any;
    try {
      patched = await client.request('PATCH', path, {
        contentType: meta ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json', body: patch,
        query: { fieldManager: ctx.flags.str('field-manager') ?? 'kubectl-edit', fieldValidation: 'Strict' },
      });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.code === 422 || e.reason === 'Invalid') {
        ctx.err(`error: ${resString} "${name}" is invalid\n`);
        reasons = [{ head: `${resString} "${name}" was not valid`, other: (e.status.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`) }];
        containsError = true;
        prevFile = file;
        continue;
      }
      if (e.code === 404) {
        ctx.err(`error: ${resString} "${name}" could not be found on the server\n`);
        ctx.err(`The edits you made on deleted resources have been saved to "${file}"\n`);
        return 1;
      }
      ctx.err(`error: ${resString} "${name}" could not be patched: ${e.message}\n`);
      ctx.err(`You can run \`kubectl replace -f ${file}\` to try this update again.\n`);
      return 1;
    }
    rmSync(file, { force: true });
    if (patched?.metadata) delete patched.metadata.managedFields;
    if (ctx.flags.has('output')) ctx.out(isYaml ? toGoYaml(patched) : printJson(patched));
    else ctx.out(`${kindNameOf(r)}/${name} edited\n`);
    return 0;
  }
}

function kindNameOf(r: ApiResource): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../discovery') as typeof import('../discovery')).kindName(r);
}
