import type { Container, Pod, Probe } from 'kubernetes-types/core/v1';
import { containerFieldPath, type EventRecorder } from '../events';
import type { Logger } from '../logger';
import { nullLogger } from '../logger';
import type { ObservedPod } from '../pods/observed-pod';
import type { Runtime } from '../runtime/runtime';
import { applyProbeOutcome, FRESH_RUN_STATE, initialResult, probeTiming, type ProbeRunState, type ProbeTiming } from './probe-state';
import { ProbeError, runProbe, type ProbeRunner } from './probe-runner';
import type { ProbeResult, ProbeResultsView, ProbeType } from './probe-types';

export interface ProbeManagerOptions {
  runtime: Runtime;
  recorder: EventRecorder;
  /** A result changed for a pod: its worker should sync (restart, or publish readiness). */
  onChange: (podUid: string) => void;
  runner?: ProbeRunner;
  logger?: Logger;
}

interface ContainerView {
  id: string;
  running: boolean;
  terminated: boolean;
  startedAt?: string;
}

interface PodEntry {
  pod: Pod;
  podIP?: string;
  containers: Map<string, ContainerView>;
  workers: Map<string, ProbeWorker>;
}

const TYPE_LABEL: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/**
 * The prober: one worker per (pod, container, probe type); results by
 * container id. The pod worker feeds it what it observed after each sync and
 * reads results back (ProbeResultsView, failures()).
 */
export class ProbeManager implements ProbeResultsView {
  private readonly results = new Map<string, ProbeResult>();
  private readonly pods = new Map<string, PodEntry>();
  /** Container instances for which some probe has succeeded at least once. */
  private readonly everSucceeded = new Set<string>();
  private readonly runner: ProbeRunner;
  private readonly log: Logger;

  constructor(private readonly opts: ProbeManagerOptions) {
    this.runner = opts.runner ?? runProbe;
    this.log = (opts.logger ?? nullLogger).child({ component: 'prober' });
  }

  get(containerId: string, type: ProbeType): ProbeResult | undefined {
    return this.results.get(`${containerId}/${type}`);
  }

  /** Container ids of the pod whose liveness or startup verdict is Failure: to be restarted. */
  failures(podUid: string): Map<string, 'liveness' | 'startup'> {
    const out = new Map<string, 'liveness' | 'startup'>();
    const entry = this.pods.get(podUid);
    if (!entry) return out;
    for (const v of entry.containers.values()) {
      if (this.get(v.id, 'liveness') === 'Failure') out.set(v.id, 'liveness');
      else if (this.get(v.id, 'startup') === 'Failure') out.set(v.id, 'startup');
    }
    return out;
  }

  /** Called after every sync with what runs now; starts and stops workers. */
  updatePod(pod: Pod, observed: ObservedPod, hostIP?: string): void {
    const uid = pod.metadata?.uid ?? '';
    let entry = this.pods.get(uid);
    if (!entry) {
      entry = { pod, containers: new Map(), workers: new Map() };
      this.pods.set(uid, entry);
    }
    entry.pod = pod;
    const sb = observed.sandboxes[0];
    const ip = pod.spec?.hostNetwork ? hostIP : sb && sb.state === 'ready' ? sb.ips[0] : undefined;
    if (ip) entry.podIP = ip; else delete entry.podIP;
    entry.containers.clear();
    for (const c of observed.containers) {
      if (c.kind !== 'app' || entry.containers.has(c.name)) continue;
      const v: ContainerView = { id: c.id, running: c.state === 'running', terminated: c.state === 'exited' };
      if (c.startedAt) v.startedAt = c.startedAt;
      entry.containers.set(c.name, v);
    }
    const wanted = new Set<string>();
    for (const c of pod.spec?.containers ?? []) {
      for (const type of ['startup', 'liveness', 'readiness'] as const) {
        const probe = type === 'startup' ? c.startupProbe : type === 'liveness' ? c.livenessProbe : c.readinessProbe;
        if (!probe) continue;
        const key = `${c.name}/${type}`;
        wanted.add(key);
        if (!entry.workers.has(key)) {
          const w = new ProbeWorker(this, uid, c, type, probe);
          entry.workers.set(key, w);
          w.start();
        }
      }
    }
    for (const [key, w] of entry.workers) {
      if (!wanted.has(key)) { w.stop(); entry.workers.delete(key); }
    }
  }

  removePod(uid: string): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    for (const w of entry.workers.values()) w.stop();
    for (const key of [...this.results.keys()]) {
      if (belongsToPod(entry, key)) this.results.delete(key);
    }
    this.pods.delete(uid);
  }

  stop(): void {
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }

  // ---- for workers ----

  /** @internal */
  entry(uid: string): PodEntry | undefined {
    return this.pods.get(uid);
  }

  /** @internal */
  set(uid: string, containerId: string, type: ProbeType, result: ProbeResult): void {
    const key = `${containerId}/${type}`;
    if (this.results.get(key) === result) return;
    this.results.set(key, result);
    this.opts.onChange(uid);
  }

  /** @internal */
  remove(containerId: string, type: ProbeType): void {
    this.results.delete(`${containerId}/${type}`);
  }

  /** @internal The kubelet's "started": startup probe succeeded, or there is none. */
  started(containerId: string, c: Container): boolean {
    if (!c.startupProbe) return true;
    return this.get(containerId, 'startup') === 'Success';
  }

  /** @internal */
  async run(uid: string, c: Container, containerId: string, type: ProbeType, probe: Probe, timing: ProbeTiming): Promise<ProbeResult | undefined> {
    const entry = this.pods.get(uid);
    if (!entry) return undefined;
    try {
      const target = { runtime: this.opts.runtime, containerId, container: c, ...(entry.podIP ? { podIP: entry.podIP } : {}) };
      const o = await this.runner(probe, target, timing.timeoutSeconds);
      if (o.result === 'Failure') {
        this.opts.recorder.event(entry.pod, { type: 'Warning', reason: 'Unhealthy', message: `${TYPE_LABEL[type]} probe failed: ${o.output}`, fieldPath: containerFieldPath('app', c.name) });
      } else if (type !== 'startup') {
        this.everSucceeded.add(containerId);
      }
      return o.result;
    } catch (err) {
      const msg = err instanceof ProbeError || err instanceof Error ? err.message : String(err);
      this.log.debug('probe errored', { pod: entry.pod.metadata?.name, container: c.name, type, err: msg });
      this.opts.recorder.event(entry.pod, { type: 'Warning', reason: 'Unhealthy', message: `${TYPE_LABEL[type]} probe errored: ${msg}`, fieldPath: containerFieldPath('app', c.name) });
      return undefined;
    }
  }

  /** @internal A liveness kill of an instance that never passed a probe: suggest a startupProbe. */
  livenessKilled(uid: string, c: Container, containerId: string): void {
    const entry = this.pods.get(uid);
    if (!entry || c.startupProbe || this.everSucceeded.has(containerId)) return;
    this.opts.recorder.event(entry.pod, {
      type: 'Warning', reason: 'ProbeWarning', fieldPath: containerFieldPath('app', c.name),
      message: `Container ${c.name} failed its liveness probe before it ever became ready; if it needs time to start, add a startupProbe (or raise the liveness probe's initialDelaySeconds or failureThreshold)`,
    });
  }
}

function belongsToPod(entry: PodEntry, resultKey: string): boolean {
  const id = resultKey.slice(0, resultKey.lastIndexOf('/'));
  for (const v of entry.containers.values()) if (v.id === id) return true;
  return false;
}

/** One probe of one container: the kubelet's worker loop. */
class ProbeWorker {
  private state: ProbeRunState = { ...FRESH_RUN_STATE };
  private containerId?: string;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly timing: ProbeTiming;

  constructor(
    private readonly mgr: ProbeManager, private readonly uid: string, private readonly container: Container,
    private readonly type: ProbeType, private readonly probe: Probe,
  ) {
    this.timing = probeTiming(probe);
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    let next = this.timing.periodSeconds * 1000;
    try {
      const r = await this.doProbe();
      if (r === false) { this.stop(); return; }
      if (typeof r === 'number') next = r;
    } catch {
      // A worker never dies of a probe.
    }
    this.schedule(next);
  }

  /** false: stop the worker; a number: run again after that many ms. */
  private async doProbe(): Promise<boolean | number | void> {
    const entry = this.mgr.entry(this.uid);
    if (!entry) return false;
    const view = entry.containers.get(this.container.name);
    if (!view) return;
    if (this.containerId !== view.id) {
      if (this.containerId) this.mgr.remove(this.containerId, this.type);
      this.containerId = view.id;
      this.state = { ...FRESH_RUN_STATE };
      this.mgr.set(this.uid, view.id, this.type, initialResult(this.type));
    }
    if (this.state.onHold) return;
    if (!view.running) {
      this.mgr.set(this.uid, view.id, this.type, 'Failure');
      return !(view.terminated && entry.pod.spec?.restartPolicy === 'Never');
    }
    if (entry.pod.metadata?.deletionTimestamp && this.type !== 'readiness') {
      this.mgr.set(this.uid, view.id, this.type, 'Success');
      return false;
    }
    const since = view.startedAt ? Date.now() - Date.parse(view.startedAt) : 0;
    const delayMs = this.timing.initialDelaySeconds * 1000;
    if (since < delayMs) return Math.min(this.timing.periodSeconds * 1000, delayMs - since + 10);
    const started = this.mgr.started(view.id, this.container);
    if (started && this.type === 'startup') return;
    if (!started && this.type !== 'startup') return;
    const result = await this.mgr.run(this.uid, this.container, view.id, this.type, this.probe, this.timing);
    if (result === undefined || this.stopped || this.containerId !== view.id) return;
    const { state, publish } = applyProbeOutcome(this.type, this.timing, this.state, result);
    this.state = state;
    if (publish) {
      if (this.type === 'liveness' && publish === 'Failure') this.mgr.livenessKilled(this.uid, this.container, view.id);
      this.mgr.set(this.uid, view.id, this.type, publish);
    }
  }
}
