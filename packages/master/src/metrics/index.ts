export { metricsApi, METRICS_GROUP, METRICS_VERSION, METRICS_RESOURCES, cpuQuantity, memoryQuantity, nodeMetrics, podMetrics } from './metrics-api';
export { NodeStatsCache, STATS_MAX_AGE_MS } from './node-stats-cache';
export { statsPodMetricsSource } from './pod-metrics-source';
