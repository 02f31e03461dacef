export { StreamServer, type StreamServerOptions } from './stream-server';
export { StatsCollector, cpuRate, pushSample, readNodeCounters, type CpuSample } from './stats-collector';
export { logOptionsOf } from './serve-logs';
