/** What every command needs: parsed flags, kubeconfig, client and discovery (all lazy), output. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Flags } from './args';
import { ApiClient } from './client';
import { Discovery } from './discovery';
import { ConfigFlags, KubeConfig, loadKubeConfig, RestConfig, restConfig } from './kubeconfig';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export class Ctx {
  private kc?: KubeConfig;
  private rc?: RestConfig;
  private cl?: ApiClient;
  private disc?: Discovery;

  constructor(readonly flags: Flags, readonly command: string, readonly io: Io, readonly env: NodeJS.ProcessEnv = process.env) {}

  out(s: string): void {
    this.io.stdout(s);
  }

  err(s: string): void {
    this.io.stderr(s);
  }

  configFlags(): ConfigFlags {
    const f = this.flags;
    return {
      kubeconfig: f.str('kubeconfig'), context: f.str('context'), cluster: f.str('cluster'), user: f.str('user'),
      namespace: f.str('namespace'), server: f.str('server'), token: f.str('token'),
      insecureSkipTlsVerify: f.has('insecure-skip-tls-verify') ? f.bool('insecure-skip-tls-verify') : undefined,
    };
  }

  kubeconfig(): KubeConfig {
    this.kc ??= loadKubeConfig(this.configFlags(), this.env);
    return this.kc;
  }

  rest(): RestConfig {
    this.rc ??= restConfig(this.kubeconfig(), this.configFlags());
    return this.rc;
  }

  get namespace(): string {
    return this.rest().namespace;
  }

  client(): ApiClient {
    if (!this.cl) {
      this.cl = new ApiClient(this.rest(), `kubectl ${this.command}`);
      this.cl.onWarning = (t) => this.err(`Warning: ${t}\n`);
    }
    return this.cl;
  }

  discovery(): Discovery {
    const cacheDir = this.flags.str('cache-dir') ?? join(this.env.HOME ?? homedir(), '.kube', 'cache');
    this.disc ??= new Discovery(this.client(), cacheDir);
    return this.disc;
  }

  close(): void {
    this.cl?.close();
  }
}
