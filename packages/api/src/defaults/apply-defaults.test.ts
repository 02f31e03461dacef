import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, generateJobSelector, imageTag } from './index';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const container = (extra: Record<string, unknown> = {}): Any => ({ name: 'c', image: 'nginx', ...extra });

test('pod defaults match Kubernetes', () => {
  const pod: Any = applyDefaults('Pod', 'v1', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: {
      containers: [container({
        ports: [{ containerPort: 80 }],
        resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
        livenessProbe: { httpGet: { port: 80 } },
        readinessProbe: { exec: { command: ['true'] }, periodSeconds: 5 },
        env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      })],
      initContainers: [{ name: 'i', image: 'busybox:1.36', resources: { limits: { cpu: '1' } } }],
      volumes: [{ name: 'cm', configMap: { name: 'x' } }, { name: 'sec', secret: { secretName: 's' } }, { name: 'scratch' },
        { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 't' } }] } }],
    },
  });
  const s = pod.spec;
  assert.equal(s.restartPolicy, 'Always');
  assert.equal(s.dnsPolicy, 'ClusterFirst');
  assert.equal(s.terminationGracePeriodSeconds, 30);
  assert.equal(s.schedulerName, 'default-scheduler');
  assert.deepEqual(s.securityContext, {});
  assert.equal(s.enableServiceLinks, true);
  assert.equal(s.serviceAccountName, 'default');
  assert.equal(s.serviceAccount, 'default');
  assert.equal(s.priority, 0);
  assert.equal(s.preemptionPolicy, 'PreemptLowerPriority');
  assert.deepEqual(s.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const c = s.containers[0];
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.equal(c.imagePullPolicy, 'Always');
  assert.equal(c.ports[0].protocol, 'TCP');
  assert.deepEqual(c.resources.requests, { cpu: '500m', memory: '1Gi' });
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.readinessProbe.periodSeconds, 5);
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.equal(s.initContainers[0].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(s.initContainers[0].resources.requests, { cpu: '1' });
  assert.equal(s.volumes[0].configMap.defaultMode, 420);
  assert.equal(s.volumes[1].secret.defaultMode, 420);
  assert.deepEqual(s.volumes[2].emptyDir, {});
  assert.equal(s.volumes[3].projected.defaultMode, 420);
  assert.equal(s.volumes[3].projected.sources[0].serviceAccountToken.expirationSeconds, 3600);
});

test('pod defaults keep what is set; containers get resources {}', () => {
  const pod: Any = applyDefaults('Pod', 'v1', {
    metadata: { name: 'p' },
    spec: { restartPolicy: 'Never', serviceAccountName: 'sa', priorityClassName: 'system-node-critical', containers: [container({ imagePullPolicy: 'Never' })],
      tolerations: [{ operator: 'Exists' }] },
  });
  assert.equal(pod.spec.restartPolicy, 'Never');
  assert.equal(pod.spec.serviceAccountName, 'sa');
  assert.equal(pod.spec.serviceAccount, 'sa');
  assert.equal(pod.spec.priority, 2000001000);
  assert.equal(pod.spec.containers[0].imagePullPolicy, 'Never');
  assert.deepEqual(pod.spec.containers[0].resources, {});
  assert.deepEqual(pod.spec.tolerations, [{ operator: 'Exists' }]);
});

test('image pull policy follows the tag', () => {
  assert.equal(imageTag('nginx'), 'latest');
  assert.equal(imageTag('nginx:latest'), 'latest');
  assert.equal(imageTag('nginx:1.25'), '1.25');
  assert.equal(imageTag('localhost:5000/app'), 'latest');
  assert.equal(imageTag('localhost:5000/app:v1'), 'v1');
  assert.equal(imageTag('app@sha256:abcd'), '');
  assert.equal(imageTag(''), '');
  const policy = (image: string): string => (applyDefaults('Pod', 'v1', { spec: { containers: [{ name: 'c', image }] } }) as Any).spec.containers[0].imagePullPolicy;
  assert.equal(policy('busybox'), 'Always');
  assert.equal(policy('busybox:latest'), 'Always');
  assert.equal(policy('busybox:1.35'), 'IfNotPresent');
  assert.equal(policy('127.0.0.1:5000/busybox@sha256:0123'), 'IfNotPresent');
});

test('host network pods get host ports', () => {
  const pod: Any = applyDefaults('Pod', 'v1', { spec: { hostNetwork: true, containers: [container({ ports: [{ containerPort: 8080 }] })] } });
  assert.equal(pod.spec.containers[0].ports[0].hostPort, 8080);
});

test('deployment defaults, template gets pod spec defaults but not pod-only ones', () => {
  const d: Any = applyDefaults('Deployment', 'apps/v1', {
    metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [container({ resources: { limits: { cpu: '1' } } })] } } },
  });
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  const ts = d.spec.template.spec;
  assert.equal(ts.restartPolicy, 'Always');
  assert.equal(ts.dnsPolicy, 'ClusterFirst');
  assert.equal(ts.containers[0].terminationMessagePolicy, 'File');
  assert.equal(ts.enableServiceLinks, undefined);
  assert.equal(ts.serviceAccountName, undefined);
  assert.equal(ts.containers[0].resources.requests, undefined);

  const recreate: Any = applyDefaults('Deployment', 'apps/v1', { spec: { strategy: { type: 'Recreate' }, replicas: 0 } });
  assert.deepEqual(recreate.spec.strategy, { type: 'Recreate' });
  assert.equal(recreate.spec.replicas, 0);
});

test('replicaset, daemonset, statefulset defaults', () => {
  const rs: Any = applyDefaults('ReplicaSet', 'apps/v1', { spec: {} });
  assert.equal(rs.spec.replicas, 1);
  const ds: Any = applyDefaults('DaemonSet', 'apps/v1', { spec: {} });
  assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(ds.spec.revisionHistoryLimit, 10);
  const sts: Any = applyDefaults('StatefulSet', 'apps/v1', { spec: { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] } });
  assert.equal(sts.spec.replicas, 1);
  assert.equal(sts.spec.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(sts.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.equal(sts.spec.revisionHistoryLimit, 10);
  assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(sts.spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
  assert.equal(sts.spec.volumeClaimTemplates[0].status.phase, 'Pending');
  const onDelete: Any = applyDefaults('StatefulSet', 'apps/v1', { spec: { updateStrategy: { type: 'OnDelete' } } });
  assert.deepEqual(onDelete.spec.updateStrategy, { type: 'OnDelete' });
});

test('job and cronjob defaults', () => {
  const job: Any = applyDefaults('Job', 'batch/v1', { metadata: { name: 'j' }, spec: { template: { metadata: { labels: { a: 'b' } }, spec: { restartPolicy: 'Never', containers: [container()] } } } });
  assert.equal(job.spec.completions, 1);
  assert.equal(job.spec.parallelism, 1);
  assert.equal(job.spec.backoffLimit, 6);
  assert.equal(job.spec.completionMode, 'NonIndexed');
  assert.equal(job.spec.suspend, false);
  assert.equal(job.spec.podReplacementPolicy, 'TerminatingOrFailed');
  assert.deepEqual(job.metadata.labels, { a: 'b' });
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  assert.equal(job.spec.template.spec.dnsPolicy, 'ClusterFirst');

  const parallel: Any = applyDefaults('Job', 'batch/v1', { spec: { parallelism: 3 } });
  assert.equal(parallel.spec.completions, undefined);
  assert.equal(parallel.spec.parallelism, 3);

  const cj: Any = applyDefaults('CronJob', 'batch/v1', { spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: { containers: [container()] } } } } } });
  assert.equal(cj.spec.concurrencyPolicy, 'Allow');
  assert.equal(cj.spec.suspend, false);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 1);
  assert.equal(cj.spec.jobTemplate.spec.backoffLimit, undefined);
  assert.equal(cj.spec.jobTemplate.spec.template.spec.restartPolicy, 'Always');
});

test('generateJobSelector labels the template and selects the uid', () => {
  const job: Any = { metadata: { name: 'pi', uid: 'u-1' }, spec: { template: { spec: {} } } };
  generateJobSelector(job);
  assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.deepEqual(job.spec.template.metadata.labels, {
    'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'u-1', 'batch.kubernetes.io/controller-uid': 'u-1',
  });
  assert.deepEqual(job.metadata.labels, job.spec.template.metadata.labels);
  const viaDefaults: Any = applyDefaults('Job', 'batch/v1', { metadata: { name: 'pi', uid: 'u-2' }, spec: { template: { metadata: { labels: { app: 'pi' } }, spec: {} } } });
  assert.deepEqual(viaDefaults.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-2' } });
  assert.deepEqual(viaDefaults.metadata.labels, { app: 'pi' });
  assert.equal(viaDefaults.spec.template.metadata.labels['job-name'], 'pi');
  const noUid: Any = applyDefaults('Job', 'batch/v1', { metadata: { name: 'pi' }, spec: {} });
  assert.equal(noUid.spec.selector, undefined);
  const manual: Any = { metadata: { name: 'm', uid: 'u' }, spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } } } };
  generateJobSelector(manual);
  assert.deepEqual(manual.spec.selector, { matchLabels: { a: 'b' } });
});

test('service defaults', () => {
  const svc: Any = applyDefaults('Service', 'v1', { spec: { selector: { app: 'a' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] } });
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.equal(svc.spec.sessionAffinity, 'None');
  assert.deepEqual(svc.spec.ports[0], { port: 80, protocol: 'TCP', targetPort: 80 });
  assert.equal(svc.spec.ports[1].targetPort, 'dns');
  assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(svc.spec.externalTrafficPolicy, undefined);
  assert.equal(svc.spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
  assert.deepEqual(svc.status, { loadBalancer: {} });

  const np: Any = applyDefaults('Service', 'v1', { spec: { type: 'NodePort', ports: [{ port: 80 }] } });
  assert.equal(np.spec.externalTrafficPolicy, 'Cluster');
  const lb: Any = applyDefaults('Service', 'v1', { spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP' } });
  assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
  assert.deepEqual(lb.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  const ext: Any = applyDefaults('Service', 'v1', { spec: { type: 'ExternalName', externalName: 'example.com' } });
  assert.equal(ext.spec.ipFamilies, undefined);
  assert.equal(ext.spec.internalTrafficPolicy, undefined);
  const headless: Any = applyDefaults('Service', 'v1', { spec: { clusterIP: 'None' } });
  assert.equal(headless.spec.ipFamilyPolicy, 'RequireDualStack');
});

test('secret, namespace, node, volumes', () => {
  const sec: Any = applyDefaults('Secret', 'v1', { metadata: { name: 's' }, stringData: { user: 'admin' }, data: { a: 'Yg==' } });
  assert.equal(sec.type, 'Opaque');
  assert.deepEqual(sec.data, { a: 'Yg==', user: 'YWRtaW4=' });
  assert.equal(sec.stringData, undefined);

  const ns: Any = applyDefaults('Namespace', 'v1', { metadata: { name: 'team' } });
  assert.deepEqual(ns.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(ns.status, { phase: 'Active' });
  assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'team');

  const node: Any = applyDefaults('Node', 'v1', { status: { capacity: { cpu: '2', pods: '110' } } });
  assert.deepEqual(node.status.allocatable, { cpu: '2', pods: '110' });

  const pv: Any = applyDefaults('PersistentVolume', 'v1', { spec: { hostPath: { path: '/x' } } });
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
  assert.equal(pv.spec.volumeMode, 'Filesystem');
  assert.equal(pv.status.phase, 'Pending');
  const pvc: Any = applyDefaults('PersistentVolumeClaim', 'v1', { spec: {} });
  assert.equal(pvc.spec.volumeMode, 'Filesystem');
  assert.equal(pvc.status.phase, 'Pending');
});

test('hpa, rbac, endpointslice, limitrange', () => {
  const hpa: Any = applyDefaults('HorizontalPodAutoscaler', 'autoscaling/v2', { spec: { maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
  assert.equal(hpa.spec.minReplicas, 1);
  assert.deepEqual(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  assert.deepEqual(hpa.spec.behavior.scaleDown, { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }], stabilizationWindowSeconds: 60 });
  assert.equal(hpa.spec.behavior.scaleUp.policies.length, 2);
  const noBehavior: Any = applyDefaults('HorizontalPodAutoscaler', 'autoscaling/v2', { spec: {} });
  assert.equal(noBehavior.spec.behavior, undefined);

  const rb: Any = applyDefaults('RoleBinding', 'rbac.authorization.k8s.io/v1', {
    roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'n' }],
  });
  assert.equal(rb.roleRef.apiGroup, 'rbac.authorization.k8s.io');
  assert.equal(rb.subjects[0].apiGroup, 'rbac.authorization.k8s.io');
  assert.equal(rb.subjects[1].apiGroup, '');

  const slice: Any = applyDefaults('EndpointSlice', 'discovery.k8s.io/v1', { addressType: 'IPv4', ports: [{ port: 80 }] });
  assert.deepEqual(slice.ports[0], { port: 80, name: '', protocol: 'TCP' });

  const lr: Any = applyDefaults('LimitRange', 'v1', { spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }] } });
  assert.deepEqual(lr.spec.limits[0].default, { cpu: '2' });
  assert.deepEqual(lr.spec.limits[0].defaultRequest, { cpu: '2', memory: '64Mi' });
});

test('odd input is left alone and never throws', () => {
  assert.equal(applyDefaults('Pod', 'v1', null), null);
  assert.equal(applyDefaults('Pod', 'v1', 'x'), 'x');
  assert.deepEqual(applyDefaults('Pod', 'v1', { spec: 'nope' }), { spec: 'nope' });
  assert.deepEqual(applyDefaults('Deployment', 'apps/v1', { spec: { template: [], strategy: 5 } }), { spec: { template: [], strategy: 5, replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 } });
  const weird: Any = applyDefaults('Pod', 'v1', { spec: { containers: [null, 3, { name: 'c', ports: 'x', livenessProbe: [] }], volumes: 'v', tolerations: 'no' } });
  assert.equal(weird.spec.containers[2].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(applyDefaults('Unknown', 'v1', { a: 1 }), { a: 1 });
  assert.deepEqual(applyDefaults('Pod', 'v2', { a: 1 }), { a: 1 });
});
