/** skiffctl version, api-versions, api-resources */
import { Ctx } from '../context';
import { ApiResource } from '../discovery';
import { cliError } from '../errors';
import { printJson } from '../printers/gojson';
import { toGoYaml } from '../printers/goyaml';
import { tabwrite } from '../printers/tabwriter';

export const CLIENT_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-skiff.0.1.0',
  gitCommit: '',
  gitTreeState: '',
  buildDate: '',
  goVersion: '',
  compiler: 'node',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

export async function version(ctx: Ctx): Promise<number> {
  const output = ctx.flags.str('output');
  if (output !== undefined && output !== 'json' && output !== 'yaml') throw cliError(`--output must be 'yaml' or 'json'`);
  const clientOnly = ctx.flags.bool('client');
  let server: Record<string, unknown> | undefined;
  let failure: unknown;
  if (!clientOnly) {
    try {
      server = await ctx.client().get<Record<string, unknown>>('/version', { query: { timeout: '32s' } });
    } catch (e) {
      failure = e;
    }
  }
  if (output === undefined) {
    ctx.out(`Client Version: ${CLIENT_VERSION.gitVersion}\n`);
    if (server) ctx.out(`Server Version: ${String(server.gitVersion ?? '')}\n`);
  } else {
    const data: Record<string, unknown> = { clientVersion: CLIENT_VERSION };
    if (server) data.serverVersion = server;
    ctx.out(output === 'json' ? printJson(data) : toGoYaml(data));
  }
  if (failure) throw failure;
  return 0;
}

export async function apiVersions(ctx: Ctx): Promise<number> {
  const d = ctx.discovery();
  await d.load();
  ctx.out(d.apiVersions().map((v) => `${v}\n`).join(''));
  return 0;
}

export async function apiResources(ctx: Ctx): Promise<number> {
  const f = ctx.flags;
  const output = f.str('output');
  if (output !== undefined && output !== 'wide' && output !== 'name') throw cliError(`--output ${output} is not available`);
  const sortBy = f.str('sort-by');
  if (sortBy !== undefined && sortBy !== 'name' && sortBy !== 'kind') throw cliError(`--sort-by accepts only name or kind`);
  const d = ctx.discovery();
  await d.load();
  let list: ApiResource[] = d.preferredResources().filter((r) => !r.resource.includes('/'));
  if (f.has('namespaced')) list = list.filter((r) => r.namespaced === f.bool('namespaced'));
  const group = f.str('api-group');
  if (group !== undefined) list = list.filter((r) => r.group === group);
  const key = (r: ApiResource): string => (sortBy === 'name' ? r.resource : sortBy === 'kind' ? r.kind : r.group);
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  list = list.map((r, i) => ({ r, i })).sort((a, b) => cmp(key(a.r), key(b.r)) || cmp(a.r.resource, b.r.resource) || a.i - b.i).map((x) => x.r);
  if (output === 'name') {
    ctx.out(list.map((r) => (r.group ? `${r.resource}.${r.group}\n` : `${r.resource}\n`)).join(''));
    return 0;
  }
  const lines: string[] = [];
  if (!f.bool('no-headers')) lines.push(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(output === 'wide' ? ['VERBS', 'CATEGORIES'] : [])].join('\t'));
  for (const r of list) {
    const cells = [r.resource, r.shortNames.join(','), r.group ? `${r.group}/${r.version}` : r.version, String(r.namespaced), r.kind];
    if (output === 'wide') cells.push(r.verbs.join(','), r.categories.join(','));
    lines.push(cells.join('\t'));
  }
  if (lines.length) ctx.out(tabwrite(lines.join('\n') + '\n'));
  return 0;
}
