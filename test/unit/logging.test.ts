// The honoured oslo.log options (src/logging/, config/logging-settings.ts): where the log goes (stderr,
// log_file reopened after a move, syslog through the real logger(1) into a datagram socket this test
// listens on, the journal through systemd-cat's argv), JSON or oslo text lines, default_log_levels per logger
// (hierarchical, debug lowers only the default), log_config_append refused, the others warned about.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { levelFor, parseLogLevels, parseSyslogFacility } from '../../src/config/logging-settings.ts';
import { parseConfigText } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import type { LineSink } from '../../src/host/exec.ts';
import { createPluginLoggers, realSinkDeps, type Destination, type LogSinkDeps } from '../../src/logging/create-logger.ts';
import { severityOf, textLine } from '../../src/logging/format.ts';

const NOAUTH = '[neutron]\nauth_type = none\nendpoint_override = http://n.test:9696\n';
const config = (defaults: string) => parseConfigText(`[DEFAULT]\n${defaults}\n${NOAUTH}`, 'kuryr.conf', { hostname: 'h' });

/** recording sinks: what stderr, the file and each line-sink command received */
function recording(o: { missing?: string[] } = {}) {
  const got = { stderr: [] as string[], files: new Map<string, string[]>(), sinks: [] as { argv: readonly string[]; lines: string[] }[] };
  const dest = (into: string[]): Destination => ({ write: (t) => { into.push(t); } });
  const deps: LogSinkDeps = {
    stderr: () => dest(got.stderr),
    file: (path) => { const lines: string[] = []; got.files.set(path, lines); return dest(lines); },
    lineSink: (argv): LineSink => { const s = { argv, lines: [] as string[] }; got.sinks.push(s); return { write: (l) => { s.lines.push(l); }, close: async () => {} }; },
    which: (name) => (o.missing?.includes(name) ? undefined : `/usr/bin/${name}`),
    exists: (path) => !(o.missing?.includes(path) ?? false),
    pid: 4321,
    syslogSocket: '/dev/log',
  };
  return { got, deps };
}
const events = (lines: readonly string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('oslo.log options: parsing', () => {
  it('default_log_levels: logger=LEVEL with Python level names; a bad item is named', () => {
    assert.deepEqual(parseLogLevels(['a=DEBUG', 'b.c=WARNING', 'd=warn', 'e=CRITICAL']),
      { ok: true, value: [['a', 'debug'], ['b.c', 'warn'], ['d', 'warn'], ['e', 'fatal']] });
    const bad = parseLogLevels(['a=INFO', 'b=LOUD']);
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.reason : '', /"b=LOUD" is not logger=LEVEL/);
    assert.throws(() => config('default_log_levels = neutronclient'), (e: unknown) => e instanceof ConfigError &&
      /^\[DEFAULT\] default_log_levels = neutronclient: "neutronclient" is not logger=LEVEL/.test(e.message));
  });

  it('the level of a logger: the most specific entry that is it or a parent; else the root level', () => {
    const levels = parseLogLevels(['kuryr_libnetwork=WARN', 'kuryr_libnetwork.server=DEBUG', 'urllib3=WARN']);
    assert.ok(levels.ok);
    assert.equal(levelFor('kuryr_libnetwork', levels.value, 'info'), 'warn');
    assert.equal(levelFor('kuryr_libnetwork.server', levels.value, 'info'), 'debug');
    assert.equal(levelFor('neutronclient', levels.value, 'debug'), 'debug');
    assert.equal(levelFor('kuryr_libnetworkx', levels.value, 'info'), 'info', 'a prefix of the name is not a parent');
  });

  it('syslog_log_facility: LOG_* names and the short ones; anything else refused with the option named', () => {
    assert.equal(parseSyslogFacility('LOG_USER'), 1);
    assert.equal(parseSyslogFacility('local7'), 23);
    assert.equal(config('syslog_log_facility = LOG_LOCAL0').config.default.logging.syslogFacility, 16);
    assert.throws(() => config('syslog_log_facility = LOG_NOPE'), /^ConfigError: \[DEFAULT\] syslog_log_facility = LOG_NOPE: not a syslog facility/);
  });

  it('log_config_append (and its old name log_config) is refused, naming what to use instead', () => {
    for (const name of ['log_config_append', 'log_config']) {
      assert.throws(() => config(`${name} = /etc/kuryr/logging.conf`), (e: unknown) => e instanceof ConfigError && e.code === 'ERR_CONFIG_VALUE' &&
        /^\[DEFAULT\] log_config_append = \/etc\/kuryr\/logging\.conf: a Python logging configuration file cannot configure this plugin; .*use_syslog/.test(e.message));
    }
  });

  it('the oslo.log options that do nothing here say why when set, and nothing when unset', () => {
    const { warnings } = config('log_rotation_type = size\nmax_logfile_size_mb = 10\nlogging_context_format_string = %(message)s\nwatch_log_file = true\nrate_limit_burst = 5');
    assert.deepEqual(warnings, [
      "[DEFAULT] watch_log_file has no effect: the plugin reopens log_file on SIGHUP (logrotate's postrotate) instead of watching it",
      "[DEFAULT] max_logfile_size_mb has no effect: rotating log files is logrotate's job: rotate, then send the plugin SIGHUP and it reopens log_file",
      "[DEFAULT] log_rotation_type has no effect: rotating log files is logrotate's job: rotate, then send the plugin SIGHUP and it reopens log_file",
      "[DEFAULT] logging_context_format_string has no effect: log lines have a fixed layout: JSON, or oslo.log's default text layout with use_json = false",
      '[DEFAULT] rate_limit_burst has no effect: log rate limiting is not implemented',
    ]);
    assert.deepEqual(config('').warnings, []);
  });
});

describe('oslo.log options: where the log goes and how it looks', () => {
  it('by default: JSON lines on stderr, each with its logger name', () => {
    const { got, deps } = recording();
    const l = createPluginLoggers(config('').config, deps);
    l.log('kuryr_libnetwork').info({ portId: 'p1' }, 'hello');
    l.log('kuryr_libnetwork.server').debug({}, 'not at info');
    assert.deepEqual(l.sinks, ['stderr']);
    const [e] = events(got.stderr);
    assert.deepEqual({ ...e, time: 0 }, { level: 30, time: 0, pid: 4321, logger: 'kuryr_libnetwork', portId: 'p1', msg: 'hello' });
    assert.equal(got.stderr.length, 1);
  });

  it('default_log_levels with debug = true: listed loggers keep their level, the others log at debug', () => {
    const { got, deps } = recording();
    const l = createPluginLoggers(config('debug = true\ndefault_log_levels = neutronclient=WARN, amqp=WARN').config, deps);
    l.log('neutronclient').debug({}, 'neutron call');
    l.log('neutronclient').info({}, 'neutron info');
    l.log('neutronclient').warn({}, 'neutron warn');
    l.log('kuryr_libnetwork.server').debug({}, 'call ok');
    assert.deepEqual(events(got.stderr).map((e) => `${String(e['logger'])}:${String(e['msg'])}`),
      ['neutronclient:neutron warn', 'kuryr_libnetwork.server:call ok']);
  });

  it('use_json = false: oslo.log\'s default text layout, fields as key=value', () => {
    const { got, deps } = recording();
    const l = createPluginLoggers(config('use_json = false').config, deps);
    l.log('kuryr_libnetwork.server').warn({ method: 'NetworkDriver.Join', ms: 12, err: { type: 'PluginError', code: 'ERR_X', message: 'no way' } }, 'call failed');
    assert.equal(got.stderr.length, 1);
    assert.match(got.stderr[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} 4321 WARNING kuryr_libnetwork\.server \[-\] call failed method=NetworkDriver\.Join ms=12 err="ERR_X: no way"\n$/);
    assert.match(textLine({ level: 20, time: 0, pid: 1, logger: 'neutronclient', msg: 'm', path: '/v2.0/ports?x=1 y' }), / DEBUG neutronclient \[-\] m path="\/v2\.0\/ports\?x=1 y"$/);
  });

  it('use_syslog: logger(1) --prio-prefix on /dev/log with tag and pid; <facility*8+severity> per line; no stderr', () => {
    const { got, deps } = recording();
    const l = createPluginLoggers(config('use_syslog = true\nsyslog_log_facility = LOG_LOCAL0').config, deps);
    l.log('kuryr_libnetwork').warn({}, 'careful');
    l.log('kuryr_libnetwork').info({}, 'fyi');
    assert.deepEqual(got.sinks[0]!.argv, ['/usr/bin/logger', '--prio-prefix', '--tag', 'kuryr-libnetwork', '--id=4321', '--size', '16384', '--socket', '/dev/log']);
    assert.deepEqual(got.sinks[0]!.lines.map((x) => x.slice(0, x.indexOf('{'))), ['<132>', '<134>']);
    assert.equal(JSON.parse(got.sinks[0]!.lines[0]!.slice(5)).msg, 'careful');
    assert.deepEqual(got.stderr, []);
    assert.deepEqual(l.sinks, ['syslog (/dev/log)']);
  });

  it('use_journal + log_file + use_stderr: all three; systemd-cat --level-prefix gets <severity>', () => {
    const { got, deps } = recording();
    const l = createPluginLoggers(config('use_journal = true\nuse_stderr = true\nlog_file = /var/log/kuryr/k.log\nuse_json = false').config, deps);
    l.log('kuryr_libnetwork').error({}, 'broken');
    assert.deepEqual(got.sinks[0]!.argv, ['/usr/bin/systemd-cat', '--identifier=kuryr-libnetwork', '--level-prefix=true']);
    assert.match(got.sinks[0]!.lines[0]!, /^<3>\d{4}-.* ERROR kuryr_libnetwork \[-\] broken\n$/);
    assert.match(got.files.get('/var/log/kuryr/k.log')![0]!, /^\d{4}-.* ERROR kuryr_libnetwork \[-\] broken\n$/);
    assert.equal(got.stderr.length, 1);
    assert.deepEqual(l.sinks, ['journal', '/var/log/kuryr/k.log', 'stderr']);
    assert.equal(severityOf(20), 7);
  });

  it('a sink that cannot work refuses the start, naming the option and what is missing', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['use_syslog = true', ['logger'], /^\[DEFAULT\] use_syslog = True: logger is not on PATH \(Debian package bsdutils\)$/],
      ['use_syslog = true', ['/dev/log'], /^\[DEFAULT\] use_syslog = True: \/dev\/log does not exist/],
      ['use_journal = true', ['systemd-cat'], /^\[DEFAULT\] use_journal = True: systemd-cat is not on PATH \(Debian package systemd\)$/],
      ['use_journal = true', ['/run/systemd/journal/stdout'], /journald is not running here/],
    ];
    for (const [line, missing, why] of cases) {
      const { deps } = recording({ missing });
      assert.throws(() => createPluginLoggers(config(line).config, deps), (e: unknown) => e instanceof ConfigError && why.test(e.message), line);
    }
  });
});

describe('oslo.log options: real sinks', () => {
  const dirs: string[] = [];
  after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

  it('log_file: written, and after logrotate moves it, SIGHUP\'s reopen starts a new file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kuryr-log-'));
    dirs.push(dir);
    const file = join(dir, 'sub', 'kuryr.log');
    const l = createPluginLoggers(config(`log_file = ${file}`).config, realSinkDeps());
    l.log('kuryr_libnetwork').info({}, 'first');
    l.flush();
    await new Promise((r) => setTimeout(r, 50));
    await rename(file, `${file}.1`);
    l.reopen();
    await new Promise((r) => setTimeout(r, 50));
    l.log('kuryr_libnetwork').info({}, 'second');
    await l.close();
    assert.deepEqual(events((await readFile(`${file}.1`, 'utf8')).trim().split('\n')).map((e) => e['msg']), ['first']);
    assert.deepEqual(events((await readFile(file, 'utf8')).trim().split('\n')).map((e) => e['msg']), ['second']);
  });

  it('use_syslog: the real logger(1) delivers RFC 3164 lines with the priority, tag and pid to the syslog socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kuryr-syslog-'));
    dirs.push(dir);
    const socket = join(dir, 'log');
    // a syslog daemon stand-in: a unix datagram socket (Node has none), printing each datagram on a line
    const daemon = spawn('/usr/bin/python3', ['-u', '-c', [
      'import socket, sys', 's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)', 's.bind(sys.argv[1])', 'print("ready")',
      'while True: print(s.recv(65536).decode())',
    ].join('\n'), socket], { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = '';
    daemon.stdout.setEncoding('utf8').on('data', (d: string) => { received += d; });
    try {
      while (!received.includes('ready\n')) await new Promise((r) => setTimeout(r, 20));
      const l = createPluginLoggers(config('use_syslog = true\nsyslog_log_facility = daemon\nuse_json = false').config,
        { ...realSinkDeps(), syslogSocket: socket });
      l.log('kuryr_libnetwork').error({ pci: '0000:03:10.2' }, 'VF restore failed');
      l.log('neutronclient').info({}, 'neutron call');
      await l.close();
      const deadline = Date.now() + 5000;
      while (received.split('\n').filter((x) => x.startsWith('<')).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const lines = received.split('\n').filter((x) => x.startsWith('<'));
      assert.match(lines[0]!, new RegExp(`^<27>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d (?:\\S+ )?kuryr-libnetwork\\[${process.pid}\\]: .* ERROR kuryr_libnetwork \\[-\\] VF restore failed pci=0000:03:10\\.2$`));
      assert.match(lines[1]!, /^<30>.* INFO neutronclient \[-\] neutron call$/);
    } finally {
      daemon.kill();
    }
  });
});
