// The plugin's loggers, built from the honoured oslo.log options (config/logging-settings.ts): pino loggers per
// name (kuryr_libnetwork, kuryr_libnetwork.server, neutronclient) with default_log_levels applied, writing to
// every sink the options ask for — stderr, log_file (reopened on SIGHUP), syslog through logger(1), the
// journal through systemd-cat — each line as JSON or oslo.log text (format.ts). The sinks are seams, so tests
// record what each receives; production writes through pino's destinations and host/exec.ts's line sinks.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import pino, { type Logger } from 'pino';
import { levelFor, LOGGER_NAMES, type LoggerName } from '../config/logging-settings.ts';
import type { KuryrConfig } from '../config/types.ts';
import { ConfigError } from '../errors.ts';
import { startLineSink, type LineSink, type LineSinkOptions } from '../host/exec.ts';
import { parseEvent, severityOf, textLine } from './format.ts';

export const SYSLOG_TAG = 'kuryr-libnetwork';
const JOURNAL_STREAM = '/run/systemd/journal/stdout';

/** a destination that can be flushed and (for files) reopened after logrotate moved it */
export interface Destination { write(text: string): void; flush?(): void; reopen?(): void; close?(): Promise<void> }

export interface LogSinkDeps {
  stderr(): Destination;
  file(path: string): Destination;
  lineSink(argv: readonly string[], opts: LineSinkOptions): LineSink;
  /** an executable of this name on PATH, or undefined */
  which(name: string): string | undefined;
  exists(path: string): boolean;
  pid: number;
  syslogSocket: string;
}

/** a pino (SonicBoom) destination behind the Destination shape */
function sonic(opts: { dest: number | string; mkdir?: boolean; append?: boolean }): Destination {
  // synchronous, as pino.destination() is by default: a kill -9 loses no line that was logged
  const b = pino.destination({ ...opts, sync: true });
  return {
    write: (text) => { b.write(text); },
    flush: () => { try { b.flushSync(); } catch { /* not open yet: nothing was written */ } },
    reopen: () => { if (typeof opts.dest === 'string') b.reopen(); },
    close: () => new Promise<void>((resolve) => { b.once('close', () => resolve()); b.end(); }),
  };
}

export function realSinkDeps(): LogSinkDeps {
  return {
    stderr: () => sonic({ dest: 2 }),
    file: (path) => sonic({ dest: path, mkdir: true, append: true }),
    lineSink: (argv, opts) => startLineSink(argv, opts),
    which: (name) => (process.env['PATH'] ?? '/usr/bin:/bin').split(delimiter).map((d) => join(d, name)).find((p) => {
      try { accessSync(p, constants.X_OK); return true; } catch { return false; }
    }),
    exists: (path) => { try { accessSync(path); return true; } catch { return false; } },
    pid: process.pid,
    syslogSocket: '/dev/log',
  };
}

export interface PluginLoggers {
  log(name: LoggerName): Logger;
  /** where the log goes, for the start-up line */
  readonly sinks: readonly string[];
  /** reopen log_file (SIGHUP) */
  reopen(): void;
  flush(): void;
  close(): Promise<void>;
}

interface Sink { name: string; dest: Destination; prefix?: (severity: number) => string }

function configRefused(option: string, reason: string): ConfigError {
  return new ConfigError('ERR_CONFIG_VALUE', `[DEFAULT] ${option} = True: ${reason}`, { details: { section: 'DEFAULT', option } });
}

export function createPluginLoggers(config: KuryrConfig, deps: LogSinkDeps = realSinkDeps()): PluginLoggers {
  const l = config.default.logging;
  const json = l.useJson;
  const sinks: Sink[] = [];
  const stderr = deps.stderr();
  const report = (text: string) => stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), pid: deps.pid, logger: 'kuryr_libnetwork', msg: text })}\n`);

  if (l.useJournal) {
    const cat = deps.which('systemd-cat');
    if (cat === undefined) throw configRefused('use_journal', 'systemd-cat is not on PATH (Debian package systemd)');
    if (!deps.exists(JOURNAL_STREAM)) throw configRefused('use_journal', `${JOURNAL_STREAM} does not exist (journald is not running here)`);
    const sink = deps.lineSink([cat, `--identifier=${SYSLOG_TAG}`, '--level-prefix=true'],
      { onExit: (why) => report(`the journal log sink stopped: ${why}`) });
    sinks.push({ name: 'journal', dest: { write: (t) => sink.write(t), close: () => sink.close() }, prefix: (sev) => `<${sev}>` });
  }
  if (l.useSyslog) {
    const logger = deps.which('logger');
    if (logger === undefined) throw configRefused('use_syslog', 'logger is not on PATH (Debian package bsdutils)');
    if (!deps.exists(deps.syslogSocket)) throw configRefused('use_syslog', `${deps.syslogSocket} does not exist (no syslog daemon here)`);
    const sink = deps.lineSink([logger, '--prio-prefix', '--tag', SYSLOG_TAG, `--id=${deps.pid}`, '--size', '16384',
      '--socket', deps.syslogSocket], { onExit: (why) => report(`the syslog log sink stopped: ${why}`) });
    const facility = l.syslogFacility;
    sinks.push({ name: `syslog (${deps.syslogSocket})`, dest: { write: (t) => sink.write(t), close: () => sink.close() },
      prefix: (sev) => `<${facility * 8 + sev}>` });
  }
  if (config.default.logFile !== undefined) sinks.push({ name: config.default.logFile, dest: deps.file(config.default.logFile) });
  if (sinks.length === 0 || l.useStderr) sinks.push({ name: 'stderr', dest: stderr });

  // one pino stream; every event fans out to each sink in that sink's shape
  const fanout = {
    write(line: string) {
      const event = json && sinks.every((s) => s.prefix === undefined) ? undefined : parseEvent(line);
      const text = event === undefined || json ? line.replace(/\n$/, '') : textLine(event);
      for (const s of sinks) s.dest.write(`${s.prefix === undefined || event === undefined ? '' : s.prefix(severityOf(event.level))}${text}\n`);
    },
    flush() { for (const s of sinks) s.dest.flush?.(); },
  };
  const root = pino({ level: 'trace', base: { pid: deps.pid } }, fanout);
  const rootLevel = config.default.debug ? 'debug' : 'info';
  const loggers = new Map<LoggerName, Logger>();
  for (const name of LOGGER_NAMES) {
    const child = root.child({ logger: name });
    child.level = levelFor(name, l.levels, rootLevel);
    loggers.set(name, child);
  }
  return {
    log: (name) => loggers.get(name)!,
    sinks: sinks.map((s) => s.name),
    reopen() { for (const s of sinks) s.dest.reopen?.(); },
    flush() { fanout.flush(); },
    async close() {
      fanout.flush();
      for (const s of sinks) if (s.dest !== stderr) await s.dest.close?.();
    },
  };
}
