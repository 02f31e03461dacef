import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import winston from 'winston';

/** The minimal logger interface components depend on. */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  child(meta: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** JSON lines go here when set. */
  file?: string;
  /** Terminal output (stderr); default true unless a file is given. */
  console?: boolean;
  level?: string;
}

const terminalFormat = winston.format.printf((info) => {
  const { level, message, timestamp, component, ...rest } = info as Record<string, unknown>;
  const extra = Object.entries(rest)
    .filter(([k]) => typeof k === 'string' && !k.startsWith('Symbol'))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(timestamp)} ${String(level).toUpperCase().padEnd(5)} ${component ? `[${String(component)}] ` : ''}${String(message)}${extra ? ' ' + extra : ''}`;
});

export function createLogger(opts: LoggerOptions = {}): Logger {
  const transports: winston.transport[] = [];
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    transports.push(new winston.transports.File({ filename: opts.file, format: winston.format.combine(winston.format.timestamp(), winston.format.json()) }));
  }
  if (opts.console ?? !opts.file) {
    transports.push(new winston.transports.Console({
      stderrLevels: ['error', 'warn', 'info', 'debug'],
      format: winston.format.combine(winston.format.timestamp(), terminalFormat),
    }));
  }
  return winston.createLogger({ level: opts.level ?? process.env.SKIFF_LOG_LEVEL ?? 'info', transports }) as unknown as Logger;
}

/** A logger that drops everything (unit tests). */
export function nullLogger(): Logger {
  const l: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => l };
  return l;
}
