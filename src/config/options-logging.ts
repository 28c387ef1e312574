// The oslo.log part of the [DEFAULT] option table beyond debug/log_file/log_dir (options-default.ts): the
// options an operator's kuryr.conf carries over from the Python plugin. Honoured: use_stderr, use_syslog +
// syslog_log_facility, use_journal, use_json, default_log_levels; refused: log_config_append (a Python logging
// file); accepted with a start-up warning that says why they do nothing: the rest. Pure data.
import { opt } from './option-spec.ts';
import { types } from './option-types.ts';

/** oslo.log's DEFAULT_LOG_LEVELS (Zed): logger names of Python libraries; ours are matched, the rest ignored */
export const OSLO_DEFAULT_LOG_LEVELS = [
  'amqp=WARN', 'amqplib=WARN', 'boto=WARN', 'qpid=WARN', 'sqlalchemy=WARN', 'suds=INFO', 'oslo.messaging=INFO',
  'oslo_messaging=INFO', 'iso8601=WARN', 'requests.packages.urllib3.connectionpool=WARN', 'urllib3.connectionpool=WARN',
  'websocket=WARN', 'requests.packages.urllib3.util.retry=WARN', 'urllib3.util.retry=WARN', 'keystonemiddleware=WARN',
  'routes.middleware=WARN', 'stevedore=WARN', 'taskflow=WARN', 'keystoneauth=WARN', 'oslo.cache=INFO',
  'oslo_policy=INFO', 'dogpile.core.dogpile=INFO',
];

const FIXED_FORMAT = 'log lines have a fixed layout: JSON, or oslo.log\'s default text layout with use_json = false';
const ROTATION = 'rotating log files is logrotate\'s job: rotate, then send the plugin SIGHUP and it reopens log_file';

export const LOGGING_OPTIONS = {
  useStderr: opt({
    section: 'DEFAULT', name: 'use_stderr', type: types.bool(), default: false, field: 'default.logging.useStderr',
    help: 'Also log to stderr when log_file, use_syslog or use_journal is set (without any of them the log goes to stderr anyway).',
  }),
  useSyslog: opt({
    section: 'DEFAULT', name: 'use_syslog', type: types.bool(), default: false, field: 'default.logging.useSyslog',
    help: 'Log to syslog (/dev/log, through logger(1) from util-linux), tag kuryr-libnetwork, with each line\'s severity.',
  }),
  syslogLogFacility: opt({
    section: 'DEFAULT', name: 'syslog_log_facility', type: types.str(), default: 'LOG_USER', field: 'default.logging.syslogFacility',
    help: 'Syslog facility for use_syslog: LOG_USER, LOG_DAEMON, LOG_LOCAL0 … LOG_LOCAL7 (or user, daemon, local0 …).',
  }),
  useJournal: opt({
    section: 'DEFAULT', name: 'use_journal', type: types.bool(), default: false, field: 'default.logging.useJournal',
    help: 'Log to the systemd journal (through systemd-cat, identifier kuryr-libnetwork), with each line\'s priority.',
  }),
  useJson: opt({
    section: 'DEFAULT', name: 'use_json', type: types.bool(), default: true, field: 'default.logging.useJson',
    help: 'JSON lines (pino: level, time, msg and the fields); false gives oslo.log\'s text layout ' +
      '(`<date> <time>.<ms> <pid> <LEVEL> <logger> [-] <message> key=value …`).',
    upstreamDiff: 'default true (upstream false): the plugin has logged JSON lines from the start',
  }),
  defaultLogLevels: opt({
    section: 'DEFAULT', name: 'default_log_levels', type: types.list(), default: OSLO_DEFAULT_LOG_LEVELS,
    field: 'default.logging.levels',
    help: 'logger=LEVEL pairs (DEBUG, INFO, WARN/WARNING, ERROR, CRITICAL). This plugin\'s loggers: kuryr_libnetwork ' +
      '(everything), kuryr_libnetwork.server (one line per Docker call), neutronclient (Neutron and Keystone HTTP ' +
      'calls); a name covers the names below it; other names are ignored. debug = true lowers only the default.',
  }),
  logConfigAppend: opt({
    section: 'DEFAULT', name: 'log_config_append', deprecatedNames: ['log_config'], type: types.optionalStr(), default: undefined,
    field: null,
    help: 'Refused when set: a Python logging configuration file cannot configure this plugin (use the options above).',
    upstreamDiff: 'refused (upstream: a Python logging.config file)',
  }),
  logDateFormat: opt({
    section: 'DEFAULT', name: 'log_date_format', type: types.str(), default: '%Y-%m-%d %H:%M:%S', field: null,
    help: 'oslo.log\'s %(asctime)s format.', noEffect: 'text lines carry an ISO 8601 time, JSON lines epoch milliseconds',
  }),
  watchLogFile: opt({
    section: 'DEFAULT', name: 'watch_log_file', type: types.bool(), default: false, field: null,
    help: 'oslo.log: reopen log_file when it is moved or removed.',
    noEffect: 'the plugin reopens log_file on SIGHUP (logrotate\'s postrotate) instead of watching it',
  }),
  useEventlog: opt({
    section: 'DEFAULT', name: 'use_eventlog', type: types.bool(), default: false, field: null,
    help: 'oslo.log: Windows Event Log.', noEffect: 'Windows only',
  }),
  logRotateInterval: opt({
    section: 'DEFAULT', name: 'log_rotate_interval', type: types.int(), default: 1, field: null,
    help: 'oslo.log rotation interval.', noEffect: ROTATION,
  }),
  logRotateIntervalType: opt({
    section: 'DEFAULT', name: 'log_rotate_interval_type', type: types.str(), default: 'days', field: null,
    help: 'oslo.log rotation interval unit.', noEffect: ROTATION,
  }),
  maxLogfileCount: opt({
    section: 'DEFAULT', name: 'max_logfile_count', type: types.int(), default: 30, field: null,
    help: 'oslo.log: rotated files kept.', noEffect: ROTATION,
  }),
  maxLogfileSizeMb: opt({
    section: 'DEFAULT', name: 'max_logfile_size_mb', type: types.int(), default: 200, field: null,
    help: 'oslo.log: size that triggers a rotation.', noEffect: ROTATION,
  }),
  logRotationType: opt({
    section: 'DEFAULT', name: 'log_rotation_type', type: types.str(), default: 'none', field: null,
    help: 'oslo.log rotation type (interval, size, none).', noEffect: ROTATION,
  }),
  loggingContextFormatString: opt({
    section: 'DEFAULT', name: 'logging_context_format_string', type: types.str(),
    default: '%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s [%(global_request_id)s %(request_id)s %(user_identity)s] %(instance)s%(message)s',
    field: null, help: 'oslo.log format with a request context.', noEffect: FIXED_FORMAT,
  }),
  loggingDefaultFormatString: opt({
    section: 'DEFAULT', name: 'logging_default_format_string', type: types.str(),
    default: '%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s [-] %(instance)s%(message)s',
    field: null, help: 'oslo.log format without a request context.', noEffect: FIXED_FORMAT,
  }),
  loggingDebugFormatSuffix: opt({
    section: 'DEFAULT', name: 'logging_debug_format_suffix', type: types.str(), default: '%(funcName)s %(pathname)s:%(lineno)d',
    field: null, help: 'oslo.log suffix of DEBUG lines.', noEffect: FIXED_FORMAT,
  }),
  loggingExceptionPrefix: opt({
    section: 'DEFAULT', name: 'logging_exception_prefix', type: types.str(), default: '%(asctime)s.%(msecs)03d %(process)d ERROR %(name)s %(instance)s',
    field: null, help: 'oslo.log prefix of exception lines.', noEffect: FIXED_FORMAT,
  }),
  loggingUserIdentityFormat: opt({
    section: 'DEFAULT', name: 'logging_user_identity_format', type: types.str(),
    default: '%(user)s %(project)s %(domain)s %(system_scope)s %(user_domain)s %(project_domain)s',
    field: null, help: 'oslo.log %(user_identity)s format.', noEffect: FIXED_FORMAT,
  }),
  publishErrors: opt({
    section: 'DEFAULT', name: 'publish_errors', type: types.bool(), default: false, field: null,
    help: 'oslo.log: publish error events.', noEffect: 'needs oslo.messaging notifications, which this plugin does not use',
  }),
  instanceFormat: opt({
    section: 'DEFAULT', name: 'instance_format', type: types.str(), default: '"[instance: %(uuid)s] "', field: null,
    help: 'oslo.log: how a Nova instance is shown.', noEffect: 'the plugin logs no Nova instances',
  }),
  instanceUuidFormat: opt({
    section: 'DEFAULT', name: 'instance_uuid_format', type: types.str(), default: '"[instance: %(uuid)s] "', field: null,
    help: 'oslo.log: how a Nova instance UUID is shown.', noEffect: 'the plugin logs no Nova instances',
  }),
  rateLimitInterval: opt({
    section: 'DEFAULT', name: 'rate_limit_interval', type: types.int(), default: 0, field: null,
    help: 'oslo.log rate limiting window.', noEffect: 'log rate limiting is not implemented',
  }),
  rateLimitBurst: opt({
    section: 'DEFAULT', name: 'rate_limit_burst', type: types.int(), default: 0, field: null,
    help: 'oslo.log rate limiting burst.', noEffect: 'log rate limiting is not implemented',
  }),
  rateLimitExceptLevel: opt({
    section: 'DEFAULT', name: 'rate_limit_except_level', type: types.str(), default: 'CRITICAL', field: null,
    help: 'oslo.log: level not rate limited.', noEffect: 'log rate limiting is not implemented',
  }),
  fatalDeprecations: opt({
    section: 'DEFAULT', name: 'fatal_deprecations', type: types.bool(), default: false, field: null,
    help: 'oslo.log: make deprecation warnings fatal.', noEffect: 'deprecated options are reported once, at start-up, as warnings',
  }),
} as const;
