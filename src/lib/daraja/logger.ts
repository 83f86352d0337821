/**
 * The logging surface the client writes to. Deliberately tiny so Medusa's logger, pino or console all fit.
 * The client only ever passes identifiers, paths, status codes and masked phone numbers in `meta`;
 * credentials, tokens and request bodies are never logged.
 */
export interface DarajaLogger {
  debug(msg: string, meta?: Record<string, unknown>): void
  info(msg: string, meta?: Record<string, unknown>): void
  warn(msg: string, meta?: Record<string, unknown>): void
  error(msg: string, meta?: Record<string, unknown>): void
}

const noop = (): void => undefined

export const silentLogger: DarajaLogger = { debug: noop, info: noop, warn: noop, error: noop }
