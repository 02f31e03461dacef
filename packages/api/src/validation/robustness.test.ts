import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, apiVersionOf } from '../resources';
import { applyDefaults } from '../defaults';
import { validateCreate, validateUpdate } from './index';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const podSpec = (): Any => ({
  containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    resources: { limits: { cpu: '1' } }, livenessProbe: { httpGet: { port: 80 } }, volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
  volumes: [{ name: 'v', configMap: { name: 'x', items: [{ key: 'k', path: 'p' }] } }],
  tolerations: [{ key: 'k', operator: 'Exists' }],
});
const template = (): Any => ({ metadata: { labels: { app: 'a' } }, spec: podSpec() });
const selector = (): Any => ({ matchLabels: { app: 'a' }, matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] });

const SAMPLES: Record<string, Any> = {
  Pod: { spec: podSpec() },
  Service: { spec: { selector: { app: 'a' }, ports: [{ port: 80, name: 'http' }], type: 'NodePort' } },
  Deployment: { spec: { selector: selector(), template: template(), strategy: { rollingUpdate: { maxSurge: '10%' } } } },
  ReplicaSet: { spec: { selector: selector(), template: template() } },
  DaemonSet: { spec: { selector: selector(), template: template() } },
  StatefulSet: { spec: { selector: selector(), template: template(), volumeClaimTemplates: [{ metadata: { name: 'd' }, spec: { accessModes: ['ReadWriteOnce'] } }] } },
  Job: { spec: { selector: selector(), manualSelector: true, template: { ...template(), spec: { ...podSpec(), restartPolicy: 'Never' } } } },
  CronJob: { spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { ...template(), spec: { ...podSpec(), restartPolicy: 'OnFailure' } } } } } },
  ConfigMap: { data: { a: 'b' }, binaryData: { c: 'ZA==' } },
  Secret: { data: { a: 'Yg==', 'tls.crt': 'Yw==', 'tls.key': 'aw==' }, type: 'kubernetes.io/tls' },
  Node: { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }], podCIDRs: ['10.0.0.0/24'] }, status: { capacity: { cpu: '2' } } },
  Namespace: { spec: { finalizers: ['kubernetes'] } },
  Endpoints: { subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] },
  EndpointSlice: { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] },
  Event: { involvedObject: { kind: 'Pod', name: 'p' }, reason: 'r' },
  Lease: { spec: { holderIdentity: 'x', leaseDurationSeconds: 10 } },
  PodDisruptionBudget: { spec: { minAvailable: '50%', selector: selector() } },
  HorizontalPodAutoscaler: { spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3, metrics: [{ type: 'Pods', pods: { metric: { name: 'm' }, target: { type: 'AverageValue', averageValue: '1' } } }], behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 1 }] } } } },
  Role: { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
  ClusterRole: { rules: [{ nonResourceURLs: ['/x'], verbs: ['get'] }], aggregationRule: { clusterRoleSelectors: [selector()] } },
  RoleBinding: { roleRef: { kind: 'Role', name: 'r', apiGroup: 'rbac.authorization.k8s.io' }, subjects: [{ kind: 'ServiceAccount', name: 's' }] },
  ClusterRoleBinding: { roleRef: { kind: 'ClusterRole', name: 'r' }, subjects: [{ kind: 'Group', name: 'g' }] },
  PersistentVolume: { spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, local: { path: '/x' }, nodeAffinity: { required: { nodeSelectorTerms: [] } } } },
  PersistentVolumeClaim: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
  LimitRange: { spec: { limits: [{ type: 'Container', max: { cpu: '1' } }] } },
  ResourceQuota: { spec: { hard: { pods: '10' } } },
};

/** A small deterministic PRNG, so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const JUNK: unknown[] = [null, 0, -1, 1.5, 'x', '', true, [], [null], {}, { a: 1 }, [[]], 'Ünïcødé', 1e300, NaN];

function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function mutate(obj: Any, path: (string | number)[], value: unknown): Any {
  if (path.length === 0) return value;
  const copy = structuredClone(obj);
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[path[path.length - 1] as string] = value;
  return copy;
}

test('defaulting and validation never throw, and validation never fails internally, on malformed objects', () => {
  const random = rng(42);
  let checked = 0;
  for (const info of RESOURCES) {
    const sample = SAMPLES[info.kind];
    if (!sample) continue;
    const base = applyDefaults(info.kind, apiVersionOf(info), { apiVersion: apiVersionOf(info), kind: info.kind, metadata: { name: 'n', namespace: 'ns', labels: { a: 'b' } }, ...structuredClone(sample) });
    const all = paths(base);
    for (const p of all) {
      for (let i = 0; i < 3; i++) {
        const junk = JUNK[Math.floor(random() * JUNK.length)];
        const bad = mutate(base, p, junk);
        assert.doesNotThrow(() => applyDefaults(info.kind, apiVersionOf(info), structuredClone(bad)), `defaults: ${info.kind} ${JSON.stringify(p)}`);
        for (const errs of [validateCreate(info, bad), validateUpdate(info, bad, base), validateUpdate(info, base, bad)]) {
          assert.ok(Array.isArray(errs));
          const internal = errs.find((e) => e.type === 'InternalError');
          assert.equal(internal, undefined, `${info.kind} ${JSON.stringify(p)} = ${JSON.stringify(junk)}: ${internal?.detail}`);
          checked++;
        }
      }
    }
    // The unmutated, defaulted sample should validate cleanly as well (Job's manual selector included).
    assert.deepEqual(validateCreate(info, base).filter((e) => e.type === 'InternalError'), []);
  }
  assert.ok(checked > 1000);
  for (const v of [null, undefined, 1, 'x', [], [1]]) {
    assert.equal(validateCreate({ group: '', kind: 'Pod' }, v).length, 1);
    assert.equal(validateUpdate({ group: 'apps', kind: 'Deployment' }, v, {}).length, 1);
  }
});

test('the samples themselves are valid once defaulted', () => {
  for (const info of RESOURCES) {
    const sample = SAMPLES[info.kind];
    if (!sample) continue;
    const obj = applyDefaults(info.kind, apiVersionOf(info), { metadata: { name: 'n', namespace: 'ns' }, ...structuredClone(sample) });
    if (info.kind === 'Event') (obj as Any).metadata.namespace = '';
    assert.deepEqual(validateCreate(info, obj).map((e) => `${e.field}: ${e.detail}`), [], info.kind);
  }
});
