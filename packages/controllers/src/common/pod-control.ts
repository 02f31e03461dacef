import { findByKind, isStatusError, KObject } from '@skiff/api';
import type { ApiClient } from '../informer/api-client';
import type { EventRecorder } from '../informer/event-recorder';
import type { Expectations } from '../informer/expectations';
import { keyOf } from '../informer/object-cache';

const POD = findByKind('v1', 'Pod')!;

/**
 * What controllers that own pods share (Kubernetes' PodControl): create a pod for an owner
 * and delete a set of its pods, with the SuccessfulCreate / FailedCreate / SuccessfulDelete
 * events and the deletion expectations.
 */
export async function createOwnedPod(client: ApiClient, recorder: EventRecorder, owner: KObject, pod: KObject): Promise<KObject> {
  try {
    const created = await client.create(POD, owner.metadata.namespace, pod);
    recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  } catch (e) {
    recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
    throw e;
  }
}

/** Deletes pods by uid precondition; a pod already gone counts as deleted. Throws the first failure. */
export async function deleteOwnedPods(
  client: ApiClient, recorder: EventRecorder, expectations: Expectations, key: string, owner: KObject, pods: KObject[],
): Promise<void> {
  if (!pods.length) return;
  expectations.expectDeletions(key, pods.map(keyOf));
  const results = await Promise.allSettled(pods.map(async (p) => {
    try {
      await client.delete(POD, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
      recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
    } catch (e) {
      expectations.deletionObserved(key, keyOf(p));
      if (isStatusError(e) && e.code === 404) return;
      throw e;
    }
  }));
  const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
  if (failed) throw failed.reason;
}
