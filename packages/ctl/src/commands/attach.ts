/** skiffctl attach POD|TYPE/NAME [-c C] [-i] [-t] */
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { defaultContainer, podForObject, podPath } from './exec-pod-target';
import { streamSetup } from './exec';
import { channelSession, exitCodeOf, localTerminal } from './exec-websocket';
import { untilInterrupted } from './logs-stream';

export async function attach(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length !== 1) {
    throw new CliError("error: expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw 0: []\nSee 'kubectl attach -h' for help and examples");
  }
  const ns = ctx.namespace;
  const { pod } = await podForObject(ctx, args[0] as string, ns);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw cliError(`cannot attach a container in a completed pod; current phase is ${phase}`);
  const quiet = ctx.flags.bool('quiet');
  const container = ctx.flags.str('container') || defaultContainer(ctx, pod, quiet);
  const { stdin, tty } = streamSetup(ctx);
  const query: [string, string][] = [['container', container]];
  if (!tty) query.push(['stderr', 'true']);
  if (stdin) query.push(['stdin', 'true']);
  query.push(['stdout', 'true']);
  if (tty) query.push(['tty', 'true']);
  const term = tty ? localTerminal() : undefined;
  if (!quiet) ctx.err("If you don't see a command prompt, try pressing enter.\n");
  try {
    const session = channelSession(ctx, podPath(pod.metadata.namespace ?? ns, pod.metadata.name, 'attach'), query, {
      stdin: stdin ? process.stdin : undefined,
      onStdout: (b) => { process.stdout.write(b); },
      onStderr: (b) => { process.stderr.write(b); },
      size: term?.size, onResize: term?.onResize,
    });
    const r = await untilInterrupted(session.done, () => { term?.restore(); session.close(); });
    await new Promise<void>((res) => process.stdout.write('', () => res()));
    return r ? exitCodeOf(ctx, r) : 130;
  } finally {
    term?.restore();
  }
}
