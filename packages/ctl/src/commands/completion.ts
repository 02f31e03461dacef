/**
 * `skiffctl completion bash` (a bash script) and the hidden `skiffctl __complete WORDS... CUR`
 * it calls, which prints one candidate per line: commands, resource types (from the discovery
 * cache), resource names (listed from the server) and namespaces after -n/--namespace.
 */
import { Flags, parseArgs } from '../args';
import { Ctx, Io } from '../context';
import { ApiResource, resourcePath } from '../discovery';
import { cliError } from '../errors';

const BASH = `# bash completion for skiffctl                              -*- shell-script -*-
# Load with: source <(skiffctl completion bash)

__skiffctl_complete()
{
    local cur="\${COMP_WORDS[COMP_CWORD]}"
    local IFS=$'\\n'
    local out
    out=$("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:$((COMP_CWORD-1))}" "\${cur}" 2>/dev/null) || return 0
    COMPREPLY=( $(compgen -W "\${out}" -- "\${cur}") )
}

complete -o default -F __skiffctl_complete skiffctl
`;

/** Commands whose first argument is a resource type and later ones names of that type. */
const RESOURCE_COMMANDS = new Set(['get', 'describe', 'delete', 'label', 'annotate', 'scale', 'patch', 'edit']);

export async function completion(ctx: Ctx, args: string[]): Promise<number> {
  const shell = args[0];
  if (args.length === 0) throw cliError('Shell not specified.\nSee \'skiffctl completion -h\' for help and examples');
  if (args.length > 1) throw cliError('Too many arguments. Expected only the shell type.\nSee \'skiffctl completion -h\' for help and examples');
  if (shell !== 'bash') throw cliError(`Unsupported shell type "${shell}".`);
  ctx.out(BASH);
  return 0;
}

function typeName(r: ApiResource): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** `words` is what follows `__complete`: the command line so far, the word being completed last. */
export async function complete(words: string[], io: Io, env: NodeJS.ProcessEnv, commands: string[]): Promise<void> {
  const cur = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const prev = before[before.length - 1];
  const nsValue = prev === '-n' || prev === '--namespace';
  const parsed = parseArgs(nsValue ? before.slice(0, -1) : before);
  const ctx = new Ctx(new Flags(parsed.flags), 'get', io, env);
  const print = (xs: string[]): void => { io.stdout(xs.filter((x) => x.startsWith(cur)).map((x) => `${x}\n`).join('')); };
  try {
    const names = async (r: ApiResource, allNs: boolean): Promise<string[]> => {
      const list = await ctx.client().get<{ items?: { metadata?: { name?: string } }[] }>(resourcePath(r, allNs || !r.namespaced ? undefined : ctx.namespace, undefined), { query: { limit: '500' } });
      return (list.items ?? []).map((o) => o.metadata?.name ?? '').filter((n) => n !== '');
    };
    if (nsValue) {
      const disc = ctx.discovery();
      print(await names(await disc.resolve('namespaces'), true));
      return;
    }
    if (cur.startsWith('-')) return;
    const [cmd, ...rest] = parsed.positional;
    if (cmd === undefined) { print(commands); return; }
    if (!RESOURCE_COMMANDS.has(cmd)) return;
    const disc = ctx.discovery();
    if (rest.length === 0 && cur.includes('/')) {
      const [type] = cur.split('/');
      const r = await disc.resolve(type ?? '');
      print((await names(r, ctx.flags.bool('all-namespaces'))).map((n) => `${type}/${n}`));
      return;
    }
    if (rest.length === 0) {
      await disc.load();
      print([...new Set(disc.preferredResources().filter((r) => r.verbs.includes('list')).map(typeName))].sort());
      return;
    }
    const first = rest[0] ?? '';
    if (first.includes('/')) return;
    const r = await disc.resolve(first.split(',')[0] ?? '');
    print(await names(r, ctx.flags.bool('all-namespaces')));
  } finally {
    ctx.close();
  }
}
