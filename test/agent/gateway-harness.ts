import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { EtcdStorage, NamespaceCache, Registry, type ClusterPki } from '@skiff/apiserver';
import { createLogger, nullLogger, type Logger } from '@skiff/logging';
// Until Master.start() wires the gateway (and @skiff/master's index exports it), the test runs it in-process.
import { startAgentGateway, type AgentGateway } from '@skiff/master';
import type { ControlPlane } from '../lib/control-plane';

/**
 * The agent gateway in the test process, on a Registry over the control
 * plane's etcd, with the control plane's CA: what skiff-master will run itself
 * once its start() calls startAgentGateway.
 */
export class InProcessGateway {
  private constructor(readonly registry: Registry, readonly gateway: AgentGateway, readonly caCert: string, private readonly etcd: Etcd3, private readonly ns: NamespaceCache) {}

  static async start(cp: ControlPlane, opts: { logFile?: string; port?: number } = {}): Promise<InProcessGateway> {
    const log: Logger = opts.logFile ? createLogger({ file: opts.logFile, console: false }) : nullLogger();
    const etcd = new Etcd3({ hosts: [cp.etcd.clientUrl], dialTimeout: 5000 });
    const ns = new NamespaceCache();
    const registry = new Registry(new EtcdStorage(etcd), ns);
    await ns.start(registry, log);
    const dir = join(cp.dir, 'pki');
    const pair = (n: string) => ({ cert: readFileSync(join(dir, `${n}.crt`), 'utf8'), key: readFileSync(join(dir, `${n}.key`), 'utf8') });
    const pki: ClusterPki = { dir, ca: pair('ca'), apiserver: pair('apiserver'), admin: pair('admin') };
    const gateway = await startAgentGateway({ registry, log, pki, port: opts.port ?? 0, host: '127.0.0.1', home: cp.dir });
    return new InProcessGateway(registry, gateway, pki.ca.cert, etcd, ns);
  }

  get address(): string {
    return `127.0.0.1:${this.gateway.port}`;
  }

  async stop(): Promise<void> {
    await this.gateway.stop();
    this.ns.close();
    this.etcd.close();
  }
}
