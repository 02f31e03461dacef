/**
 * Throwaway network namespaces for tests that touch iptables or routes. Every
 * namespace is named `skiff-test-<random>-<role>`; nothing here touches the
 * root namespace. `Topology.destroy()` kills what it started and deletes the
 * namespaces.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function netnsUnavailable(): string | undefined {
  if (process.env.SKIFF_SKIP_NETNS === '1') return 'SKIFF_SKIP_NETNS=1';
  if (process.getuid?.() !== 0) return 'needs root (ip netns)';
  for (const bin of ['ip', 'iptables-restore', 'iptables-save', 'busybox', 'curl']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return `${bin} not installed`;
  }
  return undefined;
}

export function randomSuffix(): string {
  return `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

export class Netns {
  constructor(readonly name: string) {}

  /** Runs a command inside the namespace; throws with its stderr on failure. */
  run(cmd: string, ...args: string[]): string {
    try {
      return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`[${this.name}] ${cmd} ${args.join(' ')}: ${err.stderr || err.message}`);
    }
  }

  /** Like run, but returns the exit status and output instead of throwing. */
  tryRun(cmd: string, ...args: string[]): { status: number; stdout: string; stderr: string; ms: number } {
    const t = Date.now();
    const r = spawnSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t };
  }
}

/**
 * A "node" namespace with a bridge for its pod range and a veth holding the
 * node IP and the default route into a "world" namespace that silently drops
 * everything
 * (so untranslated traffic would hang rather than fail if nothing rejected it),
 * plus "pod" namespaces on the bridge, each optionally serving HTTP.
 */
export class Topology {
  readonly node!: Netns;
  readonly pods: Netns[] = [];
  private readonly procs: ChildProcess[] = [];
  private readonly dirs: string[] = [];
  private readonly all: string[] = [];

  constructor(readonly prefix = `skiff-test-${randomSuffix()}`, readonly nodeIP = '192.168.77.1', readonly podGateway = '10.244.1.1') {
    try {
      this.node = this.create('n');
      const n = this.node;
      n.run('ip', 'link', 'set', 'lo', 'up');
      // The "world": the node's default route leads into a namespace that forwards nothing,
      // so a packet no rule handled is silently lost there (a hang, not an error).
      const world = this.create('w');
      execFileSync('ip', ['-n', n.name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', world.name]);
      n.run('ip', 'addr', 'add', `${nodeIP}/24`, 'dev', 'eth0');
      n.run('ip', 'link', 'set', 'eth0', 'up');
      n.run('ip', 'route', 'add', 'default', 'via', '192.168.77.254');
      world.run('ip', 'addr', 'add', '192.168.77.254/24', 'dev', 'eth0');
      world.run('ip', 'link', 'set', 'eth0', 'up');
      // Silently: with forwarding off the world would answer ICMP host-unreachable,
      // which a client cannot tell from a REJECT.
      world.run('ip', 'route', 'add', 'blackhole', 'default');
      n.run('ip', 'link', 'add', 'br0', 'type', 'bridge');
      n.run('ip', 'addr', 'add', `${podGateway}/24`, 'dev', 'br0');
      n.run('ip', 'link', 'set', 'br0', 'up');
      n.run('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private create(role: string): Netns {
    const name = `${this.prefix}-${role}`;
    execFileSync('ip', ['netns', 'add', name]);
    this.all.push(name);
    return new Netns(name);
  }

  /** A pod namespace at `ip` on the node's bridge; with `body`, a busybox httpd on `port` serving it. */
  addPod(ip: string, body?: string, port = 8080): Netns {
    const i = this.pods.length;
    const pod = this.create(`p${i}`);
    const host = `vp${i}`;
    execFileSync('ip', ['-n', this.node.name, 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name]);
    this.node.run('ip', 'link', 'set', host, 'master', 'br0');
    this.node.run('ip', 'link', 'set', host, 'up');
    // With br_netfilter, a packet DNATed back to its own sender is bridged out of the
    // port it came in on: the port needs hairpin mode (the kubelet's hairpin-veth).
    this.node.run('ip', 'link', 'set', host, 'type', 'bridge_slave', 'hairpin', 'on');
    pod.run('ip', 'link', 'set', 'lo', 'up');
    pod.run('ip', 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
    pod.run('ip', 'link', 'set', 'eth0', 'up');
    pod.run('ip', 'route', 'add', 'default', 'via', this.podGateway);
    if (body !== undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'skiff-netns-www-'));
      this.dirs.push(dir);
      writeFileSync(join(dir, 'index.html'), body);
      const proc = spawn('ip', ['netns', 'exec', pod.name, 'busybox', 'httpd', '-f', '-p', String(port), '-h', dir], { stdio: 'ignore' });
      this.procs.push(proc);
    }
    this.pods.push(pod);
    return pod;
  }

  /** A UDP server in a pod namespace answering each datagram with `<prefix>:<datagram>`. */
  udpEcho(pod: Netns, port: number, prefix: string): void {
    const code = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send('${prefix}:'+m,r.port,r.address));s.bind(${port});`;
    this.procs.push(spawn('ip', ['netns', 'exec', pod.name, process.execPath, '-e', code], { stdio: 'ignore' }));
  }

  /** Sends one UDP datagram from a namespace and returns the reply ('' on timeout). */
  udpAsk(from: Netns, host: string, port: number, msg: string, timeoutMs = 1500): string {
    const code = `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{process.stdout.write(m);process.exit(0)});setTimeout(()=>process.exit(3),${timeoutMs});s.send('${msg}',${port},'${host}');`;
    return from.tryRun(process.execPath, '-e', code).stdout;
  }

  /** Waits until every pod's server answers on its own address. */
  async waitServing(ips: string[], port = 8080): Promise<void> {
    for (const ip of ips) {
      for (let i = 0; ; i++) {
        const r = this.node.tryRun('curl', '-s', '--max-time', '1', `http://${ip}:${port}/`);
        if (r.status === 0) break;
        if (i > 50) throw new Error(`pod server ${ip}:${port} never answered`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }

  destroy(): void {
    for (const p of this.procs) if (p.exitCode === null) p.kill('SIGKILL');
    for (const name of this.all.reverse()) spawnSync('ip', ['netns', 'del', name]);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
