/**
 * skiffctl wait --for=delete|create|condition=C[=v]|jsonpath=EXPR[=v] (TYPE NAME... | TYPE/NAME... | TYPE -l SEL | TYPE --all)
 * Polls each object until the condition holds or --timeout (default 30s) passes.
 */
import { ApiError, isNotFound } from '../client';
import { Ctx } from '../context';
import { ApiResource, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';
import { parseGoDuration } from './wait-duration';

type Obj = Record<string, unknown> & {
  metadata?: { name?: string; uid?: string; generation?: number };
  status?: { conditions?: { type?: string; status?: string; observedGeneration?: number }[] };
};

type Condition =
  | { kind: 'delete' }
  | { kind: 'create' }
  | { kind: 'condition'; type: string; value: string }
  | { kind: 'jsonpath'; path: string; value?: string };

const POLL_MS = 500;

export function parseFor(spec: string): Condition {
  const lower = spec.toLowerCase();
  if (lower === 'delete') return { kind: 'delete' };
  if (lower === 'create') return { kind: 'create' };
  if (lower.startsWith('condition=')) {
    const rest = spec.slice('condition='.length);
    const eq = rest.indexOf('=');
    return eq < 0 ? { kind: 'condition', type: rest, value: 'true' } : { kind: 'condition', type: rest.slice(0, eq), value: rest.slice(eq + 1) };
  }
  if (lower.startsWith('jsonpath=')) {
    const rest = spec.slice('jsonpath='.length);
    // the expression ends at the `=` after its closing brace (or the first `=` without braces)
    let end = -1;
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}');
      if (close < 0) throw cliError(`unrecognized condition: "${spec}"`);
      end = rest.indexOf('=', close);
    } else end = rest.indexOf('=');
    const expr = end < 0 ? rest : rest.slice(0, end);
    const path = expr.startsWith('{') ? expr : `{${expr.startsWith('.') ? '' : '.'}${expr}}`;
    if (path === '{}' || path === '{.}') throw cliError('jsonpath expression cannot be empty');
    return end < 0 ? { kind: 'jsonpath', path } : { kind: 'jsonpath', path, value: rest.slice(end + 1) };
  }
  throw cliError(`unrecognized condition: "${spec}"`);
}

function printName(r: ApiResource, name: string): string {
  return `${r.kind.toLowerCase()}${r.group ? `.${r.group}` : ''}/${name}`;
}

/** Whether the object meets the condition (for delete/create: whether it exists is decided by the caller). */
function met(c: Condition, o: Obj): boolean {
  if (c.kind === 'create') return true;
  if (c.kind === 'condition') {
    for (const cond of o.status?.conditions ?? []) {
      if ((cond.type ?? '').toLowerCase() !== c.type.toLowerCase()) continue;
      if (cond.observedGeneration !== undefined && o.metadata?.generation !== undefined && cond.observedGeneration < o.metadata.generation) return false;
      return (cond.status ?? '').toLowerCase() === c.value.toLowerCase();
    }
    return false;
  }
  if (c.kind === 'jsonpath') {
    const { findValues, goFormatV } = require('../printers/jsonpath') as typeof import('../printers/jsonpath');
    let vs: unknown[];
    try {
      vs = findValues(c.path, o);
    } catch {
      return false;
    }
    if (c.value === undefined) return vs.length > 0;
    if (vs.length !== 1) return false;
    const v = vs[0];
    if (v !== null && typeof v === 'object') return false;
    return goFormatV(v) === c.value;
  }
  return false;
}

interface Target { r: ApiResource; name: string }

export async function wait(ctx: Ctx, args: string[]): Promise<number> {
  const f = ctx.flags;
  const cond = parseFor(f.str('for') ?? '');
  const timeoutMs = f.has('timeout') ? parseGoDuration(f.str('timeout') ?? '', 'timeout') : 30_000;
  const ns = ctx.namespace;
  const allNs = f.bool('all-namespaces');
  const selector = f.str('selector');
  const all = f.bool('all');
  const client = ctx.client();
  const disc = ctx.discovery();
  if (args.length === 0) {
    throw new CliError("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
  }
  const targets: Target[] = [];
  if (args[0]?.includes('/')) {
    for (const a of args) {
      const i = a.indexOf('/');
      if (i < 0) throw cliError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form');
      targets.push({ r: await disc.resolve(a.slice(0, i)), name: a.slice(i + 1) });
    }
  } else {
    const rs = await Promise.all((args[0] ?? '').split(',').map((t) => disc.resolve(t)));
    const names = args.slice(1);
    if (names.length) {
      for (const r of rs) for (const n of names) targets.push({ r, name: n });
    } else {
      if (!selector && !all && !f.str('field-selector')) throw cliError('resource(s) were provided, but no name was specified');
      for (const r of rs) {
        const list = await client.get<{ items?: Obj[] }>(resourcePath(r, allNs || !r.namespaced ? undefined : ns), { query: { labelSelector: selector, fieldSelector: f.str('field-selector') } });
        for (const it of list.items ?? []) targets.push({ r, name: it.metadata?.name ?? '' });
      }
      if (targets.length === 0) {
        if (cond.kind === 'delete') return 0;
        throw cliError('no matching resources found');
      }
    }
  }
  for (const t of targets) {
    const path = resourcePath(t.r, t.r.namespaced ? ns : undefined, t.name);
    const deadline = Date.now() + timeoutMs;
    let uid: string | undefined;
    for (;;) {
      let o: Obj | undefined;
      try {
        o = await client.get<Obj>(path);
      } catch (e) {
        if (!(e instanceof ApiError && isNotFound(e))) throw e;
        if (cond.kind !== 'delete' && cond.kind !== 'create') throw e;
      }
      if (cond.kind === 'delete') {
        if (!o) {
          if (uid !== undefined) ctx.out(`${printName(t.r, t.name)} condition met\n`);
          break;
        }
        uid ??= o.metadata?.uid ?? '';
        if (o.metadata?.uid !== uid) {
          ctx.out(`${printName(t.r, t.name)} condition met\n`);
          break;
        }
      } else if (o && met(cond, o)) {
        ctx.out(`${printName(t.r, t.name)} condition met\n`);
        break;
      }
      if (timeoutMs <= 0) throw cliError(`condition not met for ${t.r.resource}/${t.name}`);
      if (Date.now() >= deadline) throw cliError(`timed out waiting for the condition on ${t.r.resource}/${t.name}`);
      await new Promise((res) => setTimeout(res, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
    }
  }
  return 0;
}
