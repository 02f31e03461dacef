#!/usr/bin/env node
/** skiffctl: a kubectl-compatible CLI. Parses arguments, dispatches, maps errors to exit codes. */
import { Flags, parseArgs } from './args';
import { ApiError, formatApiError } from './client';
import { Ctx, Io } from './context';
import { CliError } from './errors';

type Cmd = (ctx: Ctx, args: string[]) => Promise<number>;

/* Command modules are loaded on first use: `get` must not pay for YAML parsing or patch schemas. */
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Cmd> = {
  get: () => (require('./commands/get') as typeof import('./commands/get')).get,
  version: () => (ctx) => (require('./commands/discovery-cmds') as typeof import('./commands/discovery-cmds')).version(ctx),
  'api-versions': () => (ctx) => (require('./commands/discovery-cmds') as typeof import('./commands/discovery-cmds')).apiVersions(ctx),
  'api-resources': () => (ctx) => (require('./commands/discovery-cmds') as typeof import('./commands/discovery-cmds')).apiResources(ctx),
  create: () => (require('./commands/modify') as typeof import('./commands/modify')).create,
  delete: () => (require('./commands/modify') as typeof import('./commands/modify')).del,
  label: () => (ctx, a) => (require('./commands/modify') as typeof import('./commands/modify')).labelOrAnnotate(ctx, a, 'labels'),
  annotate: () => (ctx, a) => (require('./commands/modify') as typeof import('./commands/modify')).labelOrAnnotate(ctx, a, 'annotations'),
  config: () => (require('./commands/config') as typeof import('./commands/config')).config,
  apply: () => (require('./commands/apply') as typeof import('./commands/apply')).apply,
  replace: () => (require('./commands/apply') as typeof import('./commands/apply')).replace,
  describe: () => (require('./commands/describe') as typeof import('./commands/describe')).describe,
  scale: () => (require('./commands/misc') as typeof import('./commands/misc')).scale,
  patch: () => (require('./commands/misc') as typeof import('./commands/misc')).patch,
  cordon: () => (ctx, a) => (require('./commands/misc') as typeof import('./commands/misc')).cordon(ctx, a, true),
  uncordon: () => (ctx, a) => (require('./commands/misc') as typeof import('./commands/misc')).cordon(ctx, a, false),
  taint: () => (require('./commands/misc') as typeof import('./commands/misc')).taint,
  rollout: () => (require('./commands/misc') as typeof import('./commands/misc')).rollout,
  'cluster-info': () => (require('./commands/misc') as typeof import('./commands/misc')).clusterInfo,
  completion: () => (require('./commands/completion') as typeof import('./commands/completion')).completion,
  logs: () => (require('./commands/logs') as typeof import('./commands/logs')).logs,
  exec: () => (require('./commands/exec') as typeof import('./commands/exec')).exec,
  attach: () => (require('./commands/attach') as typeof import('./commands/attach')).attach,
  top: () => (require('./commands/top') as typeof import('./commands/top')).top,
  wait: () => (require('./commands/wait') as typeof import('./commands/wait')).wait,
  drain: () => (require('./commands/drain') as typeof import('./commands/drain')).drain,
  cp: () => (require('./commands/cp') as typeof import('./commands/cp')).cp,
  'port-forward': () => (require('./commands/port-forward') as typeof import('./commands/port-forward')).portForward,
  set: () => (require('./commands/set') as typeof import('./commands/set')).set,
  expose: () => (require('./commands/expose') as typeof import('./commands/expose')).expose,
  autoscale: () => (require('./commands/autoscale') as typeof import('./commands/autoscale')).autoscale,
  auth: () => (require('./commands/auth') as typeof import('./commands/auth')).auth,
  edit: () => (require('./commands/edit') as typeof import('./commands/edit')).edit,
  diff: () => (require('./commands/diff') as typeof import('./commands/diff')).diff,
  explain: () => (require('./commands/explain') as typeof import('./commands/explain')).explain,
};
/* eslint-enable @typescript-eslint/no-require-imports */

const USAGE = `skiffctl controls a Skiff (Kubernetes-compatible) cluster.

Commands:
  get            Display one or many resources
  create         Create a namespace or config map
  delete         Delete resources by type and name
  label          Update the labels on a resource
  annotate       Update the annotations on a resource
  api-resources  Print the supported API resources on the server
  api-versions   Print the supported API versions on the server
  config         view, get-contexts, current-context, use-context
  version        Print the client and server version information
  completion     Output shell completion code for bash
  logs           Print the logs for a container in a pod
  exec           Execute a command in a container
  attach         Attach to a running container
  top            Display resource (CPU/memory) usage of pods or nodes
  wait           Wait for a specific condition on one or many resources
  drain          Drain node in preparation for maintenance
  cp             Copy files and directories to and from containers
  port-forward   Forward one or more local ports to a pod
  set            Set image, env or resources of a workload's pod template
  expose         Expose a pod, deployment, replica set or service as a new Service
  autoscale      Create a HorizontalPodAutoscaler for a deployment, replica set or stateful set
  auth           can-i (access checks), whoami
  edit           Edit a resource in $KUBE_EDITOR / $EDITOR and patch it
  diff           Diff the live objects against what apply -f would make of them
  explain        Documentation of a resource type and its fields (OpenAPI v3)
`;

function errorText(e: unknown): string {
  if (e instanceof CliError) return e.message;
  if (e instanceof ApiError) return formatApiError(e);
  return `error: ${(e as Error)?.message ?? String(e)}`;
}

/** Runs one command line; returns the exit code. Never calls process.exit. */
export async function run(argv: string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let ctx: Ctx | undefined;
  const hidden = argv.indexOf('__complete');
  if (hidden >= 0 && !argv.slice(0, hidden).some((a) => a in COMMANDS)) {
    // shell completion: never an error message, never a non-zero code
    try {
      const { complete } = require('./commands/completion') as typeof import('./commands/completion');
      await complete([...argv.slice(0, hidden), ...argv.slice(hidden + 1)], io, env, Object.keys(COMMANDS).sort());
    } catch {
      // nothing to offer
    }
    return 0;
  }
  try {
    const parsed = parseArgs(argv);
    const [cmd, ...args] = parsed.positional;
    const flags = new Flags(parsed.flags);
    if (cmd === undefined || cmd === 'help') {
      io.stdout(USAGE);
      return 0;
    }
    const fn = COMMANDS[cmd]?.();
    if (!fn) {
      io.stderr(`error: unknown command "${cmd}" for "skiffctl"\n`);
      return 1;
    }
    ctx = new Ctx(flags, cmd, io, env);
    return await fn(ctx, args);
  } catch (e) {
    const msg = errorText(e);
    io.stderr(msg.endsWith('\n') ? msg : `${msg}\n`);
    return e instanceof CliError ? e.exitCode : 1;
  } finally {
    ctx?.close();
  }
}

if (require.main === module) {
  void run(process.argv.slice(2), {
    stdout: (s) => { process.stdout.write(s); },
    stderr: (s) => { process.stderr.write(s); },
  }).then((code) => {
    process.exitCode = code;
  });
}
