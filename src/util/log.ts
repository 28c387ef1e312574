// The logger shape the plugin's modules use (pino satisfies it). Modules take it as a dependency so tests
// can pass a silent or recording logger.
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
