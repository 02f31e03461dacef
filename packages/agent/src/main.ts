#!/usr/bin/env node
import { createLogger } from '@skiff/logging';
import { Agent } from './agent';
import { ConfigError, parseAgentFlags, usage } from './config';
import { expandAgentConfigFlag } from './config-file';
import { JoinError } from './gateway-client/node-credentials';
import { cleanupIptables, ExecIptables } from './proxy';

async function main(): Promise<void> {
  if (process.argv.includes('--cleanup')) {
    // Removes Skiff's own iptables chains and jumps from this node, nothing else.
    const removed = await cleanupIptables(new ExecIptables());
    process.stdout.write(`${removed.join('\n') || 'no skiff chains'}\n`);
    process.exit(0);
  }
  let cfg;
  try {
    cfg = parseAgentFlags(expandAgentConfigFlag(process.argv.slice(2)));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`skiff-agent: ${e.message}\n${usage()}`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({ file: cfg.logFile, console: !cfg.logFile || process.stderr.isTTY });
  const agent = new Agent(cfg, log.child({ component: 'agent' }));
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down; pods keep running', { signal });
    agent.stop().then(() => process.exit(0), () => process.exit(1));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  try {
    await agent.start();
  } catch (e) {
    log.error('start-up failed', { error: (e as Error).stack ?? String(e) });
    process.stderr.write(`skiff-agent: ${e instanceof JoinError ? '' : 'start-up failed: '}${(e as Error).message}\n`);
    process.exit(1);
  }
}

void main();
