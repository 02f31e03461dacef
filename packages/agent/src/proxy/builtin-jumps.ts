import { isProxyChain } from './chain-names';
import type { IptablesRunner, IptablesTable } from './iptables-runner';
import { builtinJumps, type BuiltinJump } from './render-iptables';

/** Splits one `iptables -S` / `iptables-save` rule line into arguments (double quotes group). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

function target(args: string[]): string | undefined {
  const i = args.lastIndexOf('-j');
  return i >= 0 ? args[i + 1] : undefined;
}

function quoteArg(a: string): string {
  return /[\s"']/.test(a) || a === '' ? `"${a}"` : a;
}

/**
 * Given the `iptables -S <chain>` listing of one builtin chain and the jumps
 * Skiff wants at its head (in order), the restore lines that fix it, or none
 * when our jumps already head the chain in that order. A fix deletes every
 * rule of the chain that jumps to a SKIFF- chain and inserts the wanted ones
 * at the top. Only the targets' order is compared (iptables normalises the
 * match text it lists), which is what decides where packets go.
 */
export function planJumpRepair(listing: string, chain: string, wanted: BuiltinJump[]): string[] {
  const rules = listing.split('\n').filter((l) => l.startsWith(`-A ${chain} `)).map(splitRule);
  const head = rules.slice(0, wanted.length).map(target);
  const ours = rules.filter((r) => isProxyChain(target(r)));
  if (ours.length === wanted.length && wanted.every((w, i) => head[i] === target(w.args))) return [];
  return [
    ...ours.map((r) => ['-D', ...r.slice(1)].map(quoteArg).join(' ')),
    ...[...wanted].reverse().map((w) => ['-I', chain, '1', ...w.args].map(quoteArg).join(' ')),
  ];
}

function byTableChain(jumps: BuiltinJump[]): Map<string, BuiltinJump[]> {
  const m = new Map<string, BuiltinJump[]>();
  for (const j of jumps) {
    const k = `${j.table} ${j.chain}`;
    m.set(k, [...(m.get(k) ?? []), j]);
  }
  return m;
}

/**
 * Makes Skiff's jumps head their builtin chains: one `iptables -S` per builtin
 * chain and, only when something is missing or out of order, one
 * iptables-restore with the -D/-I lines. Run after the chains exist (after a
 * sync's restore). Returns the number of repaired builtin chains.
 */
export async function ensureJumps(runner: IptablesRunner, jumps: BuiltinJump[] = builtinJumps()): Promise<number> {
  const groups = [...byTableChain(jumps)];
  const listings = await Promise.all(groups.map(async ([k]) => {
    const [table, chain] = k.split(' ') as [IptablesTable, string];
    const r = await runner.iptables(['-t', table, '-S', chain]);
    if (r.code !== 0) throw new Error(`iptables -t ${table} -S ${chain}: ${r.stderr.trim()}`);
    return r.stdout;
  }));
  const perTable: Record<IptablesTable, string[]> = { nat: [], filter: [] };
  let repaired = 0;
  groups.forEach(([k, wanted], i) => {
    const [table, chain] = k.split(' ') as [IptablesTable, string];
    const lines = planJumpRepair(listings[i]!, chain, wanted);
    if (lines.length) repaired++;
    perTable[table].push(...lines);
  });
  if (!repaired) return 0;
  const payload = (['filter', 'nat'] as const).filter((t) => perTable[t].length).map((t) => [`*${t}`, ...perTable[t], 'COMMIT'].join('\n')).join('\n');
  await runner.restore(`${payload}\n`);
  return repaired;
}

/** The SKIFF- chains an `iptables-save` text declares, per table. */
export function skiffChains(save: string): Record<IptablesTable, string[]> {
  const out: Record<IptablesTable, string[]> = { nat: [], filter: [] };
  let table: string | undefined;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    else if (line.startsWith(':') && (table === 'nat' || table === 'filter') && isProxyChain(line.slice(1).split(' ')[0])) out[table].push(line.slice(1).split(' ')[0]!);
  }
  return out;
}

/**
 * The payload that removes everything Skiff put in iptables (pure): the jumps
 * from builtin chains into SKIFF- chains, then the SKIFF- chains themselves
 * (flushed, then deleted). Other rules and chains are not touched.
 */
export function renderCleanup(save: string): string {
  const chains = skiffChains(save);
  const deletes: Record<IptablesTable, string[]> = { nat: [], filter: [] };
  let table: string | undefined;
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) { table = line.slice(1).trim(); continue; }
    if ((table !== 'nat' && table !== 'filter') || !line.startsWith('-A ')) continue;
    const args = splitRule(line);
    const chain = args[1] ?? '';
    if (!isProxyChain(chain) && isProxyChain(target(args))) deletes[table].push(['-D', ...args.slice(1)].map(quoteArg).join(' '));
  }
  const parts: string[] = [];
  for (const t of ['filter', 'nat'] as const) {
    if (!chains[t].length && !deletes[t].length) continue;
    parts.push(`*${t}`, ...chains[t].map((c) => `:${c} - [0:0]`), ...deletes[t], ...chains[t].map((c) => `-X ${c}`), 'COMMIT');
  }
  return parts.length ? `${parts.join('\n')}\n` : '';
}

/**
 * `skiff-agent --cleanup`: removes Skiff's iptables state (one iptables-save,
 * one iptables-restore). Returns the chains it removed.
 */
export async function cleanupIptables(runner: IptablesRunner): Promise<string[]> {
  const save = await runner.save();
  const payload = renderCleanup(save);
  if (payload) await runner.restore(payload);
  const c = skiffChains(save);
  return [...c.filter.map((x) => `filter/${x}`), ...c.nat.map((x) => `nat/${x}`)];
}
