import type { KObject } from '@skiff/api';
import type { OwnerReference } from 'kubernetes-types/meta/v1';

export function controllerRefOf(obj: KObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller === true);
}

export function newControllerRef(owner: KObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The owner's object when the reference names it (kind, name and uid). */
export function resolveControllerRef<T extends KObject>(ref: OwnerReference | undefined, kind: string, lookup: (name: string) => T | undefined): T | undefined {
  if (!ref || ref.kind !== kind) return undefined;
  const o = lookup(ref.name);
  return o && o.metadata.uid === ref.uid ? o : undefined;
}

/** A merge patch that sets the whole ownerReferences list (guarded by the object's uid). */
export function ownerRefsPatch(obj: KObject, refs: OwnerReference[]): unknown {
  return { metadata: { uid: obj.metadata.uid, ownerReferences: refs.length ? refs : null } };
}
