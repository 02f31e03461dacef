/** apps/v1 defaults: Deployment, ReplicaSet, DaemonSet, StatefulSet (templates included). */
import { child, defaultString, defaultValue, ensureChild, items, type JsonObject } from './fields';
import { defaultPodTemplate } from './pod-defaults';
import { defaultPersistentVolumeClaim } from './storage-defaults';

export function defaultDeployment(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  defaultValue(spec, 'replicas', 1);
  const strategy = ensureChild(spec, 'strategy');
  if (strategy) {
    defaultString(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = ensureChild(strategy, 'rollingUpdate');
      if (ru) {
        defaultValue(ru, 'maxUnavailable', '25%');
        defaultValue(ru, 'maxSurge', '25%');
      }
    }
  }
  defaultValue(spec, 'revisionHistoryLimit', 10);
  defaultValue(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultReplicaSet(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  defaultValue(spec, 'replicas', 1);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultDaemonSet(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  const strategy = ensureChild(spec, 'updateStrategy');
  if (strategy) {
    defaultString(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = ensureChild(strategy, 'rollingUpdate');
      if (ru) {
        defaultValue(ru, 'maxUnavailable', 1);
        defaultValue(ru, 'maxSurge', 0);
      }
    }
  }
  defaultValue(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
}

export function defaultStatefulSet(o: JsonObject): void {
  const spec = ensureChild(o, 'spec');
  if (!spec) return;
  defaultString(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = ensureChild(spec, 'updateStrategy');
  if (strategy) {
    if (strategy.type === undefined || strategy.type === null || strategy.type === '') {
      strategy.type = 'RollingUpdate';
      ensureChild(strategy, 'rollingUpdate');
    }
    const ru = strategy.type === 'RollingUpdate' ? child(strategy, 'rollingUpdate') : undefined;
    if (ru) defaultValue(ru, 'partition', 0);
  }
  const retention = ensureChild(spec, 'persistentVolumeClaimRetentionPolicy');
  if (retention) {
    defaultString(retention, 'whenDeleted', 'Retain');
    defaultString(retention, 'whenScaled', 'Retain');
  }
  defaultValue(spec, 'replicas', 1);
  defaultValue(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
  for (const claim of items(spec, 'volumeClaimTemplates')) defaultPersistentVolumeClaim(claim);
}
