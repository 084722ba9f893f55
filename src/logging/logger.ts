// The one logger factory: pino JSON lines on stdout, one per event, each
// carrying the process's `worker` and `pid`; secrets are censored by path,
// and LOG_FORMAT=pretty renders them for people through pino-pretty.
import pino, { type Logger } from 'pino';
import type { Config } from '../config/config';

export type { Logger } from 'pino';

/** Field paths censored wherever they appear in a log line's objects. */
export const REDACTED_PATHS = ['adminToken', 'metricsToken', 'authorization', '*.adminToken', '*.metricsToken', '*.authorization', 'headers.authorization'];

export function createLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, worker: number | 'primary'): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { worker, pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (config.logFormat === 'pretty') {
    try {
      require.resolve('pino-pretty');
    } catch {
      throw new Error('LOG_FORMAT=pretty needs the pino-pretty package (npm install pino-pretty), or use LOG_FORMAT=json');
    }
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname' } } });
  }
  // Synchronous writes: a line logged just before process.exit is not lost.
  return pino(options, pino.destination({ fd: 1, sync: true }));
}

let current: Logger | undefined;

/**
 * This process's logger, made once at start-up by initLogger. Code far from
 * the start (an unexpected error while serving a request) reaches it here;
 * before initLogger, a JSON logger at level info.
 */
export function processLogger(): Logger {
  return (current ??= pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 1, sync: true })));
}

export function initLogger(config: Pick<Config, 'logLevel' | 'logFormat'>, worker: number | 'primary'): Logger {
  current = createLogger(config, worker);
  return current;
}

/** Hides a password in a URL such as redis://:secret@host:6379. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = 'redacted';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** The configuration as logged at start-up: every setting, no secret. */
export function configSummary(config: Config): Record<string, unknown> {
  const { adminToken, metricsToken, gateToken, ticketSigningKey, ...rest } = config;
  return {
    ...rest,
    redisUrl: redactUrl(config.redisUrl),
    adminTokenFrom: adminToken ? 'ADMIN_TOKEN' : 'generated at start-up',
    metricsTokenSet: metricsToken !== undefined,
    admission: { ...config.admission, secret: config.admission.secret ? '[set]' : 'generated at start-up' },
    gateTokenSet: gateToken !== undefined,
    // A PEM is the private key itself: only where it comes from is logged.
    ticketSigningKeyFrom: ticketSigningKey === null ? 'DATA_DIR' : ticketSigningKey.trimStart().startsWith('-----BEGIN') ? 'TICKET_SIGNING_KEY (a PEM)' : ticketSigningKey,
  };
}
