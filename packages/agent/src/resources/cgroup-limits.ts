import type { Container } from 'kubernetes-types/core/v1';
import { quantityMilliValue, quantityValue } from './quantity';
import { effectiveRequests } from './qos';

/** The cgroup settings a container gets from its resources, runtime-neutral. */
export interface CgroupLimits {
  /** bytes; also the memory+swap limit so that the container cannot swap. */
  memoryLimitBytes?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares: number;
  pidsLimit?: number;
}

export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const MIN_QUOTA_US = 1_000;

/** MilliCPUToShares from the kubelet: requests.cpu millicores * 1024 / 1000, at least 2. */
export function milliCpuToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  const shares = Math.floor((milli * 1024) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** MilliCPUToQuota from the kubelet: limits.cpu millicores over a 100ms period, at least 1ms. */
export function milliCpuToQuota(milli: number, period = CPU_PERIOD_US): number {
  if (milli === 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milli * period) / 1000));
}

export function cgroupLimitsFor(c: Container, pidsLimit?: number): CgroupLimits {
  const requests = effectiveRequests(c);
  const limits = c.resources?.limits ?? {};
  const out: CgroupLimits = { cpuShares: milliCpuToShares(requests.cpu !== undefined ? quantityMilliValue(requests.cpu) : 0) };
  if (limits.memory !== undefined) {
    const bytes = quantityValue(String(limits.memory));
    if (bytes > 0) out.memoryLimitBytes = bytes;
  }
  if (limits.cpu !== undefined) {
    const milli = quantityMilliValue(String(limits.cpu));
    if (milli > 0) {
      out.cpuPeriod = CPU_PERIOD_US;
      out.cpuQuota = milliCpuToQuota(milli);
    }
  }
  if (pidsLimit !== undefined && pidsLimit > 0) out.pidsLimit = pidsLimit;
  return out;
}
