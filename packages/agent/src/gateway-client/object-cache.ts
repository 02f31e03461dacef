import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Secret } from 'kubernetes-types/core/v1';
import type { ObjectResolver } from '../volumes/object-resolver';

/** The ConfigMaps, Secrets, PersistentVolumeClaims and PersistentVolumes the master pushed for this node's pods. */
export class ObjectCache implements ObjectResolver {
  private readonly configMaps = new Map<string, ConfigMap>();
  private readonly secrets = new Map<string, Secret>();
  private readonly claims = new Map<string, PersistentVolumeClaim>();
  private readonly volumes = new Map<string, PersistentVolume>();

  private static key(o: { metadata?: { namespace?: string; name?: string } }): string {
    return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`;
  }

  putConfigMap(cm: ConfigMap): void { this.configMaps.set(ObjectCache.key(cm), cm); }
  deleteConfigMap(cm: ConfigMap): void { this.configMaps.delete(ObjectCache.key(cm)); }
  putSecret(s: Secret): void { this.secrets.set(ObjectCache.key(s), s); }
  deleteSecret(s: Secret): void { this.secrets.delete(ObjectCache.key(s)); }
  putClaim(c: PersistentVolumeClaim): void { this.claims.set(ObjectCache.key(c), c); }
  deleteClaim(c: PersistentVolumeClaim): void { this.claims.delete(ObjectCache.key(c)); }
  putVolume(v: PersistentVolume): void { this.volumes.set(v.metadata?.name ?? '', v); }
  deleteVolume(v: PersistentVolume): void { this.volumes.delete(v.metadata?.name ?? ''); }

  async getPersistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined> {
    return this.claims.get(`${namespace}/${name}`);
  }

  async getPersistentVolume(name: string): Promise<PersistentVolume | undefined> {
    return this.volumes.get(name);
  }

  async getConfigMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  async getSecret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.secrets.get(`${namespace}/${name}`);
  }
}
