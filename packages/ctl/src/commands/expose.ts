/** expose: a Service for a pod, deployment, replica set, replication controller or service, built as kubectl 1.32 builds it. */
import { Ctx } from '../context';
import { ApiResource, kindName, resourcePath } from '../discovery';
import { cliError } from '../errors';
import { targets } from './misc';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const EXPOSABLE = new Set(['/Pod', '/Service', '/ReplicationController', 'apps/Deployment', 'apps/ReplicaSet', 'extensions/Deployment', 'extensions/ReplicaSet']);

function podSpec(obj: Any): Any | undefined {
  return obj.kind === 'Pod' ? obj.spec : obj.spec?.template?.spec;
}

/** Ports in order of first appearance, and the protocols seen for each (kubectl's PortsForObject/ProtocolsForObject). */
function introspect(obj: Any): { ports: string[]; protocols: Map<string, string[]> } {
  const ports: string[] = [];
  const protocols = new Map<string, string[]>();
  const add = (port: unknown, proto: unknown): void => {
    const p = String(port);
    if (!ports.includes(p)) ports.push(p);
    const list = protocols.get(p) ?? [];
    const pr = String(proto || 'TCP');
    if (!list.includes(pr)) list.push(pr);
    protocols.set(p, list);
  };
  if (obj.kind === 'Service') for (const sp of (obj.spec?.ports ?? []) as Any[]) add(sp.port, sp.protocol);
  else for (const c of (podSpec(obj)?.containers ?? []) as Any[]) for (const cp of (c.ports ?? []) as Any[]) add(cp.containerPort, cp.protocol);
  return { ports, protocols };
}

function selectorFor(obj: Any): Record<string, string> {
  switch (obj.kind) {
    case 'Pod': {
      const l = obj.metadata?.labels ?? {};
      if (Object.keys(l).length === 0) throw new Error(`the pod has no labels and cannot be exposed`);
      return l;
    }
    case 'Service':
      if (!obj.spec?.selector || Object.keys(obj.spec.selector).length === 0) throw new Error(`the service has no pod selector set`);
      return obj.spec.selector;
    case 'ReplicationController': return obj.spec?.selector ?? {};
    default: {
      const sel = obj.spec?.selector ?? {};
      if ((sel.matchExpressions ?? []).length) throw new Error(`couldn't convert expressions - "${JSON.stringify(sel.matchExpressions)}" to map-based selector format`);
      return sel.matchLabels ?? {};
    }
  }
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw cliError(`invalid label spec: ${part}`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

function intOrString(s: string): number | string {
  return /^-?\d+$/.test(s) ? Number(s) : s;
}

export async function expose(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length === 0) {
    throw cliError('You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   \'-f rsrc.yaml\'\n   \'--filename=rsrc.json\'\n   \'<resource> <name>\'\n   \'<resource>\'');
  }
  if (args.length === 1 && !args[0]?.includes('/')) throw cliError('resource(s) were provided, but no name was specified');
  const items = await targets(ctx, args);
  const client = ctx.client();
  const svcRes = await ctx.discovery().resolve('services');
  for (const { r, name } of items) {
    const obj = await client.get<Any>(resourcePath(r, ctx.namespace, name));
    if (!EXPOSABLE.has(`${r.group}/${r.kind}`)) throw cliError(`cannot expose a ${r.group ? `${r.kind}.${r.group}` : r.kind}`);
    const service = buildService(ctx, obj);
    await createAndPrint(ctx, svcRes, service);
  }
  return 0;
}

function buildService(ctx: Ctx, obj: Any): Any {
  const f = ctx.flags;
  let port = f.str('port') ?? '';
  let protocols = new Map<string, string[]>();
  const found = introspect(obj);
  if (!port) {
    if (found.ports.length === 0) throw cliError('couldn\'t find port via --port flag or introspection');
    port = found.ports.join(',');
  }
  protocols = found.protocols;
  let selector: Record<string, string>;
  try {
    selector = f.str('selector') ? parseLabels(f.str('selector') as string) : selectorFor(obj);
  } catch (e) {
    throw cliError(`couldn't retrieve selectors via --selector flag or introspection: ${(e as Error).message}\nSee 'kubectl expose -h' for help and examples`);
  }
  const labelsFlag = f.str('labels');
  const labels: Record<string, string> | undefined = labelsFlag ? parseLabels(labelsFlag) : (Object.keys(obj.metadata?.labels ?? {}).length ? { ...obj.metadata.labels } : undefined);
  const name = f.str('name') || obj.metadata?.name;
  const ports: Any[] = [];
  const list = port.split(',').map((p) => p.trim()).filter((p) => p);
  const target = f.str('target-port');
  list.forEach((p, i) => {
    const n = Number(p);
    if (!/^\d+$/.test(p)) throw cliError(`invalid port: ${p}`);
    const base = list.length > 1 ? `port-${i + 1}` : (f.str('port-name') ?? '');
    const protos = f.str('protocol') ? [f.str('protocol') as string] : (protocols.get(p) ?? ['TCP']);
    for (const proto of protos) {
      const sp: Any = {};
      const pn = protos.length > 1 ? `${base || `port-${i + 1}`}-${proto.toLowerCase()}` : base;
      if (pn) sp.name = pn;
      sp.protocol = proto;
      sp.port = n;
      sp.targetPort = target ? intOrString(target) : n;
      ports.push(sp);
    }
  });
  const metadata: Any = { name, creationTimestamp: null };
  if (labels) metadata.labels = labels;
  const spec: Any = { ports, selector };
  const cip = f.str('cluster-ip');
  if (cip) spec.clusterIP = cip;
  const type = f.str('type');
  if (type) spec.type = type;
  const ext = f.str('external-ip');
  if (ext) spec.externalIPs = [ext];
  const aff = f.str('session-affinity');
  if (aff) spec.sessionAffinity = aff;
  if (type === 'LoadBalancer' && f.str('load-balancer-ip')) spec.loadBalancerIP = f.str('load-balancer-ip');
  return { kind: 'Service', apiVersion: 'v1', metadata, spec, status: { loadBalancer: {} } };
}

/** Creates (or, with --dry-run=client, only prints) a generated object: `<kind>/<name> <verb>`. */
export async function createAndPrint(ctx: Ctx, r: ApiResource, obj: Any, verb = 'exposed'): Promise<void> {
  const dry = ctx.flags.str('dry-run');
  const o = ctx.flags.str('output');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { printJson } = require('../printers/gojson') as typeof import('../printers/gojson');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { toGoYaml } = require('../printers/goyaml') as typeof import('../printers/goyaml');
  let out: Any = obj;
  let suffix = '';
  if (dry === 'client' || dry === 'true') suffix = ' (dry run)';
  else {
    const body = { ...obj };
    delete body.status;
    body.metadata = { ...obj.metadata };
    delete body.metadata.creationTimestamp;
    out = await ctx.client().request('POST', resourcePath(r, r.namespaced ? ctx.namespace : undefined), {
      body, query: { fieldManager: ctx.flags.str('field-manager') ?? `kubectl-${ctx.command}`, dryRun: dry === 'server' ? 'All' : undefined },
    });
    if (dry === 'server') suffix = ' (server dry run)';
    if (out?.metadata) delete out.metadata.managedFields;
  }
  const name = out?.metadata?.name ?? obj.metadata?.name;
  if (!o) ctx.out(`${kindName(r)}/${name} ${verb}${suffix}\n`);
  else if (o === 'name') ctx.out(`${kindName(r)}/${name}\n`);
  else if (o === 'json') ctx.out(printJson(out, false));
  else if (o === 'yaml') ctx.out(toGoYaml(JSON.parse(JSON.stringify(out))));
  else throw cliError(`unable to match a printer suitable for the output format "${o}", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml`);
}
