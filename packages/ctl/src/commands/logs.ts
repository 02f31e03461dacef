/** skiffctl logs: `POD [CONTAINER]`, `TYPE/NAME`, `-l`; -f, --tail, --since, --timestamps, -c, -p, --all-containers, --prefix. */
import { StringDecoder } from 'node:string_decoder';
import { ApiError } from '../client';
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { defaultContainer, findContainer, listPods, Pod, podForObject, podPath, sortPods } from './exec-pod-target';
import { streamGet, untilInterrupted, type RawStream } from './logs-stream';
import { parseGoDuration } from './wait-duration';

const USAGE_ERROR = "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples";

interface LogRequest { pod: Pod; container: string }

export async function logs(ctx: Ctx, args: string[]): Promise<number> {
  const f = ctx.flags;
  const selector = f.str('selector');
  if ((args.length === 0 && !selector) || args.length > 2 || (selector && args.length > 0)) {
    if (selector && args.length > 0) throw cliError('only a selector (-l) or a POD name is allowed');
    throw new CliError(USAGE_ERROR);
  }
  let container = f.str('container') ?? '';
  if (args.length === 2) container = args[1] as string;
  const allContainers = f.bool('all-containers');
  if (allContainers && container) throw cliError('--container cannot be combined with --all-containers');
  const query: [string, string][] = [];
  const follow = f.bool('follow');
  if (follow) query.push(['follow', 'true']);
  if (f.bool('previous')) query.push(['previous', 'true']);
  const since = f.str('since');
  const sinceTime = f.str('since-time');
  if (since && sinceTime) throw cliError('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (since) {
    const ms = parseGoDuration(since, 'since');
    if (ms <= 0) throw cliError('--since must be greater than 0');
    query.push(['sinceSeconds', String(Math.round(ms / 1000))]);
  }
  if (sinceTime) {
    if (Number.isNaN(Date.parse(sinceTime))) throw cliError(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTime}" as "2006"`);
    query.push(['sinceTime', sinceTime]);
  }
  if (f.bool('timestamps')) query.push(['timestamps', 'true']);
  let tail = f.has('tail') ? Number(f.str('tail')) : -1;
  if (!Number.isInteger(tail)) throw cliError(`invalid argument "${f.str('tail') ?? ''}" for "--tail" flag: strconv.ParseInt: parsing "${f.str('tail') ?? ''}": invalid syntax`);
  if (selector && tail === -1) tail = 10;
  if (tail >= 0) query.push(['tailLines', String(tail)]);
  const limitBytes = f.str('limit-bytes');
  if (limitBytes) query.push(['limitBytes', limitBytes]);
  const prefix = f.bool('prefix');
  const ns = ctx.namespace;

  let pods: Pod[];
  if (selector) {
    pods = sortPods(await listPods(ctx, ns, selector));
    if (pods.length === 0) {
      ctx.err(`No resources found in ${ns} namespace.\n`);
      return 0;
    }
  } else {
    try {
      const r = await podForObject(ctx, args[0] as string, ns);
      if (r.count > 1) ctx.err(`Found ${r.count} pods, using pod/${r.pod.metadata.name}\n`);
      pods = [r.pod];
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) throw cliError(`error from server (NotFound): ${e.message} in namespace "${ns}"`);
      throw e;
    }
  }

  const requests: LogRequest[] = [];
  for (const pod of pods) {
    if (allContainers) {
      for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers, ...(pod.spec.ephemeralContainers ?? [])]) requests.push({ pod, container: c.name });
      continue;
    }
    const name = container || defaultContainer(ctx, pod, false);
    if (!findContainer(pod, name)) throw cliError(`container ${name} is not valid for pod ${pod.metadata.name}`);
    requests.push({ pod, container: name });
  }
  const maxRequests = Number(f.str('max-log-requests') ?? '5');
  if (follow && requests.length > maxRequests) {
    throw cliError(`you are attempting to follow ${requests.length} log streams, but maximum allowed concurrency is ${maxRequests}, use --max-log-requests to increase the limit`);
  }

  const open: RawStream[] = [];
  const start = (r: LogRequest): RawStream => {
    const decoder = new StringDecoder('utf8');
    const label = `[pod/${r.pod.metadata.name}/${r.container}] `;
    let partial = '';
    const s = streamGet(ctx, podPath(r.pod.metadata.namespace ?? ns, r.pod.metadata.name, 'log'), [['container', r.container], ...query], (chunk) => {
      const text = decoder.write(chunk);
      if (!prefix) { ctx.out(text); return; }
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      if (lines.length) ctx.out(lines.map((l) => `${label}${l}\n`).join(''));
    });
    open.push(s);
    return { abort: s.abort, done: s.done.then(() => { const rest = partial + decoder.end(); if (rest) ctx.out(prefix ? `${label}${rest}` : rest); }) };
  };
  const work = (async (): Promise<void> => {
    if (follow) {
      // every stream at once; the first error ends the command
      await Promise.all(requests.map((r) => start(r).done));
    } else {
      for (const r of requests) await start(r).done;
    }
  })();
  // Ctrl-C: the streams are closed and, as kubectl's interrupt handler does, the exit code is 1
  const finished = await untilInterrupted(work.then(() => true), () => { for (const s of open) s.abort(); }, 'resolve');
  return finished ? 0 : 1;
}
