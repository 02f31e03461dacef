import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Secret } from 'kubernetes-types/core/v1';

/**
 * Where the agent reads the objects its pods reference. The master pushes them
 * down the agent stream; tests pass a map. `undefined` means not found.
 */
export interface ObjectResolver {
  getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined>;
  getSecret(namespace: string, name: string): Promise<Secret | undefined>;
  getPersistentVolumeClaim?(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  getPersistentVolume?(name: string): Promise<PersistentVolume | undefined>;
}

/** A resolver over plain lists, for tests and for the agent's own object cache. */
export class StaticObjectResolver implements ObjectResolver {
  constructor(
    public configMaps: ConfigMap[] = [],
    public secrets: Secret[] = [],
    public claims: PersistentVolumeClaim[] = [],
    public volumes: PersistentVolume[] = [],
  ) {}

  private static find<T extends { metadata?: { name?: string; namespace?: string } }>(list: T[], ns: string | undefined, name: string): T | undefined {
    return list.find((o) => o.metadata?.name === name && (ns === undefined || (o.metadata?.namespace ?? 'default') === ns));
  }

  async getConfigMap(ns: string, name: string): Promise<ConfigMap | undefined> { return StaticObjectResolver.find(this.configMaps, ns, name); }
  async getSecret(ns: string, name: string): Promise<Secret | undefined> { return StaticObjectResolver.find(this.secrets, ns, name); }
  async getPersistentVolumeClaim(ns: string, name: string): Promise<PersistentVolumeClaim | undefined> { return StaticObjectResolver.find(this.claims, ns, name); }
  async getPersistentVolume(name: string): Promise<PersistentVolume | undefined> { return StaticObjectResolver.find(this.volumes, undefined, name); }
}

/** Secret data arrives base64-encoded (data) or plain (stringData, before the apiserver merges it). */
export function secretBytes(s: Secret): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(s.stringData ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

export function configMapBytes(cm: ConfigMap): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}
