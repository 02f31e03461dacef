import type { Probe } from 'kubernetes-types/core/v1';
import type { ProbeResult, ProbeType } from './probe-types';

/** Probe settings with Kubernetes' defaults applied. */
export interface ProbeTiming {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(p: Probe): ProbeTiming {
  return {
    initialDelaySeconds: p.initialDelaySeconds ?? 0,
    periodSeconds: p.periodSeconds && p.periodSeconds > 0 ? p.periodSeconds : 10,
    timeoutSeconds: p.timeoutSeconds && p.timeoutSeconds > 0 ? p.timeoutSeconds : 1,
    successThreshold: p.successThreshold && p.successThreshold > 0 ? p.successThreshold : 1,
    failureThreshold: p.failureThreshold && p.failureThreshold > 0 ? p.failureThreshold : 3,
  };
}

/** The verdict a probe reports before its first run: liveness assumes alive, readiness not ready. */
export function initialResult(type: ProbeType): ProbeResult {
  return type === 'liveness' ? 'Success' : type === 'readiness' ? 'Failure' : 'Unknown';
}

/** A worker's memory between probe runs (the kubelet's worker fields). */
export interface ProbeRunState {
  lastResult: ProbeResult;
  resultRun: number;
  /** After a liveness/startup failure: no probing until a new container instance. */
  onHold: boolean;
}

export const FRESH_RUN_STATE: ProbeRunState = { lastResult: 'Unknown', resultRun: 0, onHold: false };

/**
 * One probe outcome through the thresholds (worker.doProbe): returns the new
 * run state and, when the verdict changes hands, the result to publish.
 */
export function applyProbeOutcome(type: ProbeType, timing: ProbeTiming, state: ProbeRunState, result: ProbeResult): { state: ProbeRunState; publish?: ProbeResult } {
  const next: ProbeRunState = { ...state };
  if (state.lastResult === result) next.resultRun = state.resultRun + 1;
  else { next.lastResult = result; next.resultRun = 1; }
  if ((result === 'Failure' && next.resultRun < timing.failureThreshold) || (result === 'Success' && next.resultRun < timing.successThreshold)) {
    return { state: next };
  }
  if ((type === 'liveness' || type === 'startup') && result === 'Failure') {
    next.onHold = true;
    next.resultRun = 0;
  }
  return { state: next, publish: result };
}
