import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { caHash, EtcdStorage, NamespaceCache, Registry } from '@skiff/apiserver';
import { createLogger, type Logger } from '@skiff/logging';
import { startControlPlaneLoops } from '@skiff/controllers';
import { createBootstrapToken } from '@skiff/master';
import { REPO, stopProcess, waitFor, FatalWaitError, type ControlPlane } from '../lib/control-plane';

/**
 * The control-plane loops in the test process, on a Registry over the control plane's etcd.
 * Leader election on the same Lease means that once skiff-master runs the loops itself,
 * this copy simply stays a follower.
 */
export class InProcessLoops {
  private constructor(readonly registry: Registry, private readonly loops: { stop(): Promise<void> }, private readonly etcd: Etcd3, private readonly ns: NamespaceCache) {}

  static async start(cp: ControlPlane, logFile: string): Promise<InProcessLoops> {
    const log: Logger = createLogger({ file: logFile, console: false, level: 'debug' });
    const etcd = new Etcd3({ hosts: [cp.etcd.clientUrl], dialTimeout: 5000 });
    const ns = new NamespaceCache();
    const registry = new Registry(new EtcdStorage(etcd), ns);
    await ns.start(registry, log);
    const loops = await startControlPlaneLoops({ registry, log, leaderElection: { identity: 'e2e-test', retryPeriodMs: 500, leaseDurationSeconds: 5 } });
    return new InProcessLoops(registry, loops, etcd, ns);
  }

  async stop(): Promise<void> {
    await this.loops.stop();
    this.ns.close();
    this.etcd.close();
  }
}

export interface JoinedAgent {
  proc: ChildProcess;
  home: string;
  node: string;
  stop(): Promise<void>;
}

/** Joins a real skiff-agent to the master's own gateway and waits for its Node to be Ready. */
export async function joinAgent(cp: ControlPlane, registry: Registry, node: string): Promise<JoinedAgent> {
  const home = mkdtempSync(join(tmpdir(), 'skiff-ctrl-agent-'));
  const token = await createBootstrapToken(registry, 600);
  const ca = readFileSync(join(cp.dir, 'pki', 'ca.crt'), 'utf8');
  const proc = spawn(process.execPath, [join(REPO, 'packages/agent/dist/main.js'), '--home', home, '--node-name', node, '--log-file', join(home, 'agent.log'),
    '--allowed-registries', '127.0.0.1:5000,localhost:5000', '--proxy-mode', 'none', '--join', `127.0.0.1:${cp.gatewayPort}`, '--token', token, '--ca-hash', caHash(ca)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const agentLog = () => (existsSync(join(home, 'agent.log')) ? readFileSync(join(home, 'agent.log'), 'utf8').slice(-3000) : '');
  await waitFor('the node Ready', async () => {
    if (proc.exitCode !== null) throw new FatalWaitError(`skiff-agent exited (${proc.exitCode}): ${err}\n${agentLog()}`);
    const out = (await cp.kubectl(['get', 'nodes', '--no-headers'])).stdout;
    return out.split('\n').some((l) => l.startsWith(`${node} `) && /\sReady\s/.test(l));
  }, 40_000);
  return { proc, home, node, stop: () => stopProcess(proc) };
}

/** Removes the Docker containers of every pod in a namespace (tests clean up after themselves). */
export function removePodContainers(namespace: string): void {
  const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=io.skiff.pod.namespace=${namespace}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (ids.length) execFileSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
}
