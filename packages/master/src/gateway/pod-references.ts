import { isPlainObject, KObject } from '@skiff/api';

/** pvc: a claim a pod mounts; pv: the volume a sent claim is bound to (namespace ''). */
export type RefKind = 'configmap' | 'secret' | 'pvc' | 'pv';

/** `configmap/<ns>/<name>` or `secret/<ns>/<name>`. */
export function refKey(kind: RefKind, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

type J = Record<string, unknown>;
const obj = (v: unknown): J => (isPlainObject(v) ? v : {});
const arr = (v: unknown): J[] => (Array.isArray(v) ? v.filter(isPlainObject) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * The ConfigMaps and Secrets a pod reads: volumes (configMap, secret,
 * projected), env and envFrom of every container, and imagePullSecrets.
 */
export function podReferences(pod: KObject): Set<string> {
  const ns = pod.metadata.namespace ?? 'default';
  const out = new Set<string>();
  const add = (kind: RefKind, name: string | undefined): void => { if (name) out.add(refKey(kind, ns, name)); };
  const spec = obj(pod.spec);
  for (const v of arr(spec.volumes)) {
    add('configmap', str(obj(v.configMap).name));
    add('secret', str(obj(v.secret).secretName));
    add('pvc', str(obj(v.persistentVolumeClaim).claimName));
    for (const s of arr(obj(v.projected).sources)) {
      add('configmap', str(obj(s.configMap).name));
      add('secret', str(obj(s.secret).name));
    }
  }
  for (const c of [...arr(spec.initContainers), ...arr(spec.containers), ...arr(spec.ephemeralContainers)]) {
    for (const e of arr(c.env)) {
      const from = obj(e.valueFrom);
      add('configmap', str(obj(from.configMapKeyRef).name));
      add('secret', str(obj(from.secretKeyRef).name));
    }
    for (const e of arr(c.envFrom)) {
      add('configmap', str(obj(e.configMapRef).name));
      add('secret', str(obj(e.secretRef).name));
    }
  }
  for (const s of arr(spec.imagePullSecrets)) add('secret', str(s.name));
  return out;
}
