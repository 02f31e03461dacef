import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import type Docker from 'dockerode';
import { ownCgroupCapacity } from './cgroup-capacity';

/** What the agent reports about the machine it runs on. */
export interface HostFacts {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  /** Size of the filesystem holding the agent's pod directories. */
  ephemeralStorageBytes: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  operatingSystem: string;
  containerRuntimeVersion: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
}

/** Node's process.arch in Go's GOARCH spelling, as Kubernetes labels use. */
export function goArch(arch: string = process.arch): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch] ?? arch;
}

async function readTrim(path: string): Promise<string> {
  try {
    return (await fs.readFile(path, 'utf8')).trim();
  } catch {
    return '';
  }
}

export async function osImage(): Promise<string> {
  const text = await readTrim('/etc/os-release');
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
  return m?.[1] ?? `${os.type()} ${os.release()}`;
}

export async function collectHostFacts(docker: Docker, dataDir: string): Promise<HostFacts> {
  const version = await docker.version();
  let storage = 0;
  try {
    const st = await fs.statfs(dataDir);
    storage = st.blocks * st.bsize;
  } catch {
    storage = 0;
  }
  // A node in a limited cgroup (lab nodes share one host) reports that share, not the machine.
  const limits = await ownCgroupCapacity();
  const hostCpus = os.availableParallelism?.() ?? os.cpus().length;
  return {
    hostname: os.hostname(),
    cpus: limits.cpus !== undefined ? Math.min(hostCpus, Math.round(limits.cpus * 1000) / 1000) : hostCpus,
    memoryBytes: Math.min(os.totalmem(), limits.memoryBytes ?? Infinity),
    ephemeralStorageBytes: storage,
    kernelVersion: os.release(),
    osImage: await osImage(),
    architecture: goArch(),
    operatingSystem: process.platform === 'win32' ? 'windows' : process.platform,
    containerRuntimeVersion: `docker://${version.Version}`,
    machineID: await readTrim('/etc/machine-id'),
    systemUUID: (await readTrim('/sys/class/dmi/id/product_uuid')) || (await readTrim('/etc/machine-id')),
    bootID: await readTrim('/proc/sys/kernel/random/boot_id'),
  };
}
