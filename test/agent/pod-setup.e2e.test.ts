/**
 * What a pod's containers find when they start, end to end on one node (real
 * etcd, skiff-master, skiff-agent on the local Docker engine, real kubectl):
 * postStart hooks (exec, httpGet, and a failing one that kills the container
 * with FailedPostStartHook), hostname/subdomain and /etc/hosts, the pod's
 * /etc/resolv.conf for each dnsPolicy, service environment variables, the
 * pod cgroups of the adopted cgroup driver, and an exec whose kubectl is
 * killed. Set SKIFF_SKIP_DOCKER=1 to skip.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { ContainerStatus, Pod, Service } from 'kubernetes-types/core/v1';
import { AgentNode, cgroupOfPid } from '../lib/agent-node';
import { run, waitFor } from '../lib/control-plane';

const skip = process.env.SKIFF_SKIP_DOCKER === '1';

const BB = { image: 'skiff/busybox:latest', imagePullPolicy: 'IfNotPresent' } as const;
/** A shell that exits on SIGTERM (PID 1 ignores it otherwise) and idles. */
const idle = (pre = ''): string[] => ['sh', '-c', `${pre}trap "exit 0" TERM; while true; do sleep 1; done`];

function status(pod: Pod, name: string): ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === name);
}

function containerId(pod: Pod, name: string): string {
  return (status(pod, name)?.containerID ?? '').replace(/^docker:\/\//, '');
}

const running = (pod: Pod): Pod | undefined => pod.status?.phase === 'Running' && (pod.spec?.containers ?? []).every((c) => status(pod, c.name)?.state?.running) ? pod : undefined;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The nameservers, search list and options of the host's /etc/resolv.conf (what dnsPolicy Default copies). */
function hostResolv(): { nameservers: string[]; search: string[] } {
  const out = { nameservers: [] as string[], search: [] as string[] };
  for (const line of readFileSync('/etc/resolv.conf', 'utf8').split('\n')) {
    const [k, ...rest] = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (k === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    if (k === 'search' || k === 'domain') out.search = rest;
  }
  return out;
}

describe('pod setup on a joined skiff-agent', { skip }, () => {
  let node: AgentNode;

  before(async () => {
    node = await AgentNode.start({ agentFlags: ['--restart-backoff-initial', '2s', '--restart-backoff-max', '20s'] });
  });

  after(async () => {
    await node?.stop();
  });

  describe('concurrent', { concurrency: true }, () => {
    test('postStart exec hook runs in the container right after it starts', async () => {
      await node.createPod({
        metadata: { name: 'hook-exec' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'main', ...BB, command: idle(),
            lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo "post-start $HOSTNAME" > /tmp/hook'] } } },
          }],
        },
      });
      const pod = await node.waitPod('hook-exec', 'running', running, 45_000);
      const r = await node.dockerExec(containerId(pod, 'main'), ['cat', '/tmp/hook']);
      assert.equal(r.stdout.trim(), 'post-start hook-exec', r.stderr);
      assert.equal(status(pod, 'main')?.restartCount, 0);
      assert.deepEqual((await node.events('hook-exec')).filter((e) => e.reason === 'FailedPostStartHook').map((e) => e.message), []);
    });

    test('postStart httpGet hook reaches the pod (path, port by name)', async () => {
      await node.createPod({
        metadata: { name: 'hook-http' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            // Starts first: the server the second container's hook calls, logging each URL.
            { name: 'server', ...BB, command: ['sh', '-c', 'mkdir -p /w && echo ok > /w/started && exec httpd -f -vv -p 8080 -h /w'], ports: [{ name: 'web', containerPort: 8080 }] },
            {
              name: 'hooked', ...BB, command: idle(), ports: [{ name: 'web', containerPort: 8080 }],
              lifecycle: { postStart: { httpGet: { path: '/started?from=hook', port: 'web' } } },
            },
          ],
        },
      });
      await node.waitPod('hook-http', 'running', running, 45_000);
      // busybox httpd -vv logs each request's path (without the query).
      const logs = await waitFor('the hook\'s request in the server\'s log', async () => {
        const r = await node.kubectl(['logs', 'hook-http', '-c', 'server']);
        return /url:\/started/.test(r.stdout) ? r.stdout : undefined;
      }, 20_000, 500);
      assert.match(logs, /response:200/);
      assert.deepEqual((await node.events('hook-http')).filter((e) => e.reason === 'FailedPostStartHook').map((e) => e.message), []);
    });

    test('a failing postStart hook kills the container: FailedPostStartHook, then a restart', async () => {
      await node.createPod({
        metadata: { name: 'hook-fail' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'main', ...BB, command: idle(),
            lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo broken hook; exit 7'] } } },
          }],
        },
      });
      const ev = await node.waitEvent('hook-fail', 'FailedPostStartHook', /./, 45_000);
      assert.match(ev.message ?? '', /PostStartHook failed/);
      assert.match(ev.message ?? '', /exit|code/);
      const killing = await node.waitEvent('hook-fail', 'Killing', /FailedPostStartHook/, 20_000);
      assert.equal(killing.involvedObject.fieldPath, 'spec.containers{main}');
      const pod = await node.waitPod('hook-fail', 'restarted after the hook failed', (p) => (status(p, 'main')?.restartCount ?? 0) >= 1 && p, 45_000);
      assert.ok(status(pod, 'main')?.lastState?.terminated, JSON.stringify(status(pod, 'main')));
    });

    test('hostname and subdomain: hostname, /etc/hosts with the FQDN; without them the pod name', async () => {
      await node.createPod({
        metadata: { name: 'named' },
        spec: { terminationGracePeriodSeconds: 2, hostname: 'myhost', subdomain: 'mysub', containers: [{ name: 'main', ...BB, command: idle() }] },
      });
      await node.createPod({
        metadata: { name: 'plain-name' },
        spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...BB, command: idle() }] },
      });
      const named = await node.waitPod('named', 'running', running, 45_000);
      const plain = await node.waitPod('plain-name', 'running', running, 45_000);
      const ip = named.status?.podIP ?? '';
      assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
      const id = containerId(named, 'main');
      assert.equal((await node.dockerExec(id, ['hostname'])).stdout.trim(), 'myhost');
      const hosts = (await node.dockerExec(id, ['cat', '/etc/hosts'])).stdout;
      assert.match(hosts, /^# Kubernetes-managed hosts file\./);
      assert.ok(hosts.split('\n').includes(`${ip}\tmyhost.mysub.default.svc.cluster.local\tmyhost`), hosts);
      assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
      const pid = containerId(plain, 'main');
      assert.equal((await node.dockerExec(pid, ['hostname'])).stdout.trim(), 'plain-name');
      const plainHosts = (await node.dockerExec(pid, ['cat', '/etc/hosts'])).stdout;
      assert.ok(plainHosts.split('\n').includes(`${plain.status?.podIP}\tplain-name`), plainHosts);
      // Docker's HOSTNAME variable agrees.
      assert.equal((await node.dockerExec(pid, ['sh', '-c', 'echo $HOSTNAME'])).stdout.trim(), 'plain-name');
    });

    test('resolv.conf: dnsPolicy None with dnsConfig, Default, and ClusterFirst without a cluster DNS on the node', async () => {
      const c = [{ name: 'main', ...BB, command: idle() }];
      await node.createPod({
        metadata: { name: 'dns-none' },
        spec: {
          terminationGracePeriodSeconds: 2, dnsPolicy: 'None', containers: c,
          dnsConfig: { nameservers: ['192.0.2.53'], searches: ['one.example', 'two.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] },
        },
      });
      await node.createPod({ metadata: { name: 'dns-default' }, spec: { terminationGracePeriodSeconds: 2, dnsPolicy: 'Default', containers: c, dnsConfig: { searches: ['extra.example'] } } });
      await node.createPod({ metadata: { name: 'dns-cluster' }, spec: { terminationGracePeriodSeconds: 2, containers: c } });
      const none = await node.waitPod('dns-none', 'running', running, 45_000);
      assert.equal((await node.dockerExec(containerId(none, 'main'), ['cat', '/etc/resolv.conf'])).stdout,
        'search one.example two.example\nnameserver 192.0.2.53\noptions ndots:2 edns0\n');

      const host = hostResolv();
      const def = await node.waitPod('dns-default', 'running', running, 45_000);
      const defText = (await node.dockerExec(containerId(def, 'main'), ['cat', '/etc/resolv.conf'])).stdout;
      const nameservers = defText.split('\n').filter((l) => l.startsWith('nameserver ')).map((l) => l.split(/\s+/)[1]);
      assert.deepEqual(nameservers, host.nameservers, defText);
      assert.match(defText, new RegExp(`^search ${[...host.search, 'extra.example'].join(' ').replace(/\./g, '\\.')}$`, 'm'));

      // This node serves no cluster DNS (--proxy-mode none): ClusterFirst falls back to Default, as the kubelet does.
      const cl = await node.waitPod('dns-cluster', 'running', running, 45_000);
      const clText = (await node.dockerExec(containerId(cl, 'main'), ['cat', '/etc/resolv.conf'])).stdout;
      assert.deepEqual(clText.split('\n').filter((l) => l.startsWith('nameserver ')).map((l) => l.split(/\s+/)[1]), host.nameservers, clText);
      const ev = await node.waitEvent('dns-cluster', 'MissingClusterDNS');
      assert.match(ev.message ?? '', /Falling back to "Default" policy/);
    });

    test('service environment variables; enableServiceLinks: false keeps only the kubernetes service', async () => {
      await node.k(['create', 'service', 'clusterip', 'my-svc', '--tcp=80:8080', '--tcp=53:5353']);
      const svc = JSON.parse(await node.k(['get', 'service', 'my-svc', '-o', 'json'])) as Service;
      const ip = svc.spec?.clusterIP ?? '';
      const kube = JSON.parse(await node.k(['get', 'service', 'kubernetes', '-n', 'default', '-o', 'json'])) as Service;
      const kubeIP = kube.spec?.clusterIP ?? '';
      const kubePort = kube.spec?.ports?.[0]?.port;
      assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
      // The services reach the agent on its assignment stream; give it a moment.
      await sleep(2000);
      await node.createPod({
        metadata: { name: 'svc-env' },
        spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...BB, command: idle(), env: [{ name: 'FROM_SVC', value: '$(MY_SVC_SERVICE_HOST):$(MY_SVC_SERVICE_PORT)' }] }] },
      });
      await node.createPod({
        metadata: { name: 'svc-env-off' },
        spec: { terminationGracePeriodSeconds: 2, enableServiceLinks: false, containers: [{ name: 'main', ...BB, command: idle() }] },
      });
      const pod = await node.waitPod('svc-env', 'running', running, 45_000);
      const env = new Map((await node.dockerExec(containerId(pod, 'main'), ['env'])).stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const want: Record<string, string> = {
        MY_SVC_SERVICE_HOST: ip,
        MY_SVC_SERVICE_PORT: '80',
        MY_SVC_SERVICE_PORT_80_8080: '80',
        MY_SVC_PORT: `tcp://${ip}:80`,
        MY_SVC_PORT_80_TCP: `tcp://${ip}:80`,
        MY_SVC_PORT_80_TCP_PROTO: 'tcp',
        MY_SVC_PORT_80_TCP_PORT: '80',
        MY_SVC_PORT_80_TCP_ADDR: ip,
        MY_SVC_PORT_53_TCP: `tcp://${ip}:53`,
        MY_SVC_PORT_53_TCP_ADDR: ip,
        KUBERNETES_SERVICE_HOST: kubeIP,
        FROM_SVC: `${ip}:80`,
      };
      for (const [k, v] of Object.entries(want)) assert.equal(env.get(k), v, `${k} in ${JSON.stringify(Object.fromEntries(env))}`);
      assert.equal(env.get('KUBERNETES_SERVICE_PORT'), String(kubePort));

      const off = await node.waitPod('svc-env-off', 'running', running, 45_000);
      const offEnv = (await node.dockerExec(containerId(off, 'main'), ['env'])).stdout;
      assert.doesNotMatch(offEnv, /^MY_SVC_/m);
      assert.match(offEnv, new RegExp(`^KUBERNETES_SERVICE_HOST=${kubeIP.replace(/\./g, '\\.')}$`, 'm'));
    });

    test('pods get their own cgroup under the adopted driver\'s layout (cgroupfs here); it goes with the pod', async () => {
      const log = node.agentLog(1_000_000);
      const adopted = log.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { message?: string; cgroupDriver?: string; cgroupVersion?: number })
        .find((l) => l.message === 'adopted the container engine\'s cgroup driver');
      assert.ok(adopted, `the agent logs the adopted driver:\n${log.slice(0, 3000)}`);
      const info = (await node.docker(['info', '--format', '{{.CgroupDriver}} {{.CgroupVersion}}'])).stdout.trim();
      assert.equal(`${adopted.cgroupDriver} ${adopted.cgroupVersion}`, info);
      if (adopted.cgroupDriver !== 'cgroupfs') return; // a systemd engine: the layout is unit-tested (cgroup-parent.test.ts)

      await node.createPod({
        metadata: { name: 'cg-burstable' },
        spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...BB, command: idle(), resources: { requests: { memory: '16Mi' } } }] },
      });
      await node.createPod({
        metadata: { name: 'cg-guaranteed' },
        spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...BB, command: idle(), resources: { limits: { memory: '32Mi', cpu: '100m' } } }] },
      });
      await node.createPod({ metadata: { name: 'cg-besteffort' }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...BB, command: idle() }] } });
      for (const [name, qos, dir] of [['cg-burstable', 'Burstable', 'burstable/'], ['cg-guaranteed', 'Guaranteed', ''], ['cg-besteffort', 'BestEffort', 'besteffort/']] as const) {
        const pod = await node.waitPod(name, 'running', running, 45_000);
        assert.equal(pod.status?.qosClass, qos);
        const uid = pod.metadata!.uid!;
        const id = containerId(pod, 'main');
        const parent = `/skiff/${dir}pod${uid}`;
        assert.equal(await node.containerCgroup(id, 'memory'), `${parent}/${id}`);
        assert.equal(await node.containerCgroup(id, 'cpu'), `${parent}/${id}`);
        // The sandbox too: every container of the pod is below the pod's cgroup.
        for (const objId of node.dockerIds(uid)) {
          const pid = Number((await node.docker(['inspect', '-f', '{{.State.Pid}}', objId])).stdout.trim());
          if (pid > 0) assert.equal(cgroupOfPid(pid, 'memory'), `${parent}/${objId}`);
        }
      }
      const gone = (await node.getPod('cg-besteffort'))!;
      const dir = info.endsWith(' 2') ? `/sys/fs/cgroup/skiff/besteffort/pod${gone.metadata!.uid}` : `/sys/fs/cgroup/memory/skiff/besteffort/pod${gone.metadata!.uid}`;
      assert.ok(existsSync(dir), dir);
      const del = await node.kubectl(['delete', 'pod', 'cg-besteffort', '--timeout=40s'], { timeoutMs: 50_000 });
      assert.equal(del.code, 0, del.stderr);
      await waitFor(`${dir} removed with the pod`, async () => !existsSync(dir), 20_000, 300);
    });

    test('kubectl exec killed (SIGKILL): the command it started in the container ends', async () => {
      await node.createPod({ metadata: { name: 'exec-kill' }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...BB, command: idle() }] } });
      const pod = await node.waitPod('exec-kill', 'running', running, 45_000);
      const id = containerId(pod, 'main');
      const sleepers = async (): Promise<string[]> => (await node.dockerExec(id, ['ps', '-o', 'pid,args'])).stdout.split('\n').filter((l) => /\bsleep 1000\b/.test(l));
      for (const args of [['--', 'sleep', '1000'], ['-i', '--', 'sh', '-c', 'sleep 1000; echo done']]) {
        const kubectl = spawn('kubectl', ['--kubeconfig', node.cp.kubeconfig, 'exec', 'exec-kill', ...args], { stdio: ['pipe', 'ignore', 'ignore'] });
        try {
          await waitFor(`sleep 1000 running in the container (kubectl exec ${args.join(' ')})`, async () => (await sleepers()).length > 0, 30_000, 300);
        } finally {
          kubectl.kill('SIGKILL');
        }
        await waitFor(`no sleep 1000 left after kubectl (${args.join(' ')}) was killed`, async () => (await sleepers()).length === 0, 30_000, 500);
      }
      assert.match(node.agentLog(1_000_000), /ended an exec whose client went away/);
      // The container itself is untouched.
      const after = (await node.getPod('exec-kill'))!;
      assert.equal(status(after, 'main')?.restartCount, 0);
      assert.ok(status(after, 'main')?.state?.running);
    });

    test('exec -it: a terminal of the client\'s size, resized when the client\'s changes; exit code through the tty', async () => {
      await node.createPod({ metadata: { name: 'tty' }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', ...BB, command: idle() }] } });
      await node.waitPod('tty', 'running', running, 45_000);
      // script(1) gives kubectl a pseudo-terminal; its size is set with stty, first before kubectl starts, then from here.
      // (A moment before the first look: the engine learns the size just after it starts the process, as with docker exec -it.)
      const inner = `'[ -t 0 ] && echo tty-yes; sleep 1; echo "size $(stty size)"; while read x; do s=$(stty size); echo "now $s"; [ "$s" = "42 133" ] && exit 3; done'`;
      const p = spawn('script', ['-q', '-e', '-c', `sh -c 'tty; stty rows 31 cols 97; kubectl --kubeconfig ${node.cp.kubeconfig} exec -it tty -- sh -c ${inner.replace(/'/g, `'"'"'`)}'`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code)));
      try {
        const pts = await waitFor('the pseudo-terminal name', async () => /\/dev\/pts\/\d+/.exec(out)?.[0], 20_000, 100);
        await waitFor('the first size inside the container', async () => /size 31 97/.test(out), 30_000, 200)
          .catch((e: Error) => { throw new Error(`${e.message}; terminal output:\n${out}`); });
        assert.match(out, /tty-yes/);
        const stty = await run('stty', ['-F', pts, 'rows', '42', 'cols', '133']);
        assert.equal(stty.code, 0, stty.stderr);
        let polls = 0;
        await waitFor('the new size inside the container', async () => {
          // Seldom, on a loaded host, kubectl misses the SIGWINCH: every 10 polls the size is changed again (41, then 42 rows).
          if (++polls % 10 === 0) { await run('stty', ['-F', pts, 'rows', '41']); await run('stty', ['-F', pts, 'rows', '42']); }
          p.stdin.write('\n');
          return /now 42 133/.test(out);
        }, 40_000, 500)
          .catch((e: Error) => { throw new Error(`${e.message}; terminal output:\n${out}`); });
        assert.equal(await exited, 3, out);
      } finally {
        if (p.exitCode === null) p.kill('SIGKILL');
      }
      assert.match(out, /command terminated with exit code 3/, out);
    });

    test('env from every source and envFrom (configMap with prefix, secret), with $(VAR) expansion', async () => {
      await node.k(['create', 'configmap', 'env-cm', '--from-literal=a=1', '--from-literal=b=two']);
      await node.k(['create', 'secret', 'generic', 'env-sec', '--from-literal=pw=s3cr3t']);
      await node.createPod({
        metadata: { name: 'env-all', labels: { app: 'envy' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{
            name: 'main', ...BB, command: idle(), resources: { limits: { memory: '64Mi', cpu: '250m' } },
            envFrom: [{ configMapRef: { name: 'env-cm' }, prefix: 'CM_' }, { secretRef: { name: 'env-sec' } }],
            env: [
              { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'b' } } },
              { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'env-sec', key: 'pw' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
              { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
              { name: 'OPTIONAL', valueFrom: { configMapKeyRef: { name: 'no-such-cm', key: 'x', optional: true } } },
              { name: 'COMBINED', value: '$(FROM_CM)-$(POD_NAME)-$$(LITERAL)' },
            ],
          }],
        },
      });
      const pod = await node.waitPod('env-all', 'running', running, 45_000);
      const env = new Map((await node.dockerExec(containerId(pod, 'main'), ['env'])).stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
      const want: Record<string, string> = {
        CM_a: '1', CM_b: 'two', pw: 's3cr3t', FROM_CM: 'two', FROM_SECRET: 's3cr3t', POD_NAME: 'env-all', POD_NS: 'default',
        POD_IP: pod.status?.podIP ?? '?', NODE: node.nodeName, APP: 'envy', MEM_MI: '64', CPU_M: '250', COMBINED: 'two-env-all-$(LITERAL)',
      };
      for (const [k, v] of Object.entries(want)) assert.equal(env.get(k), v, `${k} in ${JSON.stringify(Object.fromEntries(env))}`);
      assert.equal(env.has('OPTIONAL'), false);
    });

    test('emptyDir (disk and medium: Memory) shared by two containers; a projected volume', async () => {
      await node.k(['create', 'configmap', 'proj-cm', '--from-literal=color=blue']);
      await node.k(['create', 'secret', 'generic', 'proj-sec', '--from-literal=token=t0k']);
      const mounts = [{ name: 'disk', mountPath: '/disk' }, { name: 'mem', mountPath: '/mem' }];
      await node.createPod({
        metadata: { name: 'vols2', labels: { tier: 'x' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [
            { name: 'writer', ...BB, command: idle('echo on-disk > /disk/f; echo in-memory > /mem/f; '), volumeMounts: [...mounts, { name: 'proj', mountPath: '/proj' }] },
            { name: 'reader', ...BB, command: idle(), volumeMounts: mounts },
          ],
          volumes: [
            { name: 'disk', emptyDir: {} },
            { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
            {
              name: 'proj', projected: {
                sources: [
                  { configMap: { name: 'proj-cm' } },
                  { secret: { name: 'proj-sec', items: [{ key: 'token', path: 'sec/token' }] } },
                  { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
                ],
              },
            },
          ],
        },
      });
      const pod = await node.waitPod('vols2', 'running', running, 45_000);
      const reader = containerId(pod, 'reader');
      await waitFor('the writer\'s files seen by the reader', async () => (await node.dockerExec(reader, ['cat', '/disk/f', '/mem/f'])).stdout === 'on-disk\nin-memory\n', 20_000, 500);
      const procMounts = (await node.dockerExec(reader, ['cat', '/proc/mounts'])).stdout.split('\n');
      assert.ok(procMounts.some((l) => /^\S+ \/mem tmpfs /.test(l)), `/mem is a tmpfs:\n${procMounts.join('\n')}`);
      assert.ok(!procMounts.some((l) => /^\S+ \/disk tmpfs /.test(l)), '/disk is on disk');
      const writer = containerId(pod, 'writer');
      const cat = async (f: string): Promise<string> => (await node.dockerExec(writer, ['cat', f])).stdout;
      assert.equal(await cat('/proj/color'), 'blue');
      assert.equal(await cat('/proj/sec/token'), 't0k');
      assert.equal(await cat('/proj/labels'), 'tier="x"');
    });

    test('terminated.message: the termination-log file, else (FallbackToLogsOnError) the tail of the output, at most 4 KiB', async () => {
      await node.createPod({
        metadata: { name: 'msg-file' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', ...BB, command: ['sh', '-c', 'echo "custom reason" > /dev/termination-log; echo noise; exit 4'], terminationMessagePolicy: 'FallbackToLogsOnError' }] },
      });
      await node.createPod({
        metadata: { name: 'msg-logs' },
        spec: {
          restartPolicy: 'Never',
          containers: [{
            name: 'main', ...BB, terminationMessagePolicy: 'FallbackToLogsOnError',
            command: ['sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo "line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done; exit 2'],
          }],
        },
      });
      const terminated = (p: Pod) => status(p, 'main')?.state?.terminated;
      const f = await node.waitPod('msg-file', 'terminated', (p) => terminated(p) && p.status?.phase === 'Failed' && p, 45_000);
      assert.equal(terminated(f)?.message, 'custom reason\n');
      assert.equal(terminated(f)?.exitCode, 4);
      assert.equal(terminated(f)?.reason, 'Error');
      const l = await node.waitPod('msg-logs', 'terminated', (p) => terminated(p) && p.status?.phase === 'Failed' && p, 45_000);
      const msg = terminated(l)?.message ?? '';
      assert.ok(msg.length > 0 && Buffer.byteLength(msg) <= 4096, `message of ${Buffer.byteLength(msg)} bytes`);
      assert.match(msg, /line-299-x+\n$/);
      assert.doesNotMatch(msg, /line-0-/);
      assert.match(await node.waitRow('msg-logs', /\s0\/1\s+Error\s/, 20_000), /^msg-logs\s/);
    });

    test('a missing configMap volume: ContainerCreating with FailedMount, then Running once it exists', async () => {
      await node.createPod({
        metadata: { name: 'mount-wait' },
        spec: {
          terminationGracePeriodSeconds: 2,
          containers: [{ name: 'main', ...BB, command: idle(), volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }],
          volumes: [{ name: 'cfg', configMap: { name: 'late-cm' } }],
        },
      });
      const ev = await node.waitEvent('mount-wait', 'FailedMount', /late-cm/, 45_000);
      assert.match(ev.message ?? '', /not found/);
      assert.match(await node.waitRow('mount-wait', /\s0\/1\s+ContainerCreating\s/, 20_000), /^mount-wait\s/);
      await node.k(['create', 'configmap', 'late-cm', '--from-literal=k=v']);
      const pod = await node.waitPod('mount-wait', 'running once the configMap exists', running, 60_000);
      assert.equal((await node.dockerExec(containerId(pod, 'main'), ['cat', '/cfg/k'])).stdout, 'v');
    });

    test('imagePullPolicy Never with a missing image: ErrImageNeverPull, no pull attempted', async () => {
      const image = '127.0.0.1:5000/skiff/never-here:1';
      await node.createPod({ metadata: { name: 'never-pull' }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'main', image, imagePullPolicy: 'Never', command: idle() }] } });
      const row = await node.waitRow('never-pull', /\sErrImageNeverPull\s/, 45_000);
      assert.match(row, /\s0\/1\s+ErrImageNeverPull\s/);
      const ev = await node.waitEvent('never-pull', 'ErrImageNeverPull');
      assert.equal(ev.message, `Container image "${image}" is not present with pull policy of Never`);
      assert.equal((await node.events('never-pull')).filter((e) => e.reason === 'Pulling').length, 0);
    });

    test('a pod being deleted shows Terminating', async () => {
      await node.createPod({
        metadata: { name: 'slow-stop' },
        // sleep as PID 1 ignores SIGTERM: the whole grace period is spent.
        spec: { terminationGracePeriodSeconds: 60, containers: [{ name: 'main', ...BB, command: ['sleep', '3600'] }] },
      });
      const pod = await node.waitPod('slow-stop', 'running', running, 45_000);
      const del = await node.kubectl(['delete', 'pod', 'slow-stop', '--wait=false']);
      assert.equal(del.code, 0, del.stderr);
      assert.match(await node.waitRow('slow-stop', /\sTerminating\s/, 20_000), /^slow-stop\s/);
      await node.waitEvent('slow-stop', 'Killing', /Stopping container main/);
      const force = await node.kubectl(['delete', 'pod', 'slow-stop', '--grace-period=0', '--force'], { timeoutMs: 30_000 });
      assert.equal(force.code, 0, force.stderr);
      await waitFor('the pod\'s Docker objects removed', async () => node.dockerIds(pod.metadata!.uid!).length === 0, 30_000, 500);
    });
  });

  describe('agent restart (kill -9) converges', () => {
    test('a pod deleted meanwhile is cleaned up, a container removed behind its back is recreated, unowned objects go', async () => {
      const c = [{ name: 'main', ...BB, command: idle() }];
      await node.createPod({ metadata: { name: 'rs-keep' }, spec: { terminationGracePeriodSeconds: 2, containers: c } });
      await node.createPod({ metadata: { name: 'rs-gone' }, spec: { terminationGracePeriodSeconds: 2, containers: c } });
      const keep = await node.waitPod('rs-keep', 'running', running, 45_000);
      const gone = await node.waitPod('rs-gone', 'running', running, 45_000);
      const goneUid = gone.metadata!.uid!;
      const keepUid = keep.metadata!.uid!;
      const oldId = containerId(keep, 'main');
      const syncs = node.syncCount();

      await node.killAgent();
      const del = await node.kubectl(['delete', 'pod', 'rs-gone', '--grace-period=0', '--force'], { timeoutMs: 30_000 });
      assert.equal(del.code, 0, del.stderr);
      assert.equal((await node.docker(['rm', '-f', oldId])).code, 0);
      // A sandbox of a pod the API never had, labelled as this agent's.
      const orphanUid = `orphan-${Date.now().toString(36)}`;
      node.track(orphanUid);
      const orphan = await node.docker(['run', '-d', '--label', 'io.skiff.managed=true', '--label', `io.skiff.pod.uid=${orphanUid}`, '--label', 'io.skiff.pod.name=orphan',
        '--label', 'io.skiff.pod.namespace=default', '--label', 'io.skiff.type=sandbox', '--label', 'io.skiff.container.name=POD', '--label', `io.skiff.agent.root=${node.home}`,
        'skiff/pause:3.9']);
      assert.equal(orphan.code, 0, orphan.stderr);
      assert.equal(node.dockerIds(goneUid).length > 0, true, 'the deleted pod still has containers while the agent is down');

      node.startAgent();
      await waitFor('the restarted agent in sync', async () => { node.alive(); return node.syncCount() > syncs; }, 30_000);
      await waitFor('the deleted pod\'s containers removed', async () => node.dockerIds(goneUid).length === 0, 30_000, 500);
      await waitFor('the unowned sandbox removed', async () => node.dockerIds(orphanUid).length === 0, 30_000, 500);
      const back = await node.waitPod('rs-keep', 'main recreated', (p) => running(p) && containerId(p, 'main') !== oldId && p, 45_000);
      assert.ok(node.dockerIds(keepUid).includes((await node.docker(['inspect', '-f', '{{.Id}}', containerId(back, 'main')])).stdout.trim()));
    });
  });
});
