#!/usr/bin/env node
import { createLogger } from '@skiff/logging';
import { ConfigError, parseFlags, usage } from './config';
import { expandMasterConfigFlag } from './config-file';
import { Master } from './master';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = parseFlags(expandMasterConfigFlag(process.argv.slice(2)));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`skiff-master: ${e.message}\n${usage()}`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({ file: cfg.logFile, console: !cfg.logFile || process.stderr.isTTY });
  const master = new Master(cfg, log.child({ component: 'master' }));
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    master.stop().then(() => process.exit(0), () => process.exit(1));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await master.start();
  } catch (e) {
    log.error('start-up failed', { error: (e as Error).stack ?? String(e) });
    process.stderr.write(`skiff-master: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

void main();
