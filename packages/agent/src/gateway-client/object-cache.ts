import type { ConfigMap, Secret } from 'kubernetes-types/core/v1';
import type { ObjectResolver } from '../volumes/object-resolver';

/** The ConfigMaps and Secrets the master pushed for this node's pods. */
export class ObjectCache implements ObjectResolver {
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly secrets = new Map<string, Secret>();

  private static key(o: { metadata?: { namespace?: string; name?: string } }): string {
    return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;
  }

  putConfigMap(cm: ConfigMap): void { this.configMaps.set(ObjectCache.key(cm), cm); }
  deleteConfigMap(cm: ConfigMap): void { this.configMaps.delete(ObjectCache.key(cm)); }
  putSecret(s: Secret): void { this.secrets.set(ObjectCache.key(s), s); }
  deleteSecret(s: Secret): void { this.secrets.delete(ObjectCache.key(s)); }

  async getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  async getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.secrets.get(`${namespace}/${name}`);
  }
}
