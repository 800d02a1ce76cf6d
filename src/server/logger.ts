// The logging seam of the server role: the agent passes its logger; tests pass nothing.

export interface Logger {
  debug(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Fills the levels a partial logger lacks (the scheduler's logger only has debug/warn). */
export function fullLogger(l: Partial<Logger> | undefined): Logger {
  if (!l) return silentLogger;
  return {
    debug: l.debug?.bind(l) ?? (() => {}),
    info: l.info?.bind(l) ?? (() => {}),
    warn: l.warn?.bind(l) ?? (() => {}),
    error: l.error?.bind(l) ?? (() => {}),
  };
}
