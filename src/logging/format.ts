// One log event (a pino JSON line) as each sink writes it: the JSON line itself, or oslo.log's default text
// layout (`<date> <time>.<ms> <pid> <LEVEL> <logger> [-] <message> key=value …`), optionally behind a syslog
// `<PRI>` prefix for logger(1) --prio-prefix and systemd-cat --level-prefix. Pure.

/** the pino level of an event → syslog severity (RFC 5424: 2 critical … 7 debug) */
export function severityOf(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/** Python's level names, as oslo.log prints them */
function levelName(level: number): string {
  if (level >= 60) return 'CRITICAL';
  if (level >= 50) return 'ERROR';
  if (level >= 40) return 'WARNING';
  if (level >= 30) return 'INFO';
  return 'DEBUG';
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-12-04 10:00:00.123` in local time, as oslo.log's asctime.msecs */
function timestamp(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && value !== null && 'message' in value) {
    const e = value as { type?: unknown; code?: unknown; message?: unknown };
    return JSON.stringify([e.code ?? e.type, e.message].filter((x) => x !== undefined).join(': '));
  }
  return JSON.stringify(value) ?? String(value);
}

export interface LogEvent { level: number; time: number; pid?: number; logger?: string; msg?: string; [field: string]: unknown }

/** oslo.log's default text layout for one event (no trailing newline) */
export function textLine(e: LogEvent): string {
  const { level, time, pid, logger, msg, ...fields } = e;
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${fieldText(v)}`);
  return [`${timestamp(time)} ${pid ?? ''} ${levelName(level)} ${logger ?? 'kuryr_libnetwork'} [-] ${msg ?? ''}`, ...rest].join(' ');
}

/** parse a pino line; undefined for anything that is not one (it is then passed on as it is) */
export function parseEvent(line: string): LogEvent | undefined {
  try {
    const e = JSON.parse(line) as unknown;
    if (typeof e === 'object' && e !== null && typeof (e as LogEvent).level === 'number' && typeof (e as LogEvent).time === 'number') {
      return e as LogEvent;
    }
  } catch { /* not JSON */ }
  return undefined;
}
