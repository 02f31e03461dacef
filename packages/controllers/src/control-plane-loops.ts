import { hostname } from 'node:os';
import { bindPod, type Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import { InformerFactory } from './informer/informer-factory';
import { RegistryClient } from './informer/api-client';
import { RegistryEventRecorder } from './informer/event-recorder';
import { byNodeName, byOwnerUid } from './informer/object-cache';
import { runWorkers, type Reconciler } from './informer/run-workers';
import type { WorkQueue } from './informer/work-queue';
import { ReplicaSetController } from './replicaset/replica-set-controller';
import { DeploymentController } from './deployment/deployment-controller';
import { SchedulerLoop } from './scheduler/scheduler-loop';
import { LeaderElector } from './leader-election/leader-elector';
import { GarbageCollector } from './garbage-collector/garbage-collector';
import { ServiceAccountController } from './serviceaccount/service-account-controller';
import { EndpointsController, byServiceName } from './endpoints/endpoints-controller';
import { RESOURCES } from '@skiff/api';
import { NodeLifecycleController } from './node-lifecycle/node-lifecycle-controller';
import { JobController } from './job/job-controller';
import { DisruptionController } from './disruption/disruption-controller';
import { DaemonSetController } from './daemonset/daemonset-controller';
import { StatefulSetController } from './statefulset/stateful-set-controller';
import { VolumeBindingController, byClaim } from './volume-binding/volume-binding-controller';
import { CronJobController } from './cronjob/cronjob-controller';
import { HorizontalPodAutoscalerController } from './hpa/hpa-controller';
import { StaticPodMetrics, type PodMetricsSource } from './hpa/pod-metrics-source';

/** The loops startControlPlaneLoops can run (all by default). */
export const CONTROL_PLANE_LOOPS = ['replicaset', 'deployment', 'scheduler', 'endpoints', 'serviceaccount', 'garbagecollector', 'nodelifecycle', 'job', 'disruption', 'daemonset', 'statefulset', 'volumebinding', 'cronjob', 'horizontalpodautoscaling'] as const;
export type ControlPlaneLoopName = (typeof CONTROL_PLANE_LOOPS)[number];

export interface ControlPlaneLoopsOptions {
  registry: Registry;
  log: Logger;
  /** Workers per controller (default 2; the scheduler always uses 1). */
  workers?: number;
  /** Leader election on kube-system/skiff-controller-manager (default on). */
  leaderElection?: boolean | { identity?: string; leaseDurationSeconds?: number; retryPeriodMs?: number };
  /** Informer resync period (default 30 s; 0 disables). */
  resyncMs?: number;
  /** Only these loops (default: all of CONTROL_PLANE_LOOPS). */
  controllers?: readonly ControlPlaneLoopName[];
  /** Node lifecycle: Lease / Ready heartbeat age after which a node becomes Ready=Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** Node lifecycle: how long pods without a toleration stay on a not-ready / unreachable node (default 300 s). */
  podEvictionTimeoutMs?: number;
  /** Volume binding: the node directory provisioned local volumes live under (default /var/lib/skiff/volumes). */
  localVolumeDir?: string;
  /** HPA: pod metrics (skiff-master passes what metrics.k8s.io serves; default: none, so HPAs report ScalingActive=False). */
  podMetrics?: PodMetricsSource;
  /** HPA: --horizontal-pod-autoscaler-sync-period (default 15 s). */
  hpaSyncPeriodMs?: number;
}

interface Running {
  factory: InformerFactory;
  queues: WorkQueue[];
  workers: Promise<void>[];
  scheduler?: SchedulerLoop;
  recorders: RegistryEventRecorder[];
}

/**
 * Starts the scheduler and the controllers inside skiff-master, reading through shared
 * informers on the Registry and writing through it (same validation as user requests).
 * With leader election, only the replica holding the Lease runs them.
 */
export async function startControlPlaneLoops(opts: ControlPlaneLoopsOptions): Promise<{ stop(): Promise<void>; isLeader(): boolean }> {
  const { registry, log } = opts;
  let running: Running | undefined;
  let starting: Promise<void> | undefined;

  const start = async (): Promise<void> => {
    const factory = new InformerFactory(registry, log.child({ component: 'informers' }), opts.resyncMs ?? 30_000);
    const client = new RegistryClient(registry, bindPod);
    const recorder = (component: string) => new RegistryEventRecorder(registry, component, log.child({ component }));
    const recorders: RegistryEventRecorder[] = [];
    const rec = (c: string) => { const r = recorder(c); recorders.push(r); return r; };

    const on = new Set<ControlPlaneLoopName>(opts.controllers ?? CONTROL_PLANE_LOOPS);
    const n = opts.workers ?? 2;
    const loops: [WorkQueue, Reconciler, Logger, number][] = [];

    const pods = factory.forKind('v1', 'Pod', { owner: byOwnerUid, node: byNodeName, claim: byClaim });
    const nodes = factory.forKind('v1', 'Node');
    const claims = factory.forKind('v1', 'PersistentVolumeClaim', { owner: byOwnerUid });
    const volumes = factory.forKind('v1', 'PersistentVolume');

    if (on.has('replicaset') || on.has('deployment')) {
      const replicaSets = factory.forKind('apps/v1', 'ReplicaSet', { owner: byOwnerUid });
      if (on.has('replicaset')) {
        const rsc = new ReplicaSetController({ replicaSets: replicaSets.cache, pods: pods.cache, client, recorder: rec('replicaset-controller'), log: log.child({ controller: 'replicaset' }) });
        rsc.register(replicaSets, pods);
        loops.push([rsc.queue, rsc, log.child({ controller: 'replicaset' }), n]);
      }
      if (on.has('deployment')) {
        const deployments = factory.forKind('apps/v1', 'Deployment');
        const dc = new DeploymentController({ deployments: deployments.cache, replicaSets: replicaSets.cache, pods: pods.cache, client, recorder: rec('deployment-controller'), log: log.child({ controller: 'deployment' }) });
        dc.register(deployments, replicaSets, pods);
        loops.push([dc.queue, dc, log.child({ controller: 'deployment' }), n]);
      }
    }
    let scheduler: SchedulerLoop | undefined;
    if (on.has('scheduler')) {
      // Preemption avoids victims whose eviction would break a PodDisruptionBudget where it can.
      const budgets = factory.forKind('policy/v1', 'PodDisruptionBudget');
      scheduler = new SchedulerLoop({ pods: pods.cache, nodes: nodes.cache, client, recorder: rec('default-scheduler'), log: log.child({ component: 'scheduler' }), claims: claims.cache, volumes: volumes.cache, pdbs: budgets.cache });
      scheduler.register(pods, nodes, claims, volumes, budgets);
      loops.push([scheduler.queue, scheduler, log.child({ component: 'scheduler' }), 1]);
    }

    if (on.has('endpoints')) {
      const services = factory.forKind('v1', 'Service');
      const endpoints = factory.forKind('v1', 'Endpoints');
      const slices = factory.forKind('discovery.k8s.io/v1', 'EndpointSlice', { service: byServiceName });
      const epc = new EndpointsController({ services: services.cache, pods: pods.cache, endpoints: endpoints.cache, slices: slices.cache, client, log: log.child({ controller: 'endpoints' }) });
      epc.register(services, pods, endpoints, slices);
      loops.push([epc.queue, epc, log.child({ controller: 'endpoints' }), n]);
    }

    if (on.has('serviceaccount')) {
      const namespaces = factory.forKind('v1', 'Namespace');
      const serviceAccounts = factory.forKind('v1', 'ServiceAccount');
      const sac = new ServiceAccountController({ namespaces: namespaces.cache, serviceAccounts: serviceAccounts.cache, client, log: log.child({ controller: 'serviceaccount' }) });
      sac.register(namespaces, serviceAccounts);
      loops.push([sac.queue, sac, log.child({ controller: 'serviceaccount' }), 1]);
    }

    if (on.has('nodelifecycle')) {
      const leases = factory.forKind('coordination.k8s.io/v1', 'Lease');
      const nlc = new NodeLifecycleController({
        nodes: nodes.cache, pods: pods.cache, leases: leases.cache, client, recorder: rec('node-controller'), log: log.child({ controller: 'nodelifecycle' }),
        nodeMonitorGracePeriodMs: opts.nodeMonitorGracePeriodMs, podEvictionTimeoutMs: opts.podEvictionTimeoutMs,
      });
      nlc.register(nodes, pods, leases);
      loops.push([nlc.queue, nlc, log.child({ controller: 'nodelifecycle' }), 1]);
    }

    if (on.has('job')) {
      const jobs = factory.forKind('batch/v1', 'Job');
      const jc = new JobController({ jobs: jobs.cache, pods: pods.cache, client, recorder: rec('job-controller'), log: log.child({ controller: 'job' }) });
      jc.register(jobs, pods);
      loops.push([jc.queue, jc, log.child({ controller: 'job' }), n]);
    }

    if (on.has('disruption')) {
      const pdbs = factory.forKind('policy/v1', 'PodDisruptionBudget');
      const replicaSets = factory.forKind('apps/v1', 'ReplicaSet', { owner: byOwnerUid });
      const deployments = factory.forKind('apps/v1', 'Deployment');
      const statefulSets = factory.forKind('apps/v1', 'StatefulSet');
      const dc = new DisruptionController({
        pdbs: pdbs.cache, pods: pods.cache, replicaSets: replicaSets.cache, deployments: deployments.cache, statefulSets: statefulSets.cache,
        client, log: log.child({ controller: 'disruption' }),
      });
      dc.register(pdbs, pods, [replicaSets, deployments, statefulSets]);
      loops.push([dc.queue, dc, log.child({ controller: 'disruption' }), n]);
    }

    if (on.has('daemonset')) {
      const daemonSets = factory.forKind('apps/v1', 'DaemonSet');
      const dsc = new DaemonSetController({ daemonSets: daemonSets.cache, pods: pods.cache, nodes: nodes.cache, client, recorder: rec('daemonset-controller'), log: log.child({ controller: 'daemonset' }) });
      dsc.register(daemonSets, pods, nodes);
      loops.push([dsc.queue, dsc, log.child({ controller: 'daemonset' }), n]);
    }

    if (on.has('statefulset')) {
      const statefulSets = factory.forKind('apps/v1', 'StatefulSet');
      const revisions = factory.forKind('apps/v1', 'ControllerRevision', { owner: byOwnerUid });
      const ssc = new StatefulSetController({
        statefulSets: statefulSets.cache, pods: pods.cache, revisions: revisions.cache, claims: claims.cache,
        client, recorder: rec('statefulset-controller'), log: log.child({ controller: 'statefulset' }),
      });
      ssc.register(statefulSets, pods, revisions, claims);
      loops.push([ssc.queue, ssc, log.child({ controller: 'statefulset' }), n]);
    }

    if (on.has('cronjob')) {
      const cronJobs = factory.forKind('batch/v1', 'CronJob');
      const jobs = factory.forKind('batch/v1', 'Job', { owner: byOwnerUid });
      const cjc = new CronJobController({ cronJobs: cronJobs.cache, jobs: jobs.cache, client, recorder: rec('cronjob-controller'), log: log.child({ controller: 'cronjob' }) });
      cjc.register(cronJobs, jobs);
      loops.push([cjc.queue, cjc, log.child({ controller: 'cronjob' }), n]);
    }

    if (on.has('horizontalpodautoscaling')) {
      const hpas = factory.forKind('autoscaling/v2', 'HorizontalPodAutoscaler');
      const hc = new HorizontalPodAutoscalerController({
        hpas: hpas.cache, pods: pods.cache, client, recorder: rec('horizontal-pod-autoscaler'), log: log.child({ controller: 'horizontalpodautoscaling' }),
        metrics: opts.podMetrics ?? new StaticPodMetrics(), syncPeriodMs: opts.hpaSyncPeriodMs,
        getTarget: (info, ns, name) => registry.tryGet(info, ns, name),
      });
      hc.register(hpas);
      loops.push([hc.queue, hc, log.child({ controller: 'horizontalpodautoscaling' }), n]);
    }

    if (on.has('volumebinding')) {
      const vbc = new VolumeBindingController({
        claims: claims.cache, volumes: volumes.cache, pods: pods.cache, nodes: nodes.cache, client,
        recorder: rec('persistentvolume-controller'), log: log.child({ controller: 'volumebinding' }), localVolumeDir: opts.localVolumeDir,
      });
      vbc.register(claims, volumes, pods);
      loops.push([vbc.queue, vbc, log.child({ controller: 'volumebinding' }), 1]);
    }

    if (on.has('garbagecollector')) {
      // The garbage collector watches every kind that can be an owner or a dependent (not events or leases).
      const monitored = RESOURCES.filter((r) => r.kind !== 'Event' && r.kind !== 'Lease').map((info) => factory.forResource(info, { owner: byOwnerUid }));
      const gc = new GarbageCollector({
        resources: monitored.map((i) => ({ info: i.info, cache: i.cache })), client, log: log.child({ controller: 'garbagecollector' }),
        getLive: (info, ns, name) => registry.tryGet(info, ns, name),
      });
      gc.register(monitored);
      loops.push([gc.queue, gc, log.child({ controller: 'garbagecollector' }), n]);
    }

    await factory.start();
    scheduler?.start();
    running = { factory, queues: loops.map((l) => l[0]), workers: loops.map(([q, r, l, w]) => runWorkers(q, r, l, w)), scheduler, recorders };
    log.info('control plane loops started', { controllers: [...on].join(',') });
  };

  const stopRunning = async (): Promise<void> => {
    await starting?.catch(() => undefined);
    const r = running;
    running = undefined;
    if (!r) return;
    r.factory.stop();
    r.scheduler?.stop();
    for (const q of r.queues) q.shutDown();
    await Promise.all(r.workers);
    await Promise.all(r.recorders.map((x) => x.flush()));
  };

  const le = opts.leaderElection ?? true;
  if (le === false) {
    await start();
    return { stop: stopRunning, isLeader: () => true };
  }
  const leCfg = typeof le === 'object' ? le : {};
  const elector = new LeaderElector(registry, {
    identity: leCfg.identity ?? `${hostname()}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`,
    leaseDurationSeconds: leCfg.leaseDurationSeconds, retryPeriodMs: leCfg.retryPeriodMs,
  }, log.child({ component: 'leader-election' }));
  elector.run(() => {
    starting = start().catch((e: Error) => log.error('control plane loops failed to start', { error: e.message }));
  }, () => {
    void stopRunning();
  });
  return {
    isLeader: () => elector.isLeader,
    async stop() {
      await stopRunning();
      await elector.stop();
    },
  };
}
