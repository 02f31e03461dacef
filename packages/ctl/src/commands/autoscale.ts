/**
 * autoscale: an autoscaling/v1 HorizontalPodAutoscaler for a scalable workload. kubectl 1.32 still
 * generates autoscaling/v1 (not v2), so skiffctl does the same.
 */
import { Ctx } from '../context';
import { ApiResource } from '../discovery';
import { cliError } from '../errors';
import { createAndPrint } from './expose';
import { klogCommandFailed, targets } from './misc';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** Resources that have a `scale` subresource. */
const SCALABLE = new Set(['apps/deployments', 'apps/replicasets', 'apps/statefulsets', '/replicationcontrollers']);

const HPA_V1: ApiResource = {
  group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', singular: 'horizontalpodautoscaler',
  namespaced: true, shortNames: ['hpa'], verbs: ['create'], categories: ['all'],
};

function intFlag(ctx: Ctx, name: string, def: number): number {
  const v = ctx.flags.str(name);
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(v)) throw cliError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

export async function autoscale(ctx: Ctx, args: string[]): Promise<number> {
  if (!ctx.flags.has('max')) throw klogCommandFailed('required flag(s) "max" not set');
  const max = intFlag(ctx, 'max', -1);
  const min = intFlag(ctx, 'min', -1);
  const cpu = intFlag(ctx, 'cpu-percent', -1);
  if (max < 1) throw cliError(`--max=MAXPODS is required and must be at least 1, max: ${max}`);
  if (max < min) throw cliError(`--max=MAXPODS must be larger or equal to --min=MINPODS, max: ${max}, min: ${min}`);
  if (args.length === 0) {
    throw cliError('You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   \'-f rsrc.yaml\'\n   \'--filename=rsrc.json\'\n   \'<resource> <name>\'\n   \'<resource>\'');
  }
  if (args.length === 1 && !args[0]?.includes('/')) throw cliError('resource(s) were provided, but no name was specified');
  const items = await targets(ctx, args);
  for (const { r, name } of items) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { resourcePath } = require('../discovery') as typeof import('../discovery');
    const obj = await ctx.client().get<Any>(resourcePath(r, ctx.namespace, name));
    if (!SCALABLE.has(`${r.group}/${r.resource}`)) {
      throw cliError(`cannot autoscale a ${r.group ? `${r.kind}.${r.group}` : r.kind}: could not find scale subresource for ${r.group}/${r.version}, Resource=${r.resource} in discovery information`);
    }
    const spec: Any = { scaleTargetRef: { kind: obj.kind ?? r.kind, name: obj.metadata?.name ?? name, apiVersion: r.group ? `${r.group}/${r.version}` : r.version } };
    if (min >= 1) spec.minReplicas = min;
    spec.maxReplicas = max;
    if (cpu >= 0) spec.targetCPUUtilizationPercentage = cpu;
    const hpa = {
      kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v1',
      metadata: { name: ctx.flags.str('name') || obj.metadata?.name || name, creationTimestamp: null },
      spec, status: { currentReplicas: 0, desiredReplicas: 0 },
    };
    await createAndPrint(ctx, HPA_V1, hpa, 'autoscaled');
  }
  return 0;
}
