import type { ConfigMap, Container, Pod, Secret } from 'kubernetes-types/core/v1';
import { expand } from './expansion';
import { fieldRefValue, resourceFieldRefValue, type DownwardContext } from './downward-api';
import { secretBytes, type ObjectResolver } from './object-resolver';

/** A container's environment could not be built (the kubelet's CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

export interface EnvResult {
  env: { name: string; value: string }[];
  /** Warnings the kubelet records as InvalidEnvironmentVariableNames events. */
  warnings: string[];
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/**
 * makeEnvironmentVariables from the kubelet: envFrom first, then env (which
 * overrides, with $(VAR) expansion over earlier variables and service
 * variables), then the service variables not already set.
 */
export async function makeEnvironment(
  pod: Pod, container: Container, resolver: ObjectResolver, ctx: DownwardContext,
  serviceEnv: ReadonlyMap<string, string> = new Map(),
): Promise<EnvResult> {
  const ns = pod.metadata?.namespace ?? 'default';
  const configMaps = new Map<string, ConfigMap | null>();
  const secrets = new Map<string, Secret | null>();
  const getCM = async (name: string): Promise<ConfigMap | null> => {
    if (!configMaps.has(name)) configMaps.set(name, (await resolver.getConfigMap(ns, name)) ?? null);
    return configMaps.get(name)!;
  };
  const getSecret = async (name: string): Promise<Secret | null> => {
    if (!secrets.has(name)) secrets.set(name, (await resolver.getSecret(ns, name)) ?? null);
    return secrets.get(name)!;
  };
  const tmp = new Map<string, string>();
  const warnings: string[] = [];

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let entries: [string, string][];
    let what: string;
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? '';
      const cm = await getCM(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      entries = Object.entries(cm.data ?? {});
      what = `configMap ${ns}/${name}`;
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? '';
      const s = await getSecret(name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      entries = [...secretBytes(s)].map(([k, v]) => [k, v.toString('utf8')]);
      what = `secret ${ns}/${name}`;
    } else continue;
    const invalid: string[] = [];
    for (const [k0, v] of entries) {
      const k = prefix + k0;
      if (!ENV_NAME.test(k)) { invalid.push(k); continue; }
      tmp.set(k, v);
    }
    if (invalid.length > 0) {
      invalid.sort();
      warnings.push(`Keys [${invalid.join(', ')}] from the EnvFrom ${what} were skipped since they are considered invalid environment variable names.`);
    }
  }

  for (const e of container.env ?? []) {
    let value = e.value ?? '';
    if (value !== '') {
      value = expand(value, tmp, serviceEnv);
    } else if (e.valueFrom) {
      const vf = e.valueFrom;
      if (vf.fieldRef) value = fieldRefValue(vf.fieldRef, pod, ctx);
      else if (vf.resourceFieldRef) {
        const target = vf.resourceFieldRef.containerName
          ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === vf.resourceFieldRef!.containerName) ?? container
          : container;
        value = resourceFieldRefValue(vf.resourceFieldRef, target, ctx);
      } else if (vf.configMapKeyRef) {
        const { name = '', key, optional } = vf.configMapKeyRef;
        const cm = await getCM(name);
        if (!cm) {
          if (optional) continue;
          throw new ContainerConfigError(`configmap "${name}" not found`);
        }
        const v = cm.data?.[key];
        if (v === undefined) {
          if (optional) continue;
          throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
        }
        value = v;
      } else if (vf.secretKeyRef) {
        const { name = '', key, optional } = vf.secretKeyRef;
        const s = await getSecret(name);
        if (!s) {
          if (optional) continue;
          throw new ContainerConfigError(`secret "${name}" not found`);
        }
        const v = secretBytes(s).get(key);
        if (v === undefined) {
          if (optional) continue;
          throw new ContainerConfigError(`couldn't find key ${key} in Secret ${ns}/${name}`);
        }
        value = v.toString('utf8');
      }
    }
    tmp.set(e.name, value);
  }

  const env = [...tmp].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!tmp.has(name)) env.push({ name, value });
  return { env, warnings };
}

/** Command and args with $(VAR) expanded over the container's final environment. */
export function expandCommand(container: Container, env: { name: string; value: string }[]): { command?: string[]; args?: string[] } {
  const ctx = new Map(env.map((e) => [e.name, e.value]));
  const out: { command?: string[]; args?: string[] } = {};
  if (container.command) out.command = container.command.map((c) => expand(c, ctx));
  if (container.args) out.args = container.args.map((a) => expand(a, ctx));
  return out;
}
