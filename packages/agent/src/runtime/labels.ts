/** The labels every Docker object of a pod carries, so that a restarted agent re-adopts it. */
export const LABEL_POD_UID = 'io.skiff.pod.uid';
export const LABEL_POD_NAME = 'io.skiff.pod.name';
export const LABEL_POD_NAMESPACE = 'io.skiff.pod.namespace';
export const LABEL_TYPE = 'io.skiff.type';
export const LABEL_CONTAINER_NAME = 'io.skiff.container.name';
export const LABEL_CONTAINER_KIND = 'io.skiff.container.kind';
export const LABEL_RESTART_COUNT = 'io.skiff.container.restartCount';
export const LABEL_CONTAINER_HASH = 'io.skiff.container.hash';
export const LABEL_TERMINATION_MESSAGE_PATH = 'io.skiff.container.terminationMessageFile';
export const LABEL_SANDBOX_ID = 'io.skiff.sandbox.id';
export const LABEL_SANDBOX_ATTEMPT = 'io.skiff.sandbox.attempt';
export const LABEL_MANAGED = 'io.skiff.managed';
/**
 * The agent that owns an object (its root directory): agents sharing one
 * Docker engine (tests, several homes on one host) never adopt or remove each
 * other's containers.
 */
export const LABEL_AGENT_ROOT = 'io.skiff.agent.root';

export const SANDBOX_NAME = 'POD';

export function podLabels(pod: { uid: string; name: string; namespace: string }): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_POD_UID]: pod.uid, [LABEL_POD_NAME]: pod.name, [LABEL_POD_NAMESPACE]: pod.namespace };
}
