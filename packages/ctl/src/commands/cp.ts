/**
 * skiffctl cp: `POD:PATH LOCAL` runs `tar cf - PATH` in the container and unpacks it here;
 * `LOCAL POD:PATH` packs here and runs `tar -xmf - -C DIR` there (as kubectl does, via exec).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, posix, relative, resolve } from 'node:path';
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { makeTar, readTar } from './cp-tar';
import { defaultContainer, getPod, podPath } from './exec-pod-target';
import { channelSession, ChannelResult } from './exec-websocket';

interface Spec { ns?: string; pod?: string; path: string }

/** kubectl's extractFileSpec: `[ns/]pod:path` is remote, anything else local. */
function parseSpec(arg: string): Spec {
  const i = arg.indexOf(':');
  if (i <= 0) return { path: arg };
  const podPart = arg.slice(0, i);
  const path = arg.slice(i + 1);
  const slash = podPart.split('/');
  if (slash.length === 1) return { pod: podPart, path };
  if (slash.length === 2) return { ns: slash[0], pod: slash[1], path };
  throw cliError('filespec must match the canonical format: [[namespace/]pod:]file/path');
}

async function run(ctx: Ctx, ns: string, pod: string, container: string, command: string[], stdin: Buffer | undefined,
  onStdout: (b: Buffer) => void, onStderr: (b: Buffer) => void): Promise<ChannelResult> {
  const query: [string, string][] = command.map((c) => ['command', c]);
  query.push(['container', container], ['stderr', 'true']);
  if (stdin) query.push(['stdin', 'true']);
  query.push(['stdout', 'true']);
  return channelSession(ctx, podPath(ns, pod, 'exec'), query, { stdin, onStdout, onStderr }).done;
}

export async function cp(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length !== 2) throw new CliError("error: source and destination are required\nSee 'kubectl cp -h' for help and examples");
  const src = parseSpec(args[0] as string);
  const dest = parseSpec(args[1] as string);
  if (!src.pod && !dest.pod) throw cliError('one of src or dest must be a remote file specification');
  if (src.pod && dest.pod) throw cliError('one of src or dest must be a local file specification');
  if ((src.pod && src.path === '') || (dest.pod && dest.path === '')) throw cliError('filepath can not be empty');
  const remote = (src.pod ? src : dest) as Spec & { pod: string };
  const ns = remote.ns ?? ctx.namespace;
  const pod = await getPod(ctx, ns, remote.pod);
  const explicit = ctx.flags.str('container');
  return src.pod ? fromPod(ctx, ns, pod, explicit, src.path, dest.path) : toPod(ctx, ns, pod, explicit, src.path, dest.path);
}

async function fromPod(ctx: Ctx, ns: string, pod: Awaited<ReturnType<typeof getPod>>, explicit: string | undefined, remotePath: string, local: string): Promise<number> {
  // the exec's own messages (the defaulted container, tar's stderr) go to stdout, as kubectl wires them
  const container = explicit || defaultContainer({ err: (s: string) => ctx.out(s) } as unknown as Ctx, pod, false);
  const chunks: Buffer[] = [];
  const r = await run(ctx, ns, pod.metadata.name, container, ['tar', 'cf', '-', remotePath], undefined, (b) => chunks.push(b), (b) => ctx.out(b.toString('utf8')));
  // the prefix every entry starts with: the path without leading slashes, cleaned
  const prefix = posix.normalize(remotePath.replace(/^\/+/, '')).replace(/^(\.\.\/)+/, '').replace(/\/$/, '');
  const destRoot = resolve(local);
  for (const e of readTar(Buffer.concat(chunks))) {
    const name = e.name.replace(/^\/+/, '').replace(/\/$/, '');
    if (!name.startsWith(prefix)) throw cliError('tar contents corrupted');
    const rest = name.slice(prefix.length);
    const target = resolve(destRoot, `.${posix.normalize(`/${rest}`)}`);
    const rel = relative(destRoot, target);
    if (rel.startsWith('..')) {
      ctx.err(`warning: file "${target}" is outside target destination, skipping\n`);
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    if (e.type === 'dir') { mkdirSync(target, { recursive: true }); continue; }
    if (e.type === 'symlink') { ctx.err(`warning: skipping symlink: "${target}" -> "${e.linkname}"\n`); continue; }
    if (e.type !== 'file') continue;
    writeFileSync(target, e.data);
  }
  if (r.status && r.status.status !== 'Success' && chunks.length === 0 && r.status.reason !== 'NonZeroExitCode') {
    throw new CliError(`error: ${r.status.message ?? 'exec failed'}`);
  }
  return 0;
}

async function toPod(ctx: Ctx, ns: string, pod: Awaited<ReturnType<typeof getPod>>, explicit: string | undefined, local: string, remotePath: string): Promise<number> {
  if (!existsSync(local)) throw cliError(`${local} doesn't exist in local filesystem`);
  const quiet = { err: () => undefined } as unknown as Ctx;
  // is the destination a directory? (`test -d`, its messages discarded)
  const testContainer = explicit || defaultContainer(quiet, pod, true);
  let destFile = remotePath;
  const test = await run(ctx, ns, pod.metadata.name, testContainer, ['test', '-d', remotePath], undefined, () => undefined, () => undefined).catch(() => undefined);
  if (test && (!test.status || test.status.status === 'Success')) destFile = posix.join(remotePath, basename(resolve(local)));
  const container = explicit || defaultContainer(ctx, pod, false);
  const destDir = posix.dirname(destFile);
  const tar = makeTar(local, posix.basename(destFile));
  const cmd = ['tar', ...(ctx.flags.bool('no-preserve') ? ['--no-same-permissions', '--no-same-owner'] : []), '-xmf', '-'];
  if (destDir) cmd.push('-C', destDir);
  const r = await run(ctx, ns, pod.metadata.name, container, cmd, tar, (b) => ctx.out(b.toString('utf8')), (b) => ctx.err(b.toString('utf8')));
  const st = r.status;
  if (st && st.status !== 'Success') {
    if (st.reason === 'NonZeroExitCode') {
      const code = (st.details?.causes as { reason?: string; message?: string }[] | undefined)?.find((c) => c.reason === 'ExitCode')?.message ?? '1';
      throw cliError(`command terminated with exit code ${code}`);
    }
    throw cliError(st.message ?? 'exec failed');
  }
  return 0;
}
