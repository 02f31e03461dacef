/**
 * `npm run soak [-- --minutes N] [--op-every S] [--kill-every S] [--down-for S] [--seed N]`
 *
 * A soak on the one-machine lab (3 etcd members, 2 masters, 3 nodes): a
 * Deployment is scaled or rolled every `--op-every` seconds (default 60) while
 * one random component (an agent, a master, an etcd member or a node's dockerd;
 * the kinds in a random order, each once per four kills) is killed with SIGKILL every `--kill-every` seconds (default 180) and
 * restarted `--down-for` seconds later (default 20). At the end, after the
 * cluster settles, it checks that:
 *   - the Deployment is as declared (replicas, template, status counts);
 *   - exactly the declared number of pods exist, all Running and Ready on the
 *     current template (none lost, none duplicated);
 *   - every pod's containers run on its own node only, and no node runs a
 *     container that no pod owns;
 * and prints the figures (operations, kills, convergence times). Exit status 0
 * when every check passed. Not part of CI. Holds /tmp/skiff-lab.lock while it
 * runs and always brings the lab down.
 */
import { LabHarness, podInfo, sh, sleep, waitFor, type PodInfo } from '../lab/lab-harness';

interface Options { minutes: number; opEvery: number; killEvery: number; downFor: number; seed: number }

function parseOptions(argv: string[]): Options {
  const o: Options = { minutes: 30, opEvery: 60, killEvery: 180, downFor: 20, seed: Date.now() % 100_000 };
  const names: Record<string, keyof Options> = { '--minutes': 'minutes', '--op-every': 'opEvery', '--kill-every': 'killEvery', '--down-for': 'downFor', '--seed': 'seed' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const key = names[flag];
    if (!key) {
      process.stderr.write(`soak: unknown flag ${flag}\nusage: npm run soak -- [--minutes 30] [--op-every 60] [--kill-every 180] [--down-for 20] [--seed N]\n`);
      process.exit(2);
    }
    const v = Number(inline ?? argv[++i]);
    if (!Number.isFinite(v) || v <= 0) {
      process.stderr.write(`soak: ${flag} wants a positive number, got "${inline ?? argv[i] ?? ''}"\n`);
      process.exit(2);
    }
    o[key] = v;
  }
  return o;
}

/** A small deterministic PRNG (mulberry32), so a run can be repeated with --seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAME = 'soak';
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];

type Kind = 'agent' | 'master' | 'etcd' | 'dockerd';

interface Declared { replicas: number; rev: number }

function deployment(d: Declared): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: NAME, namespace: 'default' },
    spec: {
      replicas: d.replicas, selector: { matchLabels: { app: NAME } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: NAME } },
        spec: {
          terminationGracePeriodSeconds: 1,
          // Pods leave a node whose agent or engine is gone for good after 10 s (not the default 300 s).
          tolerations: [
            { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
            { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 },
          ],
          containers: [{
            name: 'main', image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '1000000'],
            env: [{ name: 'REV', value: String(d.rev) }],
          }],
        },
      },
    },
  };
}

interface DeploymentJson {
  metadata: { generation?: number };
  spec: { replicas?: number; template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number };
}

function stats(xs: number[]): string {
  if (!xs.length) return 'n/a';
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `n=${s.length} median ${(q(0.5) / 1000).toFixed(1)} s, p90 ${(q(0.9) / 1000).toFixed(1)} s, max ${(s[s.length - 1]! / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the soak runs the lab: it needs root');
  const random = rng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const bag: Kind[] = [];
  const h = new LabHarness('skiff-soak-');
  const log = (m: string): void => h.log(m);
  let stopping = false;
  const onSignal = (): void => { stopping = true; log('interrupted: finishing up and bringing the lab down'); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const figures = {
    ops: { scale: 0, roll: 0 }, kills: { agent: 0, master: 0, etcd: 0, dockerd: 0 } as Record<Kind, number>,
    convergeMs: [] as number[], superseded: 0, apiErrors: 0, restartFailures: 0, recoveryMs: [] as number[], labJumpLost: 0,
  };
  let failures: string[] = [];
  try {
    await h.acquire();
    log(`soak: ${o.minutes} min, an operation every ${o.opEvery} s, a kill every ${o.killEvery} s (down ${o.downFor} s), seed ${o.seed}; lab state ${h.home}`);
    const upMs = await h.up(['--nodes', '3', '--masters', '2', '--node-monitor-grace-period', '20s', '--pod-eviction-timeout', '10s']);
    log(`lab up in ${(upMs / 1000).toFixed(1)} s`);

    /** kubectl through whichever master answers: on a connection error the other master is tried at once, and kept when it answers. */
    const kk = async (args: string[], input?: string): Promise<string> => {
      let last = '';
      for (let attempt = 0; attempt < 4; attempt++) {
        for (const m of [h.master, 1 - h.master]) {
          const r = await h.kubectl(args, { master: m, ...(input !== undefined ? { input } : {}) });
          if (r.code === 0) {
            h.master = m;
            return r.stdout;
          }
          figures.apiErrors++;
          last = r.stderr.trim();
          if (!/connection refused|Unable to connect|i\/o timeout|EOF|context deadline|TLS handshake|no route/i.test(r.stderr)) break;
        }
        await sleep(1000 * (attempt + 1));
      }
      throw new Error(`kubectl ${args.join(' ')}: ${last}`);
    };
    const declared: Declared = { replicas: 4, rev: 1 };
    const apply = (): Promise<string> => kk(['apply', '-f', '-'], JSON.stringify(deployment(declared)));
    await apply();

    const converged = async (): Promise<boolean> => {
      const d = JSON.parse(await kk(['get', 'deployment', NAME, '-o', 'json'])) as DeploymentJson;
      const st = d.status ?? {};
      if ((st.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return false;
      if (st.replicas !== declared.replicas || st.updatedReplicas !== declared.replicas || st.readyReplicas !== declared.replicas) return false;
      const pods = JSON.parse(await kk(['get', 'pods', '-l', `app=${NAME}`, '-o', 'json'])) as { items: Parameters<typeof podInfo>[0][] };
      const live = pods.items.map(podInfo);
      return live.length === declared.replicas && live.every((p) => !p.deleting && p.phase === 'Running' && p.ready);
    };

    const t0 = Date.now();
    const end = t0 + o.minutes * 60_000;
    let nextOp = t0 + o.opEvery * 1000;
    let nextKill = t0 + Math.min(o.killEvery, o.opEvery * 1.5) * 1000;
    let pendingOp: number | undefined = t0;
    let restart: { at: number; what: string; member: string; kind: Kind; killedAt: number } | undefined;
    const pendingRecovery: { member: string; since: number }[] = [];

    let jumpMissingSince: number | undefined;
    let needApply = false;
    while (!stopping && Date.now() < end) {
      const now = Date.now();
      // The lab's host FORWARD jump: without it the bridge drops everything between members. Something
      // else on the host (a host agent's proxier) may remove it; report that instead of blaming the lab.
      const jump = await sh('iptables', ['-C', 'FORWARD', '-j', 'SKIFF-LAB-FWD'], { timeoutMs: 10_000 });
      if (jump.code !== 0 && jumpMissingSince === undefined) {
        jumpMissingSince = now;
        figures.labJumpLost++;
        log('WARNING: the host FORWARD jump to SKIFF-LAB-FWD was removed by another process; lab members cannot reach each other');
      } else if (jump.code === 0) {
        jumpMissingSince = undefined;
      }
      try {
        if (now >= nextOp) {
          if (pendingOp !== undefined) figures.superseded++;
          if (random() < 0.5) {
            declared.replicas = 1 + Math.floor(random() * 8);
            figures.ops.scale++;
            log(`op: scale to ${declared.replicas}`);
          } else {
            declared.rev++;
            figures.ops.roll++;
            log(`op: roll to REV=${declared.rev} (${declared.replicas} replicas)`);
          }
          needApply = true;
          nextOp += o.opEvery * 1000;
        }
        // The declared state is applied until the API takes it (a master or etcd may be down right now).
        if (needApply) {
          try {
            await apply();
            needApply = false;
            pendingOp = Date.now();
          } catch (e) {
            figures.apiErrors++;
            log(`apply failed, retrying next round: ${(e as Error).message.split('\n')[0]}`);
          }
        }
        if (!restart && now >= nextKill) {
          // Random order, but every kind once per four kills (a short run still covers them all).
          if (!bag.length) bag.push(...shuffle<Kind>(['agent', 'master', 'etcd', 'dockerd']));
          const kind = bag.pop()!;
          let member = '';
          if (kind === 'agent' || kind === 'dockerd') {
            member = pick(WORKERS);
            const pid = h.pidOf(member, kind);
            if (pid) process.kill(pid, 'SIGKILL');
          } else {
            member = kind === 'master' ? pick(['master-1', 'master-2']) : pick(['etcd-1', 'etcd-2', 'etcd-3']);
            await h.labOk(['node', 'kill', member]);
            if (kind === 'master' && h.master === (member === 'master-1' ? 0 : 1)) h.master = 1 - h.master;
          }
          figures.kills[kind]++;
          log(`kill -9: ${kind} of ${member}`);
          restart = { at: Date.now() + o.downFor * 1000, what: `${kind} of ${member}`, member, kind, killedAt: Date.now() };
          nextKill += o.killEvery * 1000;
        }
        if (restart && Date.now() >= restart.at) {
          const r = restart;
          restart = undefined;
          const res = await h.lab(['node', 'start', r.member], 240_000);
          if (res.code !== 0) {
            figures.restartFailures++;
            failures.push(`restart of ${r.what} failed: ${res.stderr.trim().split('\n').slice(-3).join(' | ')}`);
            log(`restart of ${r.what} FAILED`);
          } else {
            log(`restarted ${r.what}`);
            pendingRecovery.push({ member: r.member, since: r.killedAt });
          }
        }
        if (pendingOp !== undefined && await converged()) {
          figures.convergeMs.push(Date.now() - pendingOp);
          log(`converged in ${((Date.now() - pendingOp) / 1000).toFixed(1)} s`);
          pendingOp = undefined;
        }
        if (pendingRecovery.length && (await converged())) {
          for (const p of pendingRecovery.splice(0)) figures.recoveryMs.push(Date.now() - p.since);
        }
      } catch (e) {
        figures.apiErrors++;
        log(`error (going on): ${(e as Error).message.split('\n')[0]}`);
      }
      await sleep(2000);
    }

    if (restart) {
      const res = await h.lab(['node', 'start', restart.member], 240_000);
      if (res.code !== 0) failures.push(`final restart of ${restart.what} failed`);
    }
    // Every member back (an `up` on the running lab starts whatever is missing).
    await h.labOk(['up', '--nodes', '3', '--masters', '2', '--no-merge-kubeconfig'], 400_000);
    if (needApply) await apply();

    log('settling: waiting for the declared state');
    const settleStart = Date.now();
    try {
      await waitFor('the Deployment converged on the declared state', async () => ((await converged()) ? true : undefined), 300_000, 2000);
    } catch (e) {
      failures.push((e as Error).message);
    }
    const settleMs = Date.now() - settleStart;
    // Old pods of a restarted node are cleaned up asynchronously: give deletions a moment.
    await sleep(5000);
    failures = failures.concat(await finalChecks(h, declared, kk));

    const minutes = (Date.now() - t0) / 60_000;
    process.stdout.write([
      '',
      `soak figures (${minutes.toFixed(1)} min, seed ${o.seed}):`,
      `  operations:   ${figures.ops.scale + figures.ops.roll} (scale ${figures.ops.scale}, roll ${figures.ops.roll}); final replicas ${declared.replicas}, REV=${declared.rev}`,
      `  kills:        ${Object.values(figures.kills).reduce((a, b) => a + b, 0)} (${Object.entries(figures.kills).map(([k, v]) => `${k} ${v}`).join(', ')}), restarts failed: ${figures.restartFailures}`,
      `  convergence after an operation: ${stats(figures.convergeMs)}; operations superseded before converging: ${figures.superseded}`,
      `  recovery (kill -> restarted and converged): ${stats(figures.recoveryMs)}`,
      `  final settle: ${(settleMs / 1000).toFixed(1)} s; kubectl errors retried: ${figures.apiErrors}`,
      ...(figures.labJumpLost ? [`  ENVIRONMENT: the lab's host FORWARD jump was removed by another process ${figures.labJumpLost} time(s) (figures above are not the lab's)`] : []),
      `  checks: ${failures.length ? `FAILED\n    - ${failures.join('\n    - ')}` : 'all passed (objects as declared, no pod lost or duplicated, no container without a pod)'}`,
      '',
    ].join('\n'));
    process.exitCode = failures.length ? 1 : 0;
  } finally {
    await h.cleanup();
  }
}

/** The end-of-run invariants. Returns what failed. */
async function finalChecks(h: LabHarness, declared: Declared, kk: (args: string[], input?: string) => Promise<string>): Promise<string[]> {
  const failures: string[] = [];
  const d = JSON.parse(await kk(['get', 'deployment', NAME, '-o', 'json'])) as DeploymentJson;
  if (d.spec.replicas !== declared.replicas) failures.push(`deployment spec.replicas ${d.spec.replicas} != declared ${declared.replicas}`);
  const rev = d.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'REV')?.value;
  if (rev !== String(declared.rev)) failures.push(`deployment template REV=${rev} != declared ${declared.rev}`);
  const st = d.status ?? {};
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas'] as const) {
    if (st[k] !== declared.replicas) failures.push(`deployment status.${k} ${st[k]} != ${declared.replicas}`);
  }
  const all = (JSON.parse(await kk(['get', 'pods', '-A', '-o', 'json'])) as { items: (Parameters<typeof podInfo>[0] & { metadata?: { namespace?: string } })[] }).items;
  const pods: PodInfo[] = all.map(podInfo);
  const mine = pods.filter((p) => p.labels.app === NAME);
  if (mine.length !== declared.replicas) failures.push(`${mine.length} pods of ${NAME}, declared ${declared.replicas}: ${mine.map((p) => `${p.name}@${p.node}(${p.phase}${p.deleting ? ',deleting' : ''})`).join(' ')}`);
  for (const p of mine) {
    if (p.deleting || p.phase !== 'Running' || !p.ready) failures.push(`pod ${p.name} on ${p.node}: ${p.phase}${p.deleting ? ' (deleting)' : ''}${p.ready ? '' : ' not ready'}`);
  }
  const rsList = JSON.parse(await kk(['get', 'replicasets', '-l', `app=${NAME}`, '-o', 'json'])) as { items: { metadata: { name: string }; spec: { replicas?: number }; status?: { replicas?: number } }[] };
  const active = rsList.items.filter((r) => (r.spec.replicas ?? 0) > 0 || (r.status?.replicas ?? 0) > 0);
  if (active.length !== 1) failures.push(`${active.length} ReplicaSets with pods (want 1): ${active.map((r) => r.metadata.name).join(' ')}`);

  const byUid = new Map(pods.map((p) => [p.uid, p]));
  const seenOn = new Map<string, Set<string>>();
  for (const node of WORKERS) {
    let containers;
    try {
      containers = await h.nodeContainers(node);
    } catch (e) {
      failures.push(`cannot list containers on ${node}: ${(e as Error).message}`);
      continue;
    }
    for (const c of containers) {
      const owner = byUid.get(c.podUid);
      if (!owner) failures.push(`${node} runs container ${c.id.slice(0, 12)} (${c.podName}/${c.container}) of no existing pod`);
      else if (owner.node !== node) failures.push(`${node} runs container ${c.id.slice(0, 12)} of pod ${owner.name}, which is bound to ${owner.node}`);
      const set = seenOn.get(c.podUid) ?? new Set<string>();
      set.add(node);
      seenOn.set(c.podUid, set);
    }
  }
  for (const p of mine) {
    const nodes = seenOn.get(p.uid);
    if (!nodes) failures.push(`pod ${p.name} is Running in the API but no container of it runs on ${p.node}`);
    else if (nodes.size > 1) failures.push(`pod ${p.name} runs on ${[...nodes].join(' and ')}`);
  }
  return failures;
}

main().catch((e: unknown) => {
  process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
