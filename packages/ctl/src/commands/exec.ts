/** skiffctl exec POD|TYPE/NAME [-c C] [-i] [-t] -- COMMAND [args...] */
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { defaultContainer, podForObject, podPath } from './exec-pod-target';
import { channelSession, exitCodeOf, localTerminal } from './exec-websocket';
import { untilInterrupted } from './logs-stream';

/** -i / -t as kubectl's StreamOptions.SetupTTY settles them (a tty needs stdin to be a terminal). */
export function streamSetup(ctx: Ctx): { stdin: boolean; tty: boolean } {
  const stdin = ctx.flags.bool('stdin');
  let tty = ctx.flags.bool('tty');
  if (!stdin) return { stdin, tty: false };
  if (tty && !process.stdin.isTTY) {
    tty = false;
    if (!ctx.flags.bool('quiet')) ctx.err('Unable to use a TTY - input is not a terminal or the right kind of file\n');
  }
  return { stdin, tty };
}

export async function exec(ctx: Ctx, args: string[]): Promise<number> {
  const [target, ...command] = args;
  if (!target) throw new CliError("error: expected 'exec (POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]'.\nPOD or TYPE/NAME is a required argument for the exec command\nSee 'kubectl exec -h' for help and examples");
  // `exec POD CMD` (no `--`) is refused by kubectl; only the real command line shows the `--`
  const fromCli = (require.main?.filename ?? '').endsWith('main.js') && process.argv.slice(2).includes('exec');
  if (command.length > 0 && fromCli && !process.argv.includes('--')) {
    throw new CliError("error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples");
  }
  if (command.length === 0) throw cliError('you must specify at least one command for the container');
  const ns = ctx.namespace;
  const { pod } = await podForObject(ctx, target, ns);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw cliError(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  const quiet = ctx.flags.bool('quiet');
  const container = ctx.flags.str('container') || defaultContainer(ctx, pod, quiet);
  const { stdin, tty } = streamSetup(ctx);
  const query: [string, string][] = command.map((c) => ['command', c]);
  query.push(['container', container]);
  if (!tty) query.push(['stderr', 'true']);
  if (stdin) query.push(['stdin', 'true']);
  query.push(['stdout', 'true']);
  if (tty) query.push(['tty', 'true']);
  const term = tty ? localTerminal() : undefined;
  try {
    const session = channelSession(ctx, podPath(pod.metadata.namespace ?? ns, pod.metadata.name, 'exec'), query, {
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
