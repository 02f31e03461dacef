import winston from 'winston';

/** The one logger shape the agent uses; child loggers carry context ({pod}, {component}). */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  child(context: Record<string, unknown>): Logger;
}

export function createLogger(level = process.env.SKIFF_LOG_LEVEL ?? 'info', context: Record<string, unknown> = {}): Logger {
  const w = winston.createLogger({
    level,
    defaultMeta: context,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  return wrap(w);
}

function wrap(w: winston.Logger): Logger {
  return {
    debug: (m, meta) => void w.debug(m, meta),
    info: (m, meta) => void w.info(m, meta),
    warn: (m, meta) => void w.warn(m, meta),
    error: (m, meta) => void w.error(m, meta),
    child: (ctx) => wrap(w.child(ctx)),
  };
}

export const nullLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};
