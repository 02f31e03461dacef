/** rollout status: kubectl's status viewers for deployments, daemon sets and stateful sets, over a watch. */
import { Ctx } from '../context';
import { ApiResource, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

interface Status { msg: string; done: boolean }

export function statusOf(obj: Any): Status {
  const name = obj.metadata?.name;
  const gen = obj.metadata?.generation ?? 0;
  const st = obj.status ?? {};
  switch (obj.kind) {
    case 'Deployment': {
      if (gen <= (st.observedGeneration ?? 0)) {
        const prog = (st.conditions ?? []).find((c: Any) => c.type === 'Progressing');
        if (prog?.reason === 'ProgressDeadlineExceeded') throw cliError(`deployment "${name}" exceeded its progress deadline`);
        const want = obj.spec?.replicas;
        const upd = st.updatedReplicas ?? 0;
        if (want !== undefined && upd < want) return { msg: `Waiting for deployment "${name}" rollout to finish: ${upd} out of ${want} new replicas have been updated...\n`, done: false };
        if ((st.replicas ?? 0) > upd) return { msg: `Waiting for deployment "${name}" rollout to finish: ${(st.replicas ?? 0) - upd} old replicas are pending termination...\n`, done: false };
        if ((st.availableReplicas ?? 0) < upd) return { msg: `Waiting for deployment "${name}" rollout to finish: ${st.availableReplicas ?? 0} of ${upd} updated replicas are available...\n`, done: false };
        return { msg: `deployment "${name}" successfully rolled out\n`, done: true };
      }
      return { msg: 'Waiting for deployment spec update to be observed...\n', done: false };
    }
    case 'DaemonSet': {
      if (obj.spec?.updateStrategy?.type !== 'RollingUpdate') throw cliError('rollout status is only available for RollingUpdate strategy type');
      if (gen <= (st.observedGeneration ?? 0)) {
        const desired = st.desiredNumberScheduled ?? 0;
        if ((st.updatedNumberScheduled ?? 0) < desired) return { msg: `Waiting for daemon set "${name}" rollout to finish: ${st.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated...\n`, done: false };
        if ((st.numberAvailable ?? 0) < desired) return { msg: `Waiting for daemon set "${name}" rollout to finish: ${st.numberAvailable ?? 0} of ${desired} updated pods are available...\n`, done: false };
        return { msg: `daemon set "${name}" successfully rolled out\n`, done: true };
      }
      return { msg: 'Waiting for daemon set spec update to be observed...\n', done: false };
    }
    case 'StatefulSet': {
      if (!st.observedGeneration || gen > st.observedGeneration) return { msg: 'Waiting for statefulset spec update to be observed...\n', done: false };
      const want = obj.spec?.replicas;
      if (want !== undefined && (st.readyReplicas ?? 0) < want) return { msg: `Waiting for ${want - (st.readyReplicas ?? 0)} pods to be ready...\n`, done: false };
      const us = obj.spec?.updateStrategy;
      if (us?.type === 'RollingUpdate' && us.rollingUpdate) {
        if (want !== undefined && us.rollingUpdate.partition !== undefined && (st.updatedReplicas ?? 0) < want - us.rollingUpdate.partition) {
          return { msg: `Waiting for partitioned roll out to finish: ${st.updatedReplicas ?? 0} out of ${want - us.rollingUpdate.partition} new pods have been updated...\n`, done: false };
        }
        return { msg: `partitioned roll out complete: ${st.updatedReplicas ?? 0} new pods have been updated...\n`, done: true };
      }
      if (st.updateRevision !== st.currentRevision) return { msg: `waiting for statefulset rolling update to complete ${st.updatedReplicas ?? 0} pods at revision ${st.updateRevision ?? ''}...\n`, done: false };
      return { msg: `statefulset rolling update complete ${st.currentReplicas ?? 0} pods at revision ${st.currentRevision ?? ''}...\n`, done: true };
    }
    default:
      throw cliError(`no status viewer has been implemented for ${obj.kind}`);
  }
}

export function parseDuration(s: string): number {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) total += Number(m[1]) * ({ ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] as 'ms' | 's' | 'm' | 'h']);
  return total;
}

/** Prints the status of each Added/Modified event (kubectl does not de-duplicate) until done, deleted or timed out. */
export async function rolloutStatus(ctx: Ctx, r: ApiResource, obj: Any): Promise<void> {
  if (!['Deployment', 'DaemonSet', 'StatefulSet'].includes(r.kind)) throw cliError(`no status viewer has been implemented for ${r.kind}`);
  const watch = ctx.flags.bool('watch', true);
  if (!watch) {
    ctx.out(statusOf(obj).msg);
    return;
  }
  const timeoutMs = parseDuration(ctx.flags.str('timeout') ?? '0s');
  const name = obj.metadata.name;
  const path = resourcePath(r, obj.metadata.namespace);
  let result: { ok: true } | { err: Error } | undefined;
  let w: { done: Promise<void>; abort: () => void } | undefined;
  const finish = (v: { ok: true } | { err: Error }): void => { if (!result) { result = v; w?.abort(); } };
  // kubectl lists (the object as an Added event), then watches from the list's resourceVersion
  const list = await ctx.client().get<{ items?: Any[]; metadata?: { resourceVersion?: string } }>(path, { query: { fieldSelector: `metadata.name=${name}` } });
  const onObject = (o: Any): void => {
    if (result) return;
    try {
      const s = statusOf(o);
      ctx.out(s.msg);
      if (s.done) finish({ ok: true });
    } catch (e) {
      finish({ err: e as Error });
    }
  };
  for (const o of list.items ?? []) onObject({ kind: r.kind, ...o });
  if (result) {
    if ('err' in result) throw result.err;
    return;
  }
  const timer = timeoutMs > 0 ? setTimeout(() => finish({ err: cliError('timed out waiting for the condition') }), timeoutMs) : undefined;
  let rv = list.metadata?.resourceVersion;
  try {
    while (!result) {
      w = ctx.client().stream(path, { query: { fieldSelector: `metadata.name=${name}`, resourceVersion: rv, watch: 'true', allowWatchBookmarks: 'true' } }, (line) => {
        let ev: { type?: string; object?: Any };
        try { ev = JSON.parse(line) as typeof ev; } catch { return; }
        if (ev.object?.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion;
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') onObject(ev.object);
        else if (ev.type === 'DELETED') finish({ err: cliError('object has been deleted') });
      });
      await w.done;
    }
  } finally {
    if (timer) clearTimeout(timer);
  }
  const res = result as { ok: true } | { err: Error } | undefined;
  if (res && 'err' in res) throw res.err instanceof CliError ? res.err : cliError(res.err.message);
}
