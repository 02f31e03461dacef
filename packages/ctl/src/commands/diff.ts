/**
 * diff -f: the live objects and what an apply would make of them (a server dry-run of the same
 * patch `apply` sends, or a dry-run create for objects that do not exist), written as YAML into
 * /tmp/LIVE-<n> and /tmp/MERGED-<n>, compared with `diff -u -N` or $KUBECTL_EXTERNAL_DIFF.
 * Exit code: the diff program's (0 none, 1 differences); kubectl's own errors exit 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, formatApiError, isNotFound } from '../client';
import { Ctx } from '../context';
import { resourcePath } from '../discovery';
import { CliError } from '../errors';
import { loadManifests, Obj } from '../manifests';
import { goJson } from '../printers/gojson';
import { toGoYaml } from '../printers/goyaml';
import { jsonMergePatch, patchMeta, threeWayMergePatch } from '../smp';
import { LAST_APPLIED, lastAppliedOf, locate } from './apply';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

function diffError(msg: string): CliError {
  return new CliError(msg.startsWith('error: ') || msg.startsWith('Error from server') || msg.startsWith('The ') ? msg : `error: ${msg}`, 2);
}

function prepare(obj: Any, showManaged: boolean): Any {
  if (!obj) return obj;
  const c = JSON.parse(JSON.stringify(obj));
  if (!showManaged && c.metadata) delete c.metadata.managedFields;
  return c;
}

/** kubectl's Masker: secret values become `***`, or `*** (before)` / `*** (after)` when they differ. */
function maskSecrets(live: Any, merged: Any): void {
  if ((live?.kind ?? merged?.kind) !== 'Secret') return;
  const a = live?.data ?? {};
  const b = merged?.data ?? {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k in a && k in b && a[k] !== b[k]) { a[k] = '*** (before)'; b[k] = '*** (after)'; } else {
      if (k in a) a[k] = '***';
      if (k in b) b[k] = '***';
    }
  }
}

function threeWayJson(original: Obj, modified: Obj, current: Obj): Record<string, unknown> {
  const delta = jsonMergePatch(current, modified) as Record<string, unknown>;
  const strip = (p: Any): Any => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) return p;
    const out: Any = {};
    for (const [k, v] of Object.entries(p)) {
      if (v === null) continue;
      const s = strip(v);
      if (s && typeof s === 'object' && !Array.isArray(s) && Object.keys(s).length === 0 && v && typeof v === 'object' && Object.keys(v).length) continue;
      out[k] = s;
    }
    return out;
  };
  const additions = strip(delta);
  const deletions = jsonMergePatch(original, modified) as Any;
  const onlyNulls = (p: Any): Any => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) return undefined;
    const out: Any = {};
    for (const [k, v] of Object.entries(p)) {
      if (v === null) out[k] = null;
      else { const s = onlyNulls(v); if (s && Object.keys(s).length) out[k] = s; }
    }
    return out;
  };
  const merge = (a: Any, b: Any): Any => {
    const out: Any = { ...a };
    for (const [k, v] of Object.entries(b ?? {})) out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k], v) : v;
    return out;
  };
  return merge(onlyNulls(deletions) ?? {}, additions);
}

/** os.MkdirTemp: the prefix and a random decimal uint32. */
function goTempDir(dir: string, prefix: string): string {
  for (;;) {
    const p = join(dir, `${prefix}${randomBytes(4).readUInt32BE(0)}`);
    try {
      mkdirSync(p, { mode: 0o700 });
      return p;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

export async function diff(ctx: Ctx, args: string[]): Promise<number> {
  const filenames = ctx.flags.arr('filename');
  if (filenames.length === 0) throw diffError('must specify one of -f and -k');
  if (args.length) throw diffError(`Unexpected args: [${args.join(' ')}]\nSee 'kubectl diff -h' for help and examples`);
  const plain: string[] = [];
  let ms;
  try {
    ms = loadManifests({ filenames, recursive: ctx.flags.bool('recursive') }, true, plain);
  } catch (e) {
    if (e instanceof CliError) throw new CliError(e.message, 2);
    throw e;
  }
  if (plain.length) throw diffError(plain.join('\n'));
  const errors: { plain: string }[] = [];
  const located = await locate(ctx, ms, errors);
  if (errors.length) throw diffError(errors.map((e) => e.plain).join('\n'));
  const showManaged = ctx.flags.bool('show-managed-fields');
  const serverSide = ctx.flags.bool('server-side');
  const client = ctx.client();
  const pairs: { file: string; live: Any; merged: Any }[] = [];
  for (const { m, r, ns, name } of located) {
    const path = resourcePath(r, ns, name);
    let live: Any;
    let merged: Any;
    try {
      try {
        live = await client.get<Any>(path);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (serverSide) {
        merged = await client.request('PATCH', path, {
          contentType: 'application/apply-patch+yaml', body: goJson(m.obj),
          query: { fieldManager: ctx.flags.str('field-manager') ?? 'kubectl', force: String(ctx.flags.bool('force-conflicts')), dryRun: 'All' },
        });
      } else if (!live) {
        merged = await client.request('POST', resourcePath(r, ns), { query: { dryRun: 'All', fieldManager: 'kubectl-client-side-apply' }, body: goJson(m.obj) });
      } else {
        // GetModifiedConfiguration(annotate=false): the manifest with `annotations: {}` and no last-applied
        const modified = JSON.parse(lastAppliedOf(m.obj)) as Obj;
        let original: Obj = {};
        try { original = JSON.parse(live.metadata?.annotations?.[LAST_APPLIED] ?? '{}') as Obj; } catch { original = {}; }
        const meta = patchMeta(String(m.obj.apiVersion), String(m.obj.kind));
        const patch = meta ? threeWayMergePatch(original, modified, live, meta) : threeWayJson(original, modified, live);
        merged = Object.keys(patch).length === 0 ? live : await client.request('PATCH', path, {
          contentType: meta ? 'application/strategic-merge-patch+json' : 'application/merge-patch+json',
          query: { fieldManager: 'kubectl-client-side-apply', dryRun: 'All' }, body: goJson(patch),
        });
      }
    } catch (e) {
      if (e instanceof ApiError) throw new CliError(formatApiError(e), 2);
      throw e;
    }
    const gv = r.group ? `${r.group}.${r.version}` : r.version;
    pairs.push({ file: `${gv}.${r.kind}.${ns ?? ''}.${name}`, live: prepare(live, showManaged), merged: prepare(merged, showManaged) });
  }
  const tmp = ctx.env.TMPDIR || tmpdir();
  const liveDir = goTempDir(tmp, 'LIVE-');
  const mergedDir = goTempDir(tmp, 'MERGED-');
  try {
    for (const p of pairs) {
      maskSecrets(p.live, p.merged);
      writeFileSync(join(liveDir, p.file), p.live ? toGoYaml(p.live) : '');
      writeFileSync(join(mergedDir, p.file), p.merged ? toGoYaml(p.merged) : '');
    }
    let cmd = 'diff';
    let cargs = ['-u', '-N', liveDir, mergedDir];
    const ext = ctx.env.KUBECTL_EXTERNAL_DIFF;
    if (ext) {
      const parts = ext.split(' ');
      cmd = parts[0] as string;
      cargs = [liveDir, mergedDir, ...parts.slice(1).filter((a) => /^[a-zA-Z0-9-=]+$/.test(a))];
    }
    const res = spawnSync(cmd, cargs, { env: ctx.env, maxBuffer: 256 * 1024 * 1024 });
    if (res.error) throw diffError(`failed to run "${cmd}": exec: "${cmd}": executable file not found in $PATH`);
    if (res.stdout?.length) ctx.out(res.stdout.toString());
    if (res.stderr?.length) ctx.err(res.stderr.toString());
    return res.status ?? 1;
  } finally {
    rmSync(liveDir, { recursive: true, force: true });
    rmSync(mergedDir, { recursive: true, force: true });
  }
}
