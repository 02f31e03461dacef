import { spawn } from 'node:child_process';

export type IptablesTable = 'nat' | 'filter';

export interface ExecResult { code: number; stdout: string; stderr: string }

/** The three ways the proxy touches iptables; each call is one process spawn. */
export interface IptablesRunner {
  /** `iptables-restore --noflush` with the payload on stdin; rejects with IptablesError on failure. */
  restore(payload: string): Promise<void>;
  /** `iptables-save [-t table]`. */
  save(table?: IptablesTable): Promise<string>;
  /** `iptables <args>`; never rejects for a non-zero exit (callers read `code`). */
  iptables(args: string[]): Promise<ExecResult>;
  /** Any other tool (conntrack) in the same namespace; rejects only when it cannot start. */
  exec(cmd: string, args: string[]): Promise<ExecResult>;
}

/** One failed iptables command, with its stderr (iptables-restore names the failing line). */
export class IptablesError extends Error {
  override readonly name = 'IptablesError';
  constructor(readonly command: string, readonly code: number, readonly stderr: string) {
    super(`${command} exited with ${code}: ${stderr.trim()}`);
  }
}

export interface ExecIptablesOptions {
  /** Run every command inside this network namespace (`ip netns exec <netns>`): tests and benchmarks. */
  netns?: string;
  /** Pass --wait (the xtables lock) to iptables and iptables-restore. Default true. */
  wait?: boolean;
  /** Binaries; default iptables, iptables-restore, iptables-save (the system's choice of nft or legacy). */
  iptablesBinary?: string;
  restoreBinary?: string;
  saveBinary?: string;
}

export class ExecIptables implements IptablesRunner {
  private readonly wait: boolean;
  constructor(private readonly opts: ExecIptablesOptions = {}) {
    this.wait = opts.wait ?? true;
  }

  private argv(cmd: string, args: string[]): [string, string[]] {
    return this.opts.netns ? ['ip', ['netns', 'exec', this.opts.netns, cmd, ...args]] : [cmd, args];
  }

  exec(cmd: string, args: string[], input?: string): Promise<ExecResult> {
    const [bin, argv] = this.argv(cmd, args);
    return new Promise((resolve, reject) => {
      const child = spawn(bin, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
      child.stdin.on('error', () => undefined);
      child.stdin.end(input ?? '');
    });
  }

  async restore(payload: string): Promise<void> {
    const bin = this.opts.restoreBinary ?? 'iptables-restore';
    const args = ['--noflush', ...(this.wait ? ['--wait'] : [])];
    const r = await this.exec(bin, args, payload);
    if (r.code !== 0) throw new IptablesError(`${bin} ${args.join(' ')}`, r.code, r.stderr);
  }

  async save(table?: IptablesTable): Promise<string> {
    const bin = this.opts.saveBinary ?? 'iptables-save';
    const args = table ? ['-t', table] : [];
    const r = await this.exec(bin, args);
    if (r.code !== 0) throw new IptablesError(`${bin} ${args.join(' ')}`, r.code, r.stderr);
    return r.stdout;
  }

  iptables(args: string[]): Promise<ExecResult> {
    return this.exec(this.opts.iptablesBinary ?? 'iptables', [...(this.wait ? ['--wait'] : []), ...args]);
  }
}
