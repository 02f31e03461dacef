import { deepCopy, deepEqual, findByKind, isStatusError, KObject, labelSelectorAsMatcher, LabelMatcher, StatusError } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import { keyOf, type ObjectCache } from '../informer/object-cache';
import type { Informer } from '../informer/informer';
import { WorkQueue } from '../informer/work-queue';
import { controllerRefOf, newControllerRef, ownerRefsPatch, resolveControllerRef } from '../common/controller-ref';
import { isPodTerminal, nowRFC3339 } from '../common/pod-state';
import {
  computeHash, copyAnnotations, creationMillis, DESIRED_REPLICAS, MAX_REPLICAS, PodTemplate, POD_TEMPLATE_HASH, REVISION, REVISION_HISTORY,
  revisionOf, templatesEqualIgnoringHash,
} from './deployment-util';
import { isComplete, newReplicaSetReplicas, proportionalScale, resolveFenceposts, RSCounts, scaleDownOldReplicaSets } from './rollout-math';

export const DEPLOYMENT = findByKind('apps/v1', 'Deployment')!;
const REPLICA_SET = findByKind('apps/v1', 'ReplicaSet')!;
const MAX_INT32 = 2147483647;

interface DSpec {
  replicas?: number;
  selector?: unknown;
  template?: PodTemplate;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  collisionCount?: number;
  conditions?: DeploymentCondition[];
}

interface RSSpecLike { replicas?: number; minReadySeconds?: number; template?: PodTemplate }
interface RSStatusLike { replicas?: number; readyReplicas?: number; availableReplicas?: number; observedGeneration?: number }

const spec = (d: KObject): DSpec => (d.spec ?? {}) as DSpec;
const rsSpec = (rs: KObject): RSSpecLike => (rs.spec ?? {}) as RSSpecLike;
const rsStatus = (rs: KObject): RSStatusLike => (rs.status ?? {}) as RSStatusLike;
const desiredOf = (d: KObject): number => spec(d).replicas ?? 1;
const replicasOf = (rs: KObject): number => rsSpec(rs).replicas ?? 0;

export interface DeploymentControllerDeps {
  deployments: ObjectCache;
  replicaSets: ObjectCache;
  /** Pods indexed by owner uid (`owner`), for Recreate's wait for old pods. */
  pods: ObjectCache;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
  queue?: WorkQueue;
  clock?: () => number;
}

/**
 * Deployments: one replica set per pod template (named `<deployment>-<pod-template-hash>`),
 * rolled with RollingUpdate (maxSurge/maxUnavailable) or Recreate, revision annotations,
 * revisionHistoryLimit, pause, proportional scaling, progress deadline and conditions.
 */
export class DeploymentController {
  readonly queue: WorkQueue;
  private readonly clock: () => number;

  constructor(private readonly d: DeploymentControllerDeps) {
    this.queue = d.queue ?? new WorkQueue();
    this.clock = d.clock ?? Date.now;
  }

  register(deployments: Informer, replicaSets: Informer, pods: Informer): void {
    deployments.addHandler({
      add: (o) => this.queue.add(keyOf(o)),
      update: (_a, o) => this.queue.add(keyOf(o)),
      delete: (o) => this.queue.add(keyOf(o)),
    });
    replicaSets.addHandler({
      add: (rs) => this.enqueueOwner(rs, true),
      update: (old, rs) => {
        this.enqueueOwner(old, false);
        this.enqueueOwner(rs, !deepEqual(old.metadata.labels, rs.metadata.labels));
      },
      delete: (rs) => this.enqueueOwner(rs, false),
    });
    pods.addHandler({
      delete: (pod) => {
        const rs = resolveControllerRef(controllerRefOf(pod), 'ReplicaSet', (n) => this.d.replicaSets.getByName(pod.metadata.namespace, n));
        if (rs) this.enqueueOwner(rs, false);
      },
    });
  }

  private ownerOf(rs: KObject): KObject | undefined {
    return resolveControllerRef(controllerRefOf(rs), 'Deployment', (n) => this.d.deployments.getByName(rs.metadata.namespace, n));
  }

  private enqueueOwner(rs: KObject, orMatching: boolean): void {
    const owner = this.ownerOf(rs);
    if (owner) return this.queue.add(keyOf(owner));
    if (!orMatching || controllerRefOf(rs)) return;
    for (const d of this.d.deployments.list(rs.metadata.namespace)) {
      const m = matcherOf(d);
      if (m && !m.isEmpty() && m.matches(rs.metadata.labels ?? {})) this.queue.add(keyOf(d));
    }
  }

  async reconcile(key: string): Promise<void> {
    const cached = this.d.deployments.get(key);
    if (!cached) return;
    const run = new DeploymentSync(this.d, deepCopy(cached), this.clock(), (ms) => this.queue.addAfter(key, ms));
    await run.sync();
  }
}

function matcherOf(d: KObject): LabelMatcher | undefined {
  try {
    return labelSelectorAsMatcher(spec(d).selector);
  } catch {
    return undefined;
  }
}

/** One reconcile of one deployment; keeps the latest written versions of the objects it touches. */
class DeploymentSync {
  private readonly rsCache: ObjectCache;

  constructor(private readonly deps: DeploymentControllerDeps, private dep: KObject, private readonly now: number, private readonly requeueAfter: (ms: number) => void) {
    this.rsCache = deps.replicaSets;
  }

  private get status(): DeploymentStatus {
    return (this.dep.status ?? {}) as DeploymentStatus;
  }

  async sync(): Promise<void> {
    const d = this.dep;
    const selector = matcherOf(d);
    if (!selector) return;
    if (selector.isEmpty()) {
      this.deps.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((this.status.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        await this.writeStatus({ ...this.status, observedGeneration: d.metadata.generation });
      }
      return;
    }
    const rsList = await this.claimReplicaSets(selector);
    if (d.metadata.deletionTimestamp) return this.syncStatusOnly(rsList);
    this.checkPausedConditions();
    if (spec(d).paused) return this.syncScale(rsList);
    if (this.isScalingEvent(rsList)) return this.syncScale(rsList);
    if (spec(d).strategy?.type === 'Recreate') return this.rolloutRecreate(rsList);
    return this.rolloutRolling(rsList);
  }

  // ---- ownership ------------------------------------------------------------------

  private async claimReplicaSets(selector: LabelMatcher): Promise<KObject[]> {
    const d = this.dep;
    const out: KObject[] = [];
    for (const rs of this.rsCache.list(d.metadata.namespace)) {
      const ref = controllerRefOf(rs);
      const matches = selector.matches(rs.metadata.labels ?? {});
      if (ref) {
        if (ref.uid !== d.metadata.uid) continue;
        if (matches || d.metadata.deletionTimestamp) { out.push(rs); continue; }
        if (rs.metadata.deletionTimestamp) continue;
        await this.deps.client.patch(REPLICA_SET, rs.metadata.namespace, rs.metadata.name!, 'merge', ownerRefsPatch(rs, (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid)));
        continue;
      }
      if (!matches || d.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
      const refs = [...(rs.metadata.ownerReferences ?? []), newControllerRef(d, 'apps/v1', 'Deployment')];
      const adopted = await this.deps.client.patch(REPLICA_SET, rs.metadata.namespace, rs.metadata.name!, 'merge', ownerRefsPatch(rs, refs));
      out.push(adopted.spec ? adopted : { ...rs, metadata: { ...rs.metadata, ownerReferences: refs } });
    }
    return out;
  }

  // ---- replica sets and revisions -----------------------------------------------------

  private fenceposts(): { surge: number; unavailable: number } {
    const s = spec(this.dep);
    if (s.strategy?.type === 'Recreate') return { surge: 0, unavailable: 0 };
    return resolveFenceposts(s.strategy?.rollingUpdate?.maxSurge, s.strategy?.rollingUpdate?.maxUnavailable, desiredOf(this.dep));
  }

  /** The replica set whose template is the deployment's (the oldest one if several). */
  private findNewReplicaSet(rsList: KObject[]): KObject | undefined {
    const tmpl = spec(this.dep).template;
    const hash = computeHash(tmpl ?? {}, this.status.collisionCount);
    const sorted = [...rsList].sort((a, b) => creationMillis(a) - creationMillis(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1));
    return sorted.find((rs) => templatesEqualIgnoringHash(rsSpec(rs).template, tmpl))
      ?? sorted.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash);
  }

  private async getAllReplicaSets(rsList: KObject[], create: boolean): Promise<{ newRS?: KObject; olds: KObject[] }> {
    const existing = this.findNewReplicaSet(rsList);
    const olds = rsList.filter((r) => r !== existing);
    const maxOld = Math.max(0, ...olds.map(revisionOf));
    const newRevision = maxOld + 1;
    let newRS: KObject | undefined;
    if (existing) {
      const copy = deepCopy(existing);
      let changed = copyAnnotations(this.dep, copy);
      const cur = revisionOf(copy);
      if (cur < newRevision) {
        const ann = { ...(copy.metadata.annotations ?? {}) };
        if (cur > 0) ann[REVISION_HISTORY] = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${cur}` : String(cur);
        ann[REVISION] = String(newRevision);
        copy.metadata.annotations = ann;
        changed = true;
      }
      const mrs = spec(this.dep).minReadySeconds ?? 0;
      if ((rsSpec(copy).minReadySeconds ?? 0) !== mrs) {
        (copy.spec as RSSpecLike).minReadySeconds = mrs;
        changed = true;
      }
      newRS = changed ? await this.deps.client.update(REPLICA_SET, copy) : existing;
      if (!this.progressingCondition()) {
        this.setCondition({ type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${newRS.metadata.name}"` });
      }
    } else if (create) {
      newRS = await this.createNewReplicaSet(olds, newRevision);
    }
    if (newRS) await this.setDeploymentRevision(String(revisionOf(newRS) || newRevision));
    return { newRS, olds };
  }

  private async createNewReplicaSet(olds: KObject[], revision: number): Promise<KObject> {
    const d = this.dep;
    const s = spec(d);
    const tmpl = deepCopy(s.template ?? {});
    const hash = computeHash(s.template ?? {}, this.status.collisionCount);
    tmpl.metadata = { ...(tmpl.metadata ?? {}), labels: { ...(tmpl.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
    const sel = deepCopy((s.selector ?? {}) as { matchLabels?: Record<string, string> });
    sel.matchLabels = { ...(sel.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const { surge } = this.fenceposts();
    const desired = desiredOf(d);
    const draft: KObject = { metadata: { name: `${d.metadata.name}-${hash}` }, spec: { replicas: 0 } };
    const replicas = s.strategy?.type === 'Recreate'
      ? desired
      : newReplicaSetReplicas({ desired, surge, unavailable: 0 }, counts(draft), olds.map(counts));
    const rs: KObject = {
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: { ...(tmpl.metadata.labels ?? {}) },
        annotations: { [REVISION]: String(revision), [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(desired + surge) },
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas, minReadySeconds: s.minReadySeconds ?? 0, selector: sel, template: tmpl },
    };
    copyAnnotations(d, rs);
    let created: KObject;
    try {
      created = await this.deps.client.create(REPLICA_SET, d.metadata.namespace, rs);
    } catch (e) {
      if (!(isStatusError(e) && e.reason === 'AlreadyExists')) throw e;
      const clash = this.rsCache.getByName(d.metadata.namespace, rs.metadata.name!);
      if (clash && controllerRefOf(clash)?.uid === d.metadata.uid && templatesEqualIgnoringHash(rsSpec(clash).template, s.template)) return clash;
      if (!clash) throw StatusError.conflict('replicasets', rs.metadata.name!, 'not yet in the cache; retrying', 'apps');
      // A different template hashed to the same name: bump the collision count and retry.
      await this.writeStatus({ ...this.status, collisionCount: (this.status.collisionCount ?? 0) + 1 });
      throw StatusError.conflict('replicasets', rs.metadata.name!, 'hash collision; collisionCount raised', 'apps');
    }
    if (replicas > 0) this.deps.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`);
    this.setCondition({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${created.metadata.name}"` });
    return created;
  }

  private async setDeploymentRevision(revision: string): Promise<void> {
    const d = this.dep;
    if (d.metadata.annotations?.[REVISION] === revision) return;
    const next = deepCopy(d);
    next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [REVISION]: revision };
    const status = this.dep.status;
    this.dep = await this.deps.client.update(DEPLOYMENT, next);
    // Keep the status we are building; the update does not change it.
    this.dep.status = status;
  }

  private async scaleReplicaSet(rs: KObject, to: number): Promise<KObject> {
    const d = this.dep;
    const from = replicasOf(rs);
    const desired = desiredOf(d);
    const max = desired + this.fenceposts().surge;
    const ann = rs.metadata.annotations ?? {};
    if (from === to && ann[DESIRED_REPLICAS] === String(desired) && ann[MAX_REPLICAS] === String(max)) return rs;
    const copy = deepCopy(rs);
    (copy.spec as RSSpecLike).replicas = to;
    copy.metadata.annotations = { ...ann, [DESIRED_REPLICAS]: String(desired), [MAX_REPLICAS]: String(max) };
    const out = await this.deps.client.update(REPLICA_SET, copy);
    if (from !== to) {
      this.deps.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`);
    }
    return out.spec ? out : copy;
  }

  // ---- strategies ---------------------------------------------------------------------

  private isScalingEvent(rsList: KObject[]): boolean {
    const desired = String(desiredOf(this.dep));
    return rsList.some((rs) => replicasOf(rs) > 0 && rs.metadata.annotations?.[DESIRED_REPLICAS] !== undefined && rs.metadata.annotations[DESIRED_REPLICAS] !== desired);
  }

  /** Scaling only (paused deployments and resizes): no new template is rolled out. */
  private async syncScale(rsList: KObject[]): Promise<void> {
    let { newRS, olds } = await this.getAllReplicaSets(rsList, false);
    const desired = desiredOf(this.dep);
    const all = [...(newRS ? [newRS] : []), ...olds];
    const active = all.filter((r) => replicasOf(r) > 0);
    const replace = (updated: KObject) => {
      if (newRS && updated.metadata.name === newRS.metadata.name) newRS = updated;
      olds = olds.map((o) => (o.metadata.name === updated.metadata.name ? updated : o));
    };
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...olds].sort((a, b) => revisionOf(b) - revisionOf(a))[0];
      if (target) replace(await this.scaleReplicaSet(target, desired));
    } else if (newRS && replicasOf(newRS) === desired && rsStatus(newRS).availableReplicas === desired) {
      for (const o of olds) if (replicasOf(o) > 0) replace(await this.scaleReplicaSet(o, 0));
    } else if (spec(this.dep).strategy?.type !== 'Recreate') {
      const plan = proportionalScale(desired, this.fenceposts().surge, all.map((r) => ({ ...counts(r), isNew: r === newRS })));
      for (const r of all) {
        const to = plan.get(r.metadata.name!);
        if (to !== undefined) replace(await this.scaleReplicaSet(r, to));
      }
    }
    if (spec(this.dep).paused) await this.cleanup(olds);
    await this.syncStatus([...(newRS ? [newRS] : []), ...olds], newRS, false);
  }

  private async rolloutRolling(rsList: KObject[]): Promise<void> {
    const got = await this.getAllReplicaSets(rsList, true);
    let newRS = got.newRS!;
    let olds = got.olds;
    const desired = desiredOf(this.dep);
    const { surge, unavailable } = this.fenceposts();
    const params = { desired, surge, unavailable };

    const target = newReplicaSetReplicas(params, counts(newRS), olds.map(counts));
    if (target !== replicasOf(newRS)) {
      newRS = await this.scaleReplicaSet(newRS, target);
      return this.syncStatus([newRS, ...olds], newRS, true);
    }
    const plan = scaleDownOldReplicaSets(params, counts(newRS), olds.filter((o) => replicasOf(o) > 0).map(counts));
    if (plan.size) {
      const next: KObject[] = [];
      for (const o of olds) {
        const to = plan.get(o.metadata.name!);
        next.push(to === undefined ? o : await this.scaleReplicaSet(o, to));
      }
      olds = next;
      return this.syncStatus([newRS, ...olds], newRS, true);
    }
    if (isComplete(desired, this.status, this.dep.metadata.generation ?? 0)) await this.cleanup(olds);
    return this.syncStatus([newRS, ...olds], newRS, true);
  }

  private async rolloutRecreate(rsList: KObject[]): Promise<void> {
    let { newRS, olds } = await this.getAllReplicaSets(rsList, false);
    const activeOlds = olds.filter((o) => replicasOf(o) > 0);
    if (activeOlds.length) {
      olds = await Promise.all(olds.map((o) => (replicasOf(o) > 0 ? this.scaleReplicaSet(o, 0) : o)));
      return this.syncStatus([...(newRS ? [newRS] : []), ...olds], newRS, true);
    }
    if (this.oldPodsRunning(olds)) return this.syncStatus([...(newRS ? [newRS] : []), ...olds], newRS, true);
    if (!newRS) newRS = (await this.getAllReplicaSets(rsList, true)).newRS!;
    if (replicasOf(newRS) !== desiredOf(this.dep)) newRS = await this.scaleReplicaSet(newRS, desiredOf(this.dep));
    if (isComplete(desiredOf(this.dep), this.status, this.dep.metadata.generation ?? 0)) await this.cleanup(olds);
    return this.syncStatus([newRS, ...olds], newRS, true);
  }

  private oldPodsRunning(olds: KObject[]): boolean {
    for (const o of olds) {
      if ((rsStatus(o).replicas ?? 0) > 0) return true;
      if (this.deps.pods.byIndex('owner', o.metadata.uid!).some((p) => !isPodTerminal(p))) return true;
    }
    return false;
  }

  /** Deletes old, empty replica sets beyond revisionHistoryLimit, oldest revision first. */
  private async cleanup(olds: KObject[]): Promise<void> {
    const limit = spec(this.dep).revisionHistoryLimit ?? 10;
    const alive = olds.filter((o) => !o.metadata.deletionTimestamp);
    let excess = alive.length - limit;
    if (excess <= 0) return;
    const cleanable = alive
      .filter((o) => replicasOf(o) === 0 && (rsStatus(o).replicas ?? 0) === 0 && (rsStatus(o).observedGeneration ?? 0) >= (o.metadata.generation ?? 0))
      .sort((a, b) => revisionOf(a) - revisionOf(b) || creationMillis(a) - creationMillis(b));
    for (const o of cleanable) {
      if (excess-- <= 0) break;
      try {
        await this.deps.client.delete(REPLICA_SET, o.metadata.namespace, o.metadata.name!, { preconditions: { uid: o.metadata.uid } });
      } catch (e) {
        if (!(isStatusError(e) && e.code === 404)) throw e;
      }
    }
  }

  // ---- status -------------------------------------------------------------------------

  private progressingCondition(): DeploymentCondition | undefined {
    return (this.status.conditions ?? []).find((c) => c.type === 'Progressing');
  }

  /** Sets a condition in the status being built; same status and reason leaves it untouched. */
  private setCondition(c: Omit<DeploymentCondition, 'lastUpdateTime' | 'lastTransitionTime'>, keepTransition = false): void {
    const st = { ...this.status };
    const conds = [...(st.conditions ?? [])];
    const cur = conds.find((x) => x.type === c.type);
    if (cur && cur.status === c.status && cur.reason === c.reason && cur.message === c.message && !keepTransition) return;
    const ts = nowRFC3339(this.now);
    const next: DeploymentCondition = { ...c, lastUpdateTime: ts, lastTransitionTime: cur && cur.status === c.status ? cur.lastTransitionTime ?? ts : ts };
    st.conditions = [...conds.filter((x) => x.type !== c.type), next];
    this.dep.status = st;
  }

  private checkPausedConditions(): void {
    const s = spec(this.dep);
    if (s.progressDeadlineSeconds === undefined || s.progressDeadlineSeconds === MAX_INT32) return;
    const cond = this.progressingCondition();
    if (cond?.reason === 'ProgressDeadlineExceeded') return;
    const pausedCond = cond?.reason === 'DeploymentPaused';
    if (s.paused && !pausedCond) this.setCondition({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    else if (!s.paused && pausedCond) this.setCondition({ type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' });
  }

  private calculateStatus(all: KObject[], newRS: KObject | undefined): DeploymentStatus {
    const d = this.dep;
    const sum = (f: (r: KObject) => number) => all.reduce((a, r) => a + f(r), 0);
    const available = sum((r) => rsStatus(r).availableReplicas ?? 0);
    const total = sum(replicasOf);
    const st: DeploymentStatus = {
      observedGeneration: d.metadata.generation,
      replicas: sum((r) => rsStatus(r).replicas ?? 0),
      updatedReplicas: newRS ? rsStatus(newRS).replicas ?? 0 : 0,
      readyReplicas: sum((r) => rsStatus(r).readyReplicas ?? 0),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
    };
    if (this.status.collisionCount !== undefined) st.collisionCount = this.status.collisionCount;
    st.conditions = this.status.conditions;
    const { unavailable } = this.fenceposts();
    this.dep.status = { ...this.status, ...st };
    if (available >= desiredOf(d) - unavailable) {
      this.setCondition({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    } else {
      this.setCondition({ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    }
    return this.status;
  }

  private async syncStatusOnly(rsList: KObject[]): Promise<void> {
    const { newRS, olds } = await this.getAllReplicaSets(rsList, false);
    await this.syncStatus([...(newRS ? [newRS] : []), ...olds], newRS, false);
  }

  /** Computes status (with the Progressing condition when `rollout`) and writes it if it changed. */
  private async syncStatus(all: KObject[], newRS: KObject | undefined, rollout: boolean): Promise<void> {
    const d = this.dep;
    const s = spec(d);
    const old = deepCopy((this.deps.deployments.get(keyOf(d))?.status ?? {}) as DeploymentStatus);
    const st = this.calculateStatus(all, newRS);
    const hasDeadline = s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds !== MAX_INT32;
    if (!hasDeadline) {
      this.dep.status = { ...st, conditions: (st.conditions ?? []).filter((c) => c.type !== 'Progressing') };
    }
    const desired = desiredOf(d);
    const complete = isComplete(desired, this.status, d.metadata.generation ?? 0);
    if (rollout && hasDeadline && !s.paused) {
      const name = newRS?.metadata.name;
      const cur = this.progressingCondition();
      if (complete) {
        this.setCondition({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${name}" has successfully progressed.` });
      } else if (progressed(old, this.status)) {
        this.setCondition({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: name ? `ReplicaSet "${name}" is progressing.` : 'Deployment is progressing.' }, true);
      } else if (cur && cur.reason !== 'NewReplicaSetAvailable' && cur.reason !== 'ProgressDeadlineExceeded' && cur.status !== 'Unknown'
        && Date.parse(cur.lastUpdateTime ?? '') + s.progressDeadlineSeconds! * 1000 < this.now) {
        this.setCondition({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${name}" has timed out progressing.` });
        this.deps.recorder.event(d, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${d.metadata.name}" has timed out progressing.`);
      }
    }
    // Wake up when the progress deadline passes.
    const cur = this.progressingCondition();
    if (rollout && hasDeadline && !complete && cur && cur.reason !== 'ProgressDeadlineExceeded' && cur.status === 'True') {
      const at = Date.parse(cur.lastUpdateTime ?? '') + s.progressDeadlineSeconds! * 1000 - this.now;
      if (at > 0) this.requeueAfter(at + 1000);
    }
    if (deepEqual(old, this.status)) return;
    await this.writeStatus(this.status);
  }

  private async writeStatus(status: DeploymentStatus): Promise<void> {
    const next = deepCopy(this.dep);
    next.status = status;
    const out = await this.deps.client.updateStatus(DEPLOYMENT, next);
    this.dep = out.metadata.resourceVersion ? out : next;
  }
}

function counts(rs: KObject): RSCounts {
  return { name: rs.metadata.name!, replicas: replicasOf(rs), available: rsStatus(rs).availableReplicas ?? 0, created: creationMillis(rs) };
}

/** Kubernetes' DeploymentProgressing: any observable step forward since the last status. */
function progressed(old: DeploymentStatus, cur: DeploymentStatus): boolean {
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (cur.replicas ?? 0) - (cur.updatedReplicas ?? 0);
  return (cur.updatedReplicas ?? 0) !== (old.updatedReplicas ?? 0) || newOld < oldOld
    || (cur.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (cur.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}
