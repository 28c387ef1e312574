// The declarative option table: every kuryr.conf option this plugin reads (section, oslo name, type,
// default, the KuryrConfig field it fills) and the oslo-style value types that parse them. Pure data and
// pure parsers: no file or environment access here (load.ts resolves sources, drivers.ts checks drivers).
// docs/config.md and etc/kuryr.conf.example describe this table; a unit test keeps them in step.

export type SectionName = 'DEFAULT' | 'binding' | 'neutron';
export const KNOWN_SECTIONS: readonly SectionName[] = ['DEFAULT', 'binding', 'neutron'];

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string; raw: string };

export interface OptionType<T> {
  /** human description for docs, e.g. `int (>= 0)` */
  readonly label: string;
  /** multi-valued (MultiStrOpt): every given value is kept; otherwise the last one wins */
  readonly multi: boolean;
  /** `raws` is never empty; single-valued types look only at the last element */
  parse(raws: readonly string[]): ParseResult<T>;
  /** render a value the way it would be written in kuryr.conf (defaults in docs, `$name` substitution) */
  format(value: T): string;
}

export type DynamicDefault = 'hostname' | 'installDir';

export interface OptionSpec<T> {
  readonly section: SectionName;
  readonly name: string;
  /** older names still read (new name wins when both are set); using one yields a warning */
  readonly deprecatedNames: readonly string[];
  readonly type: OptionType<T>;
  readonly default: T;
  /** the default comes from the caller (loadConfig input) instead of `default` */
  readonly defaultFrom?: DynamicDefault;
  /** environment variable that, when set, replaces the default (not a file value), as upstream does */
  readonly envDefault?: string;
  /** never echo the value (errors print `***`) */
  readonly secret: boolean;
  /** keystoneauth plugin option: read from the group named by `[neutron] auth_section` when that is set */
  readonly authPlugin: boolean;
  /** dotted KuryrConfig path this option fills, or null when it is accepted but has no effect */
  readonly field: string | null;
  readonly help: string;
  /** how this differs from upstream kuryr-libnetwork / kuryr-lib, if it does */
  readonly upstreamDiff?: string;
  /** set when the option is accepted but unused: a warning is emitted if it is set */
  readonly noEffect?: string;
}

/** Type-erased view used when iterating over the table. */
export type AnyOptionSpec = OptionSpec<unknown>;

// ---------------------------------------------------------------------------------------------------
// value types (oslo.config `types.*` equivalents)

function single<T>(label: string, parseOne: (raw: string) => ParseResult<T>, format: (v: T) => string): OptionType<T> {
  return {
    label,
    multi: false,
    parse: (raws) => parseOne(raws[raws.length - 1] ?? ''),
    format,
  };
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const bad = (raw: string, reason: string): ParseResult<never> => ({ ok: false, reason, raw });

const TRUE_WORDS = new Set(['true', 'yes', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', '0', 'off']);

/** oslo types.Boolean: true/false/yes/no/1/0/on/off, case-insensitive. */
export function parseBool(raw: string): ParseResult<boolean> {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return ok(true);
  if (FALSE_WORDS.has(word)) return ok(false);
  return bad(raw, 'not a boolean (use true/false, yes/no, on/off or 1/0)');
}

/** oslo types.Integer: a base-10 integer (Python int() spelling: optional sign, `_` between digits). */
export function parseInt10(raw: string, bounds: { min?: number; max?: number } = {}): ParseResult<number> {
  const text = raw.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(text)) return bad(raw, 'not an integer');
  const value = Number(text.replaceAll('_', ''));
  if (!Number.isSafeInteger(value)) return bad(raw, 'integer out of range');
  const { min, max } = bounds;
  if (min !== undefined && max !== undefined && (value < min || value > max)) {
    return bad(raw, `must be between ${min} and ${max}`);
  }
  if (min !== undefined && value < min) return bad(raw, `must be >= ${min}`);
  if (max !== undefined && value > max) return bad(raw, `must be <= ${max}`);
  return ok(value);
}

/** oslo ListOpt as this project reads it: split on commas, trim, drop empty items. */
export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

const pyBool = (v: boolean): string => (v ? 'True' : 'False');

export const types = {
  str: (): OptionType<string> => single('str', (raw) => ok(raw), (v) => v),

  /** empty value = unset (generated configs often carry `region_name =`) */
  optionalStr: (): OptionType<string | undefined> =>
    single('str', (raw) => ok(raw === '' ? undefined : raw), (v) => v ?? ''),

  int: (bounds: { min?: number; max?: number } = {}): OptionType<number> => {
    const range =
      bounds.min !== undefined && bounds.max !== undefined ? ` (${bounds.min}..${bounds.max})`
      : bounds.min !== undefined ? ` (>= ${bounds.min})`
      : bounds.max !== undefined ? ` (<= ${bounds.max})`
      : '';
    return single(`int${range}`, (raw) => parseInt10(raw, bounds), (v) => String(v));
  },

  bool: (): OptionType<boolean> => single('bool', parseBool, pyBool),

  list: (): OptionType<string[]> => single('list', (raw) => ok(parseList(raw)), (v) => v.join(', ')),

  /**
   * StrOpt with `choices` (case-sensitive, as oslo). `aliases` maps extra accepted spellings onto a
   * choice (e.g. keystone's `publicURL` → `public`).
   */
  enumOf: <C extends string>(choices: readonly C[], aliases: Readonly<Record<string, NoInfer<C>>> = {}): OptionType<C> =>
    single(
      `enum: ${choices.join(' | ')}`,
      (raw) => {
        const hit = choices.find((c) => c === raw) ?? aliases[raw];
        return hit !== undefined ? ok(hit) : bad(raw, `must be one of ${choices.join(', ')}`);
      },
      (v) => v,
    ),

  /** optional http(s) URL; empty = unset */
  httpUrl: (): OptionType<string | undefined> =>
    single(
      'URL (http/https)',
      (raw) => {
        if (raw === '') return ok(undefined);
        return isHttpUrl(raw) ? ok(raw) : bad(raw, 'must be an http:// or https:// URL');
      },
      (v) => v ?? '',
    ),

  /** where the plugin listens: `unix:///abs/path.sock` or `http(s)://host[:port]` */
  listenUri: (): OptionType<string> =>
    single(
      'URI (unix:///path or http://host:port)',
      (raw) => {
        const reason = listenUriProblem(raw);
        return reason === undefined ? ok(raw) : bad(raw, reason);
      },
      (v) => v,
    ),

  /** MultiStrOpt: every value, from every file, in order */
  multiStr: (): OptionType<string[]> => ({
    label: 'multi-valued str',
    multi: true,
    parse: (raws) => ok([...raws]),
    format: (v) => v.join('\n'),
  }),
} as const;

function isHttpUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function listenUriProblem(raw: string): string | undefined {
  if (raw.startsWith('unix://')) {
    const path = raw.slice('unix://'.length);
    if (!path.startsWith('/')) return 'a unix socket URI needs an absolute path (unix:///run/docker/plugins/kuryr.sock)';
    if (path.endsWith('/')) return 'a unix socket URI must name a socket file, not a directory';
    return undefined;
  }
  if (isHttpUrl(raw)) {
    const url = new URL(raw);
    if (url.pathname !== '/' && url.pathname !== '') return 'an http listen URI takes no path';
    return undefined;
  }
  return 'must be unix:///path/to/socket or http://host:port';
}

// ---------------------------------------------------------------------------------------------------
// the table

// `default` must not take part in inference: T comes from `type` (so an enum stays a literal union).
type SpecInput<T> = Omit<OptionSpec<T>, 'default' | 'deprecatedNames' | 'secret' | 'authPlugin'> &
  Partial<Pick<OptionSpec<T>, 'deprecatedNames' | 'secret' | 'authPlugin'>> & { default: NoInfer<T> };

function opt<T>(spec: SpecInput<T>): OptionSpec<T> {
  return { deprecatedNames: [], secret: false, authPlugin: false, ...spec };
}

const VETH_PORT_DRIVER = 'kuryr_libnetwork.port_driver.drivers.veth';
const VETH_BINDING_DRIVER = 'kuryr.lib.binding.drivers.veth';

export const ENDPOINT_TYPES = ['public', 'admin', 'internal'] as const;

export const OPTIONS = {
  // [DEFAULT] — kuryr-libnetwork
  pybasedir: opt({
    section: 'DEFAULT', name: 'pybasedir', type: types.str(), default: '', defaultFrom: 'installDir',
    field: 'default.pybasedir', help: 'Directory the plugin is installed in (informational).',
  }),
  kuryrUri: opt({
    section: 'DEFAULT', name: 'kuryr_uri', type: types.listenUri(),
    default: 'unix:///run/docker/plugins/kuryr.sock', envDefault: 'OS_KURYR_URI',
    field: 'default.kuryrUri',
    help: 'Where the plugin listens; the Docker plugin spec/socket must point at the same place.',
    upstreamDiff: 'default is a unix socket under /run/docker/plugins (upstream: http://127.0.0.1:23750, still accepted)',
  }),
  capabilityScope: opt({
    section: 'DEFAULT', name: 'capability_scope', type: types.enumOf(['local', 'global'] as const),
    default: 'local', envDefault: 'CAPABILITY_SCOPE', field: 'default.capabilityScope',
    help: 'Scope reported by NetworkDriver.GetCapabilities.',
  }),
  localDefaultAddressSpace: opt({
    section: 'DEFAULT', name: 'local_default_address_space', type: types.str(), default: 'no_address_space',
    field: 'default.localDefaultAddressSpace', help: 'Local address space returned by IpamDriver.GetDefaultAddressSpaces.',
  }),
  globalDefaultAddressSpace: opt({
    section: 'DEFAULT', name: 'global_default_address_space', type: types.str(), default: 'no_address_space',
    field: 'default.globalDefaultAddressSpace', help: 'Global address space returned by IpamDriver.GetDefaultAddressSpaces.',
  }),
  portDriver: opt({
    section: 'DEFAULT', name: 'port_driver', type: types.str(), default: VETH_PORT_DRIVER,
    field: 'default.portDriver', help: 'Deprecated for removal upstream and never read; use default_port_driver.',
    noEffect: 'deprecated upstream and never read; set default_port_driver instead',
  }),
  defaultPortDriver: opt({
    section: 'DEFAULT', name: 'default_port_driver', type: types.str(), default: VETH_PORT_DRIVER,
    field: 'default.defaultPortDriver',
    help: 'Port driver for "normal" vnic ports: veth, nested, vlan or sriov (short name or module path).',
    upstreamDiff: 'honoured (upstream builds its driver table before reading the file, so only the built-in default takes effect)',
  }),
  enabledPortDrivers: opt({
    section: 'DEFAULT', name: 'enabled_port_drivers', type: types.list(), default: [VETH_PORT_DRIVER],
    field: 'default.enabledPortDrivers',
    help: 'Port drivers allowed to load (comma-separated short names or module paths); add sriov for SR-IOV ports.',
    upstreamDiff: 'honoured (upstream never enables sriov from the file, see the spec §8.2)',
  }),
  processExternalConnectivity: opt({
    section: 'DEFAULT', name: 'process_external_connectivity', type: types.bool(), default: true,
    field: 'default.processExternalConnectivity',
    help: 'Whether Program/RevokeExternalConnectivity do anything.',
  }),
  sslCertFile: opt({
    section: 'DEFAULT', name: 'ssl_cert_file', type: types.str(), default: '/var/lib/kuryr/certs/cert.pem',
    field: 'default.sslCertFile', help: 'TLS certificate for the listener when enable_ssl is set.',
  }),
  sslKeyFile: opt({
    section: 'DEFAULT', name: 'ssl_key_file', type: types.str(), default: '/var/lib/kuryr/certs/key.pem',
    field: 'default.sslKeyFile', help: 'TLS private key for the listener when enable_ssl is set.',
  }),
  enableSsl: opt({
    section: 'DEFAULT', name: 'enable_ssl', type: types.bool(), default: false, field: 'default.enableSsl',
    help: 'Serve HTTPS on an http:// kuryr_uri (start-up fails if a certificate file is missing).',
  }),
  // [DEFAULT] — kuryr-lib
  bindir: opt({
    section: 'DEFAULT', name: 'bindir', type: types.str(), default: '/usr/libexec/kuryr', field: 'default.bindir',
    help: 'Directory holding the per-vif_type bind/unbind scripts.',
  }),
  subnetpoolNamePrefix: opt({
    section: 'DEFAULT', name: 'subnetpool_name_prefix', type: types.str(), default: 'kuryrPool',
    field: 'default.subnetpoolNamePrefix', help: 'Name prefix of the subnetpools the plugin creates.',
  }),
  deploymentType: opt({
    section: 'DEFAULT', name: 'deployment_type', type: types.str(), default: 'baremetal',
    field: 'default.deploymentType', help: 'baremetal or nested-containers (informational, as upstream).',
  }),
  // [DEFAULT] — this project and oslo.log
  host: opt({
    section: 'DEFAULT', name: 'host', type: types.str(), default: '', defaultFrom: 'hostname', field: 'default.host',
    help: 'binding:host_id for ports bound here; must equal the Neutron agents\' host (default: the OS hostname).',
    upstreamDiff: 'new (upstream always uses the OS hostname)',
  }),
  statePath: opt({
    section: 'DEFAULT', name: 'state_path', type: types.str(), default: '/var/lib/kuryr', field: 'default.statePath',
    help: 'Directory for local state (endpoint records, SR-IOV allocations, lock file).',
    upstreamDiff: 'new (upstream keeps no local state); must be an absolute path',
  }),
  debug: opt({
    section: 'DEFAULT', name: 'debug', type: types.bool(), default: false, field: 'default.debug',
    help: 'Log at debug level.',
  }),
  logFile: opt({
    section: 'DEFAULT', name: 'log_file', type: types.optionalStr(), default: undefined, field: 'default.logFile',
    help: 'Log to this file instead of stderr (relative names are joined to log_dir).',
  }),
  logDir: opt({
    section: 'DEFAULT', name: 'log_dir', type: types.optionalStr(), default: undefined, field: 'default.logFile',
    help: 'Directory for log_file; alone, it means <log_dir>/kuryr-server.log (oslo.log rule).',
  }),

  // [binding] — kuryr-lib
  vethDstPrefix: opt({
    section: 'binding', name: 'veth_dst_prefix', type: types.str(), default: 'eth', field: 'binding.vethDstPrefix',
    help: 'Container interface name prefix returned by Join (DstPrefix).',
  }),
  bindingDefaultDriver: opt({
    section: 'binding', name: 'default_driver', deprecatedNames: ['driver'], type: types.str(),
    default: VETH_BINDING_DRIVER, field: 'binding.defaultDriver',
    help: 'Binding driver used by the veth, nested and vlan port drivers (short name or module path).',
  }),
  bindingEnabledDrivers: opt({
    section: 'binding', name: 'enabled_drivers', type: types.list(), default: [VETH_BINDING_DRIVER],
    field: 'binding.enabledDrivers',
    help: 'Binding drivers allowed (comma-separated): veth, hw_veb, macvlan, vlan (ipvlan is refused).',
  }),
  linkIface: opt({
    section: 'binding', name: 'link_iface', type: types.str(), default: '', field: 'binding.linkIface',
    help: 'VM interface nested drivers attach to; empty = the interface whose MAC is the VM port\'s MAC.',
  }),

  // [neutron] — kuryr-lib
  enableDhcp: opt({
    section: 'neutron', name: 'enable_dhcp', type: types.bool(), default: true, field: 'neutron.enableDhcp',
    help: 'enable_dhcp of the subnets the plugin creates.',
    upstreamDiff: 'parsed as a boolean (upstream: a string passed through, default "True")',
  }),
  defaultSubnetpoolV4: opt({
    section: 'neutron', name: 'default_subnetpool_v4', type: types.str(), default: 'kuryr',
    field: 'neutron.defaultSubnetpoolV4', help: 'Name of the default IPv4 subnetpool.',
  }),
  defaultSubnetpoolV6: opt({
    section: 'neutron', name: 'default_subnetpool_v6', type: types.str(), default: 'kuryr6',
    field: 'neutron.defaultSubnetpoolV6', help: 'Name of the default IPv6 subnetpool.',
  }),
  vifPluggingIsFatal: opt({
    section: 'neutron', name: 'vif_plugging_is_fatal', type: types.bool(), default: false,
    field: 'neutron.vifPluggingIsFatal', help: 'CreateEndpoint waits for the port to become ACTIVE and fails otherwise.',
  }),
  vifPluggingTimeout: opt({
    section: 'neutron', name: 'vif_plugging_timeout', type: types.int({ min: 0 }), default: 0,
    field: 'neutron.vifPluggingTimeout', help: 'Seconds to wait for ACTIVE when vif_plugging_is_fatal is set; 0 = forever.',
    upstreamDiff: 'negative values are refused',
  }),
  regionName: opt({
    section: 'neutron', name: 'region_name', type: types.optionalStr(), default: undefined,
    field: 'neutron.regionName', help: 'Keystone catalog region of the Neutron endpoint.',
  }),
  endpointType: opt({
    section: 'neutron', name: 'endpoint_type',
    type: types.enumOf(ENDPOINT_TYPES, { publicURL: 'public', internalURL: 'internal', adminURL: 'admin' }),
    default: 'public', field: 'neutron.endpointType',
    help: 'Keystone catalog interface of the Neutron endpoint (publicURL/internalURL/adminURL also accepted).',
    upstreamDiff: 'also accepts the old publicURL/internalURL/adminURL spellings',
  }),
  // [neutron] — this project
  endpointOverride: opt({
    section: 'neutron', name: 'endpoint_override', type: types.httpUrl(), default: undefined,
    field: 'neutron.auth.endpointOverride',
    help: 'Neutron URL to use instead of the catalog; required with auth_type = none.',
    upstreamDiff: 'new (keystoneauth adapter option; upstream has no Neutron URL option)',
  }),
  // [neutron] — keystoneauth session options
  cafile: opt({
    section: 'neutron', name: 'cafile', type: types.optionalStr(), default: undefined, field: 'neutron.cafile',
    help: 'PEM CA bundle to verify Keystone/Neutron TLS certificates.',
  }),
  certfile: opt({
    section: 'neutron', name: 'certfile', type: types.optionalStr(), default: undefined, field: 'neutron.certfile',
    help: 'PEM client certificate for Keystone/Neutron TLS.',
  }),
  keyfile: opt({
    section: 'neutron', name: 'keyfile', type: types.optionalStr(), default: undefined, field: 'neutron.keyfile',
    help: 'PEM client key for certfile.',
  }),
  insecure: opt({
    section: 'neutron', name: 'insecure', type: types.bool(), default: false, field: 'neutron.insecure',
    help: 'Do not verify TLS certificates (testing only).',
  }),
  timeout: opt({
    section: 'neutron', name: 'timeout', type: types.int({ min: 1 }), default: 30, field: 'neutron.timeout',
    help: 'Per-request timeout for Keystone and Neutron, seconds.',
    upstreamDiff: 'default 30 (keystoneauth: no timeout)',
  }),
  collectTiming: opt({
    section: 'neutron', name: 'collect_timing', type: types.bool(), default: false, field: null,
    help: 'keystoneauth per-request timing collection (accepted, no effect).',
    noEffect: 'keystoneauth timing collection is not implemented',
  }),
  splitLoggers: opt({
    section: 'neutron', name: 'split_loggers', type: types.bool(), default: false, field: null,
    help: 'keystoneauth split request/response loggers (accepted, no effect).',
    noEffect: 'keystoneauth split loggers are not implemented',
  }),
  // [neutron] — keystoneauth auth options
  authSection: opt({
    section: 'neutron', name: 'auth_section', type: types.optionalStr(), default: undefined, field: null,
    help: 'Read the auth_* / plugin options below from this section instead of [neutron].',
  }),
  authType: opt({
    section: 'neutron', name: 'auth_type', deprecatedNames: ['auth_plugin'], type: types.optionalStr(),
    default: undefined, authPlugin: true, field: 'neutron.auth.type',
    help: 'How to authenticate: password / v3password (Keystone v3) or none (use endpoint_override). Required.',
    upstreamDiff: 'only none, password and v3password are supported',
  }),
  authUrl: opt({
    section: 'neutron', name: 'auth_url', type: types.httpUrl(), default: undefined, authPlugin: true,
    field: 'neutron.auth.authUrl', help: 'Keystone URL, e.g. http://controller:5000/v3.',
  }),
  username: opt({
    section: 'neutron', name: 'username', deprecatedNames: ['user_name'], type: types.optionalStr(),
    default: undefined, authPlugin: true, field: 'neutron.auth.username', help: 'Keystone user name.',
  }),
  userId: opt({
    section: 'neutron', name: 'user_id', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: 'neutron.auth.userId', help: 'Keystone user ID (instead of username).',
  }),
  password: opt({
    section: 'neutron', name: 'password', type: types.optionalStr(), default: undefined, authPlugin: true,
    secret: true, field: 'neutron.auth.password', help: 'Keystone password (never logged).',
  }),
  userDomainName: opt({
    section: 'neutron', name: 'user_domain_name', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: 'neutron.auth.userDomainName', help: 'Domain name of username.',
    upstreamDiff: 'required with username unless default_domain_* is set (Keystone refuses it otherwise)',
  }),
  userDomainId: opt({
    section: 'neutron', name: 'user_domain_id', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: 'neutron.auth.userDomainId', help: 'Domain ID of username.',
  }),
  projectName: opt({
    section: 'neutron', name: 'project_name', deprecatedNames: ['tenant_name'], type: types.optionalStr(),
    default: undefined, authPlugin: true, field: 'neutron.auth.projectName', help: 'Project to scope the token to.',
    upstreamDiff: 'a project (project_name or project_id) is required: only project-scoped tokens are supported',
  }),
  projectId: opt({
    section: 'neutron', name: 'project_id', deprecatedNames: ['tenant_id'], type: types.optionalStr(),
    default: undefined, authPlugin: true, field: 'neutron.auth.projectId', help: 'Project ID to scope the token to.',
  }),
  projectDomainName: opt({
    section: 'neutron', name: 'project_domain_name', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: 'neutron.auth.projectDomainName', help: 'Domain name of project_name.',
    upstreamDiff: 'required with project_name unless default_domain_* is set (Keystone refuses it otherwise)',
  }),
  projectDomainId: opt({
    section: 'neutron', name: 'project_domain_id', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: 'neutron.auth.projectDomainId', help: 'Domain ID of project_name.',
  }),
  defaultDomainName: opt({
    section: 'neutron', name: 'default_domain_name', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: null, help: 'Fallback for user_domain_name and project_domain_name.',
  }),
  defaultDomainId: opt({
    section: 'neutron', name: 'default_domain_id', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: null, help: 'Fallback for user_domain_id and project_domain_id.',
  }),
  domainName: opt({
    section: 'neutron', name: 'domain_name', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: null, help: 'Domain-scoped token (not supported yet: start-up fails if set).',
  }),
  domainId: opt({
    section: 'neutron', name: 'domain_id', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: null, help: 'Domain-scoped token by ID (not supported yet: start-up fails if set).',
  }),
  systemScope: opt({
    section: 'neutron', name: 'system_scope', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: null, help: 'System-scoped token (not supported yet: start-up fails if set).',
  }),
  trustId: opt({
    section: 'neutron', name: 'trust_id', type: types.optionalStr(), default: undefined, authPlugin: true,
    field: null, help: 'Trust-scoped token (not supported yet: start-up fails if set).',
  }),
  token: opt({
    section: 'neutron', name: 'token', type: types.optionalStr(), default: undefined, authPlugin: true, secret: true,
    field: null, help: 'Token for the token auth types (not supported yet).',
  }),
  applicationCredentialId: opt({
    section: 'neutron', name: 'application_credential_id', type: types.optionalStr(), default: undefined,
    authPlugin: true, field: null, help: 'For auth_type v3applicationcredential (not supported yet).',
  }),
  applicationCredentialName: opt({
    section: 'neutron', name: 'application_credential_name', type: types.optionalStr(), default: undefined,
    authPlugin: true, field: null, help: 'For auth_type v3applicationcredential (not supported yet).',
  }),
  applicationCredentialSecret: opt({
    section: 'neutron', name: 'application_credential_secret', type: types.optionalStr(), default: undefined,
    authPlugin: true, secret: true, field: null,
    help: 'For auth_type v3applicationcredential (not supported yet; never logged).',
  }),
} as const;

export type OptionId = keyof typeof OPTIONS;

/** Every option, in table order (the order docs and the example file use). */
export const ALL_OPTIONS: readonly AnyOptionSpec[] = Object.values(OPTIONS) as readonly AnyOptionSpec[];

/** Option names whose values are never printed. */
export const SECRET_OPTION_NAMES: ReadonlySet<string> = new Set(
  ALL_OPTIONS.filter((o) => o.secret).map((o) => o.name),
);

/** Look an option up by section and (current or deprecated) name. */
export function findOption(section: string, name: string): AnyOptionSpec | undefined {
  return ALL_OPTIONS.find(
    (o) => o.section === section && (o.name === name || o.deprecatedNames.includes(name)),
  );
}

/** Render an option's default the way docs and the example file show it. */
export function describeDefault(o: AnyOptionSpec): string {
  if (o.defaultFrom === 'hostname') return '<the OS hostname>';
  if (o.defaultFrom === 'installDir') return '<install directory>';
  const text = o.type.format(o.default);
  return o.envDefault === undefined ? text : `${text} (or $${o.envDefault})`;
}
