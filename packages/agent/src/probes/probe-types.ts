export type ProbeType = 'liveness' | 'readiness' | 'startup';

/** A probe worker's current verdict for one container instance. */
export type ProbeResult = 'Success' | 'Failure' | 'Unknown';

/** Read-only view of probe results by container id, as the pod status needs them. */
export interface ProbeResultsView {
  get(containerId: string, type: ProbeType): ProbeResult | undefined;
}

export const NO_PROBE_RESULTS: ProbeResultsView = { get: () => undefined };
