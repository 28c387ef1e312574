// Values of the honoured oslo.log options, parsed: default_log_levels pairs and the syslog facility. Pure: the
// option table (options-logging.ts) declares them, build-config.ts calls these, src/logging/ uses the result.

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Python logging level names as oslo.log accepts them in default_log_levels */
const LEVELS: Readonly<Record<string, LogLevelName>> = {
  DEBUG: 'debug', INFO: 'info', WARN: 'warn', WARNING: 'warn', ERROR: 'error', CRITICAL: 'fatal', FATAL: 'fatal',
};

/** `logger=LEVEL` items → [logger, level]; the reason string names the first bad item */
export function parseLogLevels(items: readonly string[]): { ok: true; value: Array<[string, LogLevelName]> } | { ok: false; reason: string } {
  const out: Array<[string, LogLevelName]> = [];
  for (const item of items) {
    const at = item.lastIndexOf('=');
    const name = item.slice(0, at).trim();
    const level = LEVELS[item.slice(at + 1).trim().toUpperCase()];
    if (at <= 0 || name === '' || level === undefined) {
      return { ok: false, reason: `"${item}" is not logger=LEVEL (levels: ${Object.keys(LEVELS).join(', ')})` };
    }
    out.push([name, level]);
  }
  return { ok: true, value: out };
}

/** syslog facility codes (RFC 5424 numbering) by the names SysLogHandler knows */
const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** `LOG_LOCAL0`, `local0`, `LOG_USER` … → the facility code; undefined for anything else */
export function parseSyslogFacility(raw: string): number | undefined {
  const name = raw.trim().toLowerCase().replace(/^log_/, '');
  return FACILITIES[name];
}

/** the logger names this plugin has (default_log_levels applies to these and the names below them) */
export const LOGGER_NAMES = ['kuryr_libnetwork', 'kuryr_libnetwork.server', 'neutronclient'] as const;
export type LoggerName = (typeof LOGGER_NAMES)[number];

/**
 * The level of logger `name`: the most specific default_log_levels entry that is `name` or a parent of it
 * (`kuryr_libnetwork` covers `kuryr_libnetwork.server`), else the root level (debug or info).
 */
export function levelFor(name: string, levels: ReadonlyArray<readonly [string, LogLevelName]>, root: LogLevelName): LogLevelName {
  let best: { len: number; level: LogLevelName } | undefined;
  for (const [logger, level] of levels) {
    if (name !== logger && !name.startsWith(`${logger}.`)) continue;
    if (best === undefined || logger.length >= best.len) best = { len: logger.length, level };
  }
  return best?.level ?? root;
}
