/** create secret|deployment|service|job|cronjob: the objects kubectl's generators build. */
import { readFileSync, statSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ApiError } from '../client';
import { Ctx } from '../context';
import { CliError, cliError } from '../errors';
import { printJson } from '../printers/gojson';
import { toGoYaml } from '../printers/goyaml';

type Gen = (ctx: Ctx, args: string[]) => Promise<number>;

function oneName(args: string[], sub: string): string {
  if (args.length !== 1 || !args[0]) throw new CliError(`error: exactly one NAME is required, got ${args.length}\nSee 'kubectl create ${sub} -h' for help and examples`);
  return args[0];
}

function required(ctx: Ctx, ...names: string[]): void {
  const missing = names.filter((n) => !ctx.flags.has(n));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (missing.length) throw (require('./misc') as typeof import('./misc')).klogCommandFailed(`required flag(s) ${missing.map((n) => `"${n}"`).join(', ')} not set`);
}

async function post(ctx: Ctx, path: string, body: Record<string, unknown>, shown: string, failPrefix?: string): Promise<number> {
  const dry = ctx.flags.str('dry-run');
  let obj: unknown = body;
  if (dry !== 'client') {
    try {
      obj = await ctx.client().request('POST', path, { query: { fieldManager: 'kubectl-create', fieldValidation: 'Strict', ...(dry === 'server' ? { dryRun: 'All' } : {}) }, body });
    } catch (e) {
      if (e instanceof ApiError && failPrefix) throw cliError(`${failPrefix}${failPrefix.endsWith('secret') ? ' ' : ': '}${e.message}`);
      throw e;
    }
  }
  const o = ctx.flags.str('output');
  const suffix = dry === 'client' ? ' (dry run)' : dry === 'server' ? ' (server dry run)' : '';
  if (!o) ctx.out(`${shown} created${suffix}\n`);
  else if (o === 'name') ctx.out(`${shown}\n`);
  else if (o === 'json') ctx.out(printJson(obj, dry !== 'client'));
  else if (o === 'yaml') ctx.out(toGoYaml(obj));
  else throw cliError(`unable to match a printer suitable for the output format "${o}"`);
  return 0;
}

const nsPath = (ctx: Ctx, group: string, res: string): string =>
  `${group ? `/apis/${group}` : '/api/v1'}/namespaces/${encodeURIComponent(ctx.namespace)}/${res}`;

function containerName(image: string): string {
  let name = image.split('/').pop() ?? image;
  if (name.includes(':')) name = name.split(':')[0] ?? name;
  if (name.includes('@')) name = name.split('@')[0] ?? name;
  if (/[_.]/.test(name)) {
    // sanitizeAndUniquify: a random suffix keeps sanitised names apart
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
    name = `${name.replace(/[_.]/g, '-')}-${suffix}`;
  }
  return name;
}

function literalData(ctx: Ctx, what: string, name: string): Record<string, string> {
  const data: Record<string, string> = {};
  const add = (k: string, v: Buffer): void => {
    if (k in data) throw cliError(`cannot add key ${k}, another key by that name already exists in Data for ${what} "${name}"`);
    data[k] = v.toString('base64');
  };
  for (const lit of ctx.flags.arr('from-literal')) {
    const eq = lit.indexOf('=');
    if (eq <= 0) throw cliError(`invalid literal source ${lit}, expected key=value`);
    add(lit.slice(0, eq), Buffer.from(lit.slice(eq + 1)));
  }
  for (const src of ctx.flags.arr('from-file')) {
    const eq = src.indexOf('=');
    const key = eq > 0 ? src.slice(0, eq) : undefined;
    const path = eq > 0 ? src.slice(eq + 1) : src;
    let st;
    try { st = statSync(path); } catch { throw cliError(`error reading ${path}: no such file or directory`); }
    if (st.isDirectory()) {
      for (const f of readdirSync(path).sort()) {
        const p = join(path, f);
        if (statSync(p).isFile()) add(f, readFileSync(p));
      }
    } else add(key ?? basename(path), readFileSync(path));
  }
  return data;
}

const secretGeneric: Gen = async (ctx, args) => {
  const name = oneName(args, 'secret generic');
  const data = literalData(ctx, 'Secret', name);
  const body: Record<string, unknown> = { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: ctx.namespace } };
  if (Object.keys(data).length) body.data = data;
  if (ctx.flags.str('type')) body.type = ctx.flags.str('type');
  return post(ctx, nsPath(ctx, '', 'secrets'), body, `secret/${name}`, 'failed to create secret');
};

const secretDocker: Gen = async (ctx, args) => {
  const name = oneName(args, 'secret docker-registry');
  if (ctx.flags.arr('from-file').length === 0) required(ctx, 'docker-username', 'docker-password');
  const server = ctx.flags.str('docker-server') ?? 'https://index.docker.io/v1/';
  const user = ctx.flags.str('docker-username') ?? '';
  const pass = ctx.flags.str('docker-password') ?? '';
  const entry: Record<string, string> = { username: user, password: pass };
  if (ctx.flags.str('docker-email')) entry.email = ctx.flags.str('docker-email') as string;
  entry.auth = Buffer.from(`${user}:${pass}`).toString('base64');
  const cfg = JSON.stringify({ auths: { [server]: entry } });
  const body = { kind: 'Secret', apiVersion: 'v1', metadata: { name, namespace: ctx.namespace }, data: { '.dockerconfigjson': Buffer.from(cfg).toString('base64') }, type: 'kubernetes.io/dockerconfigjson' };
  return post(ctx, nsPath(ctx, '', 'secrets'), body, `secret/${name}`, 'failed to create secret');
};

const secret: Gen = async (ctx, args) => {
  const [sub, ...rest] = args;
  if (sub === 'generic') return secretGeneric(ctx, rest);
  if (sub === 'docker-registry') return secretDocker(ctx, rest);
  if (sub === undefined) throw cliError(`Unexpected args: []\nSee 'kubectl create secret -h' for help and examples`);
  throw cliError(`unknown command "${args.join(' ')}"\nSee 'kubectl create secret -h' for help and examples`);
};

const deployment: Gen = async (ctx, args) => {
  const name = args[0];
  if (!name) throw new CliError(`error: exactly one NAME is required, got 0\nSee 'kubectl create deployment -h' for help and examples`);
  const command = args.slice(1);
  const images = ctx.flags.arr('image');
  if (images.length === 0) required(ctx, 'image');
  const port = ctx.flags.str('port');
  const containers = images.map((image) => {
    const c: Record<string, unknown> = { name: containerName(image), image };
    if (command.length) c.command = command;
    if (port !== undefined && port !== '-1') c.ports = [{ containerPort: Number(port) }];
    c.resources = {};
    return c;
  });
  if (port !== undefined && port !== '-1' && images.length > 1) throw cliError('cannot specify port with multiple images');
  const labels = { app: name };
  const body = {
    kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name, labels, namespace: ctx.namespace },
    spec: { replicas: Number(ctx.flags.str('replicas') ?? 1), selector: { matchLabels: labels }, template: { metadata: { creationTimestamp: null, labels }, spec: { containers } }, strategy: {} },
    status: {},
  };
  return post(ctx, nsPath(ctx, 'apps/v1', 'deployments'), body, `deployment.apps/${name}`, 'failed to create deployment');
};

function parsePorts(ctx: Ctx, nodePort: boolean): Record<string, unknown>[] {
  return ctx.flags.arr('tcp').map((spec) => {
    const [p, t] = spec.split(':');
    const port = Number(p);
    const target = t === undefined ? port : /^\d+$/.test(t) ? Number(t) : t;
    const e: Record<string, unknown> = { name: spec.replace(':', '-'), protocol: 'TCP', port, targetPort: target };
    if (nodePort && ctx.flags.str('node-port')) e.nodePort = Number(ctx.flags.str('node-port'));
    return e;
  });
}

const service: Gen = async (ctx, args) => {
  const [sub, ...rest] = args;
  const types: Record<string, string> = { clusterip: 'ClusterIP', nodeport: 'NodePort', loadbalancer: 'LoadBalancer' };
  const type = types[sub ?? ''];
  if (!type) {
    if (sub === undefined) throw cliError(`Unexpected args: []\nSee 'kubectl create service -h' for help and examples`);
    throw cliError(`unknown command "${sub}" for "kubectl create service"`);
  }
  const name = oneName(rest, `service ${sub}`);
  const clusterIp = ctx.flags.str('clusterip');
  if (ctx.flags.arr('tcp').length === 0 && clusterIp !== 'None') required(ctx, 'tcp');
  const spec: Record<string, unknown> = { ports: parsePorts(ctx, type === 'NodePort'), selector: { app: name }, type };
  if (clusterIp) spec.clusterIP = clusterIp;
  const body = { kind: 'Service', apiVersion: 'v1', metadata: { name, labels: { app: name }, namespace: ctx.namespace }, spec, status: { loadBalancer: {} } };
  return post(ctx, nsPath(ctx, '', 'services'), body, `service/${name}`, `failed to create ${type} service`);
};

const job: Gen = async (ctx, args) => {
  const name = args[0];
  if (!name) throw new CliError(`error: exactly one NAME is required, got 0\nSee 'kubectl create job -h' for help and examples`);
  const command = args.slice(1);
  if (ctx.flags.has('from')) throw cliError('create job --from is not supported by skiffctl');
  if (!ctx.flags.has('image')) throw cliError('either --image or --from must be specified');
  const c: Record<string, unknown> = { name, image: ctx.flags.arr('image')[0] };
  if (command.length) c.command = command;
  c.resources = {};
  const body = { kind: 'Job', apiVersion: 'batch/v1', metadata: { name, namespace: ctx.namespace }, spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: [c], restartPolicy: 'Never' } } }, status: {} };
  return post(ctx, nsPath(ctx, 'batch/v1', 'jobs'), body, `job.batch/${name}`, 'failed to create job');
};

const cronjob: Gen = async (ctx, args) => {
  const name = args[0];
  if (!name) throw new CliError(`error: exactly one NAME is required, got 0\nSee 'kubectl create cronjob -h' for help and examples`);
  required(ctx, 'image', 'schedule');
  const command = args.slice(1);
  const c: Record<string, unknown> = { name, image: ctx.flags.arr('image')[0] };
  if (command.length) c.command = command;
  c.resources = {};
  const body = {
    kind: 'CronJob', apiVersion: 'batch/v1', metadata: { name, namespace: ctx.namespace },
    spec: { schedule: ctx.flags.str('schedule'), jobTemplate: { metadata: { name, creationTimestamp: null }, spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: [c], restartPolicy: ctx.flags.str('restart') ?? 'OnFailure' } } } } },
    status: {},
  };
  return post(ctx, nsPath(ctx, 'batch/v1', 'cronjobs'), body, `cronjob.batch/${name}`, 'failed to create cronjob');
};

export const GENERATORS: Record<string, Gen> = {
  secret, deployment, deploy: deployment, service, svc: service, job, cronjob, cj: cronjob,
};
