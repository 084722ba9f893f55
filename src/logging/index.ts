// The logging room's one entry: the pino logger factory and the events it reports.
export { createLogger, initLogger, processLogger, configSummary, redactUrl, REDACTED_PATHS, type Logger } from './logger';
export { logLedgerEvents } from './ledger-events';
