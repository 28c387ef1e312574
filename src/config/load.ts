// Turns kuryr.conf files + environment into a validated KuryrConfig (oslo.config resolution order:
// OS_<GROUP>__<OPTION> env > config dirs > config files > env-provided defaults > defaults), plus warnings.
// File and directory access is injected (loadConfig) so everything but loadConfigFromDisk is pure.
// Must never put a secret option's value into an error, a warning or a log line.
import { readdir, readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { posix } from 'node:path';
import { ConfigError, PluginError } from '../errors.ts';
import {
  checkDriverCompatibility, parseBindingDriverList, parseBindingDriverName, parsePortDriverList,
  parsePortDriverName,
} from './drivers.ts';
import { DEFAULT_SECTION, normalizeSectionName, parseIni, type IniDocument } from './ini.ts';
import {
  ALL_OPTIONS, KNOWN_SECTIONS, OPTIONS, type AnyOptionSpec, type OptionSpec,
} from './options.ts';
import type { KuryrConfig, NeutronAuthConfig } from './types.ts';

export interface LoadConfigInput {
  /** `--config-file` values, in order */
  configFiles: readonly string[];
  /** `--config-dir` values; each dir's `*.conf` files are read in sorted order after all configFiles */
  configDirs: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** default for `[DEFAULT] host` (the caller passes the OS hostname) */
  hostname: string;
  readFile: (path: string) => Promise<string>;
  listDir: (path: string) => Promise<string[]>;
  /** default for `[DEFAULT] pybasedir` (informational) */
  installDir?: string;
}

export interface LoadedConfig {
  config: KuryrConfig;
  warnings: string[];
}

/** One parsed file. */
export interface ConfigSource {
  name: string;
  doc: IniDocument;
}

export interface ResolveContext {
  env: Readonly<Record<string, string | undefined>>;
  hostname: string;
  installDir?: string;
}

export const SECRET_MASK = '***';
/** oslo.log's file name when only log_dir is given (`<binary>.log`; the upstream binary is kuryr-server). */
export const DEFAULT_LOG_FILE_NAME = 'kuryr-server.log';

// ---------------------------------------------------------------------------------------------------
// I/O front doors

/** Read every file (config files, then each dir's sorted `*.conf`), then resolve. */
export async function loadConfig(input: LoadConfigInput): Promise<LoadedConfig> {
  const sources: ConfigSource[] = [];
  const readOne = async (path: string): Promise<void> => {
    let text: string;
    try {
      text = await input.readFile(path);
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_PARSE', `config file ${path}: cannot be read (${describeIoError(cause)})`, {
        cause,
        details: { file: path },
      });
    }
    sources.push({ name: path, doc: parseIni(text, path) });
  };

  for (const file of input.configFiles) await readOne(file);
  for (const dir of input.configDirs) {
    let entries: string[];
    try {
      entries = await input.listDir(dir);
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_PARSE', `config dir ${dir}: cannot be listed (${describeIoError(cause)})`, {
        cause,
        details: { dir },
      });
    }
    for (const name of configDirEntries(entries)) await readOne(posix.join(dir, name));
  }

  const ctx: ResolveContext = { env: input.env, hostname: input.hostname };
  if (input.installDir !== undefined) ctx.installDir = input.installDir;
  return resolveConfig(sources, ctx);
}

/** The files of a config dir that are read, in reading order (glob `*.conf`: no dotfiles; sorted). */
export function configDirEntries(entries: readonly string[]): string[] {
  return entries.filter((n) => n.endsWith('.conf') && !n.startsWith('.')).sort();
}

/** loadConfig on the real filesystem, with the process environment and OS hostname as defaults. */
export async function loadConfigFromDisk(opts: {
  configFiles: readonly string[];
  configDirs?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  hostname?: string;
  installDir?: string;
}): Promise<LoadedConfig> {
  const input: LoadConfigInput = {
    configFiles: opts.configFiles,
    configDirs: opts.configDirs ?? [],
    env: opts.env ?? process.env,
    hostname: opts.hostname ?? osHostname(),
    readFile: (path) => readFile(path, 'utf8'),
    listDir: (path) => readdir(path),
  };
  if (opts.installDir !== undefined) input.installDir = opts.installDir;
  return loadConfig(input);
}

/** Convenience for tests and `config check`-style tools: one INI text, no file access. */
export function parseConfigText(
  text: string,
  name: string,
  ctx: Partial<ResolveContext> = {},
): LoadedConfig {
  const full: ResolveContext = { env: ctx.env ?? {}, hostname: ctx.hostname ?? 'localhost' };
  if (ctx.installDir !== undefined) full.installDir = ctx.installDir;
  return resolveConfig([{ name, doc: parseIni(text, name) }], full);
}

function describeIoError(cause: unknown): string {
  if (typeof cause === 'object' && cause !== null) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ENOENT') return 'no such file or directory';
    if (typeof code === 'string') return code;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

// ---------------------------------------------------------------------------------------------------
// resolution

interface Located {
  value: string;
  /** file path, or `$ENV_NAME` */
  origin: string;
}

interface RawSetting {
  /** the section it was read from (auth options may come from `auth_section`) */
  section: string;
  /** the name it was written under (may be a deprecated name) */
  name: string;
  values: Located[];
}

type MergedDoc = Map<string, Map<string, Located[]>>;

function mergeSources(sources: readonly ConfigSource[]): MergedDoc {
  const merged: MergedDoc = new Map();
  for (const { name, doc } of sources) {
    for (const [section, keys] of doc) {
      let target = merged.get(section);
      if (target === undefined) {
        target = new Map();
        merged.set(section, target);
      }
      for (const [key, values] of keys) {
        const list = target.get(key) ?? [];
        for (const value of values) list.push({ value, origin: name });
        target.set(key, list);
      }
    }
  }
  return merged;
}

function optionKey(o: AnyOptionSpec): string {
  return `${o.section}.${o.name}`;
}

/** oslo.config's environment source name: OS_<GROUP>__<OPTION>, upper-cased. */
export function envNameFor(section: string, option: string): string {
  return `OS_${section.toUpperCase()}__${option.toUpperCase()}`;
}

/** `masked`: print `***` instead of the value (secret options, and values that expanded a secret) */
function valueError(
  section: string, o: AnyOptionSpec, value: string, reason: string, origin?: string, masked: boolean = o.secret,
): ConfigError {
  const from = origin === undefined ? '' : ` (from ${origin})`;
  return new ConfigError('ERR_CONFIG_VALUE', `[${section}] ${o.name} = ${masked ? SECRET_MASK : value}: ${reason}${from}`, {
    details: { section, option: o.name, ...(origin === undefined ? {} : { origin }) },
  });
}

// Python string.Template as oslo.config configures it: `$$` → `$`, `$name` / `${name}` (names may contain
// dots: `${group.option}`), a lone `$` is left alone. oslo also reads `\$` as `$$`.
const TEMPLATE = /\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\}|)/gi;

interface Resolver {
  sectionOf(o: AnyOptionSpec): string;
  /** true when the option is secret or its value was built from a secret by `$name` substitution */
  isMasked(o: AnyOptionSpec): boolean;
  raw(o: AnyOptionSpec): RawSetting | undefined;
  get<T>(o: OptionSpec<T>): T;
}

function createResolver(merged: MergedDoc, ctx: ResolveContext, authSection: string | undefined): Resolver {
  const tainted = new Set<string>();
  const isMasked = (o: AnyOptionSpec): boolean => o.secret || tainted.has(optionKey(o));
  const sectionOf = (o: AnyOptionSpec): string =>
    o.authPlugin && authSection !== undefined ? authSection : o.section;

  const raw = (o: AnyOptionSpec): RawSetting | undefined => {
    const section = sectionOf(o);
    const envName = envNameFor(section, o.name);
    const fromEnv = ctx.env[envName];
    if (fromEnv !== undefined) return { section, name: o.name, values: [{ value: fromEnv, origin: `$${envName}` }] };
    const keys = merged.get(section);
    for (const name of [o.name, ...o.deprecatedNames]) {
      const values = keys?.get(name);
      if (values !== undefined && values.length > 0) return { section, name, values };
    }
    return undefined;
  };

  /** the string a `$reference` to `o` expands to */
  const expansion = (o: AnyOptionSpec, stack: readonly string[]): string => {
    const setting = raw(o);
    const last = setting?.values[setting.values.length - 1];
    if (setting !== undefined && last !== undefined) {
      return substitute(o, setting.section, last.value, last.origin, stack);
    }
    const dflt = defaultRaw(o);
    return dflt !== undefined ? dflt.value : o.type.format(o.default);
  };

  const lookupReference = (key: string, section: string): AnyOptionSpec | undefined => {
    const dot = key.indexOf('.');
    if (dot > 0) {
      const group = normalizeSectionName(key.slice(0, dot));
      const name = key.slice(dot + 1);
      const hit = ALL_OPTIONS.find((c) => c.section === group && c.name === name);
      if (hit !== undefined) return hit;
    } else {
      const hit = ALL_OPTIONS.find((c) => c.section === section && c.name === key);
      if (hit !== undefined) return hit;
    }
    return ALL_OPTIONS.find((c) => c.section === DEFAULT_SECTION && c.name === key);
  };

  function substitute(o: AnyOptionSpec, section: string, text: string, origin: string, stack: readonly string[]): string {
    const key = optionKey(o);
    if (stack.includes(key)) {
      throw valueError(section, o, text, `\$-substitution loop (${[...stack, key].join(' → ')})`, origin);
    }
    const nextStack = [...stack, key];
    return text.replaceAll('\\$', '$$$$').replace(TEMPLATE, (whole, escaped, named, braced) => {
      if (escaped !== undefined) return '$';
      const ref = (named ?? braced) as string | undefined;
      if (ref === undefined) return whole;
      const target = lookupReference(ref, o.section);
      if (target === undefined) {
        const what = o.secret ? 'a $reference' : `$${ref}`;
        throw valueError(section, o, text, `${what} names no known option (write $$ for a literal $)`, origin);
      }
      const expanded = expansion(target, nextStack);
      if (isMasked(target)) tainted.add(key);
      return expanded;
    });
  }

  const defaultRaw = (o: AnyOptionSpec): Located | undefined => {
    if (o.envDefault !== undefined) {
      const v = ctx.env[o.envDefault];
      if (v !== undefined && v !== '') return { value: v, origin: `$${o.envDefault}` };
    }
    if (o.defaultFrom === 'hostname') return { value: ctx.hostname, origin: 'the OS hostname' };
    if (o.defaultFrom === 'installDir') return { value: ctx.installDir ?? '', origin: 'the install directory' };
    return undefined;
  };

  const parseWith = <T>(o: OptionSpec<T>, section: string, all: readonly Located[], expand: boolean): T => {
    // a single-valued option only ever looks at (and substitutes) its last value, as oslo.config does
    const values = o.type.multi ? all : all.slice(-1);
    const texts = values.map((l) => (expand ? substitute(o, section, l.value, l.origin, []) : l.value));
    const result = o.type.parse(texts);
    if (result.ok) return result.value;
    const at = values[texts.lastIndexOf(result.raw)] ?? values[values.length - 1];
    throw valueError(section, o, result.raw, result.reason, at?.origin, isMasked(o));
  };

  function get<T>(o: OptionSpec<T>): T {
    const setting = raw(o);
    if (setting !== undefined) return parseWith(o, setting.section, setting.values, true);
    const dflt = defaultRaw(o);
    if (dflt !== undefined) return parseWith(o, o.section, [dflt], false);
    return o.default;
  }

  return { sectionOf, isMasked, raw, get };
}

// ---------------------------------------------------------------------------------------------------
// building KuryrConfig

/** Resolve parsed sources (in precedence order, later wins) into a validated config. Pure. */
export function resolveConfig(sources: readonly ConfigSource[], ctx: ResolveContext): LoadedConfig {
  const merged = mergeSources(sources);
  const warnings: string[] = [];

  const bootstrap = createResolver(merged, ctx, undefined);
  const authSectionRaw = bootstrap.get(OPTIONS.authSection);
  const authSection = authSectionRaw === undefined ? undefined : normalizeSectionName(authSectionRaw);
  if (authSectionRaw !== undefined && authSection !== undefined && !merged.has(authSection)) {
    throw valueError('neutron', OPTIONS.authSection, authSectionRaw,
      `there is no [${authSection}] section in the configuration`, undefined, bootstrap.isMasked(OPTIONS.authSection));
  }
  const r = createResolver(merged, ctx, authSection);

  const defaultPortDriverRaw = r.get(OPTIONS.defaultPortDriver);
  const bindingDefaultRaw = r.get(OPTIONS.bindingDefaultDriver);
  const bindingDefaultName = r.raw(OPTIONS.bindingDefaultDriver)?.name ?? 'default_driver';

  const logFile = joinLogFile(r.get(OPTIONS.logFile), r.get(OPTIONS.logDir));
  const host = r.get(OPTIONS.host);
  if (host.trim() === '') {
    throw valueError('DEFAULT', OPTIONS.host, host, 'is empty; set [DEFAULT] host to this node\'s Neutron agent host name',
      undefined, r.isMasked(OPTIONS.host));
  }
  const statePath = r.get(OPTIONS.statePath);
  if (!statePath.startsWith('/')) {
    throw valueError('DEFAULT', OPTIONS.statePath, statePath, 'must be an absolute path', undefined,
      r.isMasked(OPTIONS.statePath));
  }

  const defaults: KuryrConfig['default'] = {
    kuryrUri: r.get(OPTIONS.kuryrUri),
    capabilityScope: r.get(OPTIONS.capabilityScope),
    localDefaultAddressSpace: r.get(OPTIONS.localDefaultAddressSpace),
    globalDefaultAddressSpace: r.get(OPTIONS.globalDefaultAddressSpace),
    portDriver: r.get(OPTIONS.portDriver),
    defaultPortDriver: parsePortDriverName(defaultPortDriverRaw, { section: 'DEFAULT', option: 'default_port_driver' }),
    enabledPortDrivers: parsePortDriverList(r.get(OPTIONS.enabledPortDrivers), {
      section: 'DEFAULT',
      option: 'enabled_port_drivers',
    }),
    processExternalConnectivity: r.get(OPTIONS.processExternalConnectivity),
    sslCertFile: r.get(OPTIONS.sslCertFile),
    sslKeyFile: r.get(OPTIONS.sslKeyFile),
    enableSsl: r.get(OPTIONS.enableSsl),
    bindir: r.get(OPTIONS.bindir),
    subnetpoolNamePrefix: r.get(OPTIONS.subnetpoolNamePrefix),
    deploymentType: r.get(OPTIONS.deploymentType),
    pybasedir: r.get(OPTIONS.pybasedir),
    host,
    statePath,
    debug: r.get(OPTIONS.debug),
    logFile,
  };
  const binding: KuryrConfig['binding'] = {
    vethDstPrefix: r.get(OPTIONS.vethDstPrefix),
    defaultDriver: parseBindingDriverName(bindingDefaultRaw, { section: 'binding', option: bindingDefaultName }),
    enabledDrivers: parseBindingDriverList(r.get(OPTIONS.bindingEnabledDrivers), {
      section: 'binding',
      option: 'enabled_drivers',
    }),
    linkIface: r.get(OPTIONS.linkIface),
  };

  // auth last: a bad plain value is reported before missing credentials
  const neutron: KuryrConfig['neutron'] = {
    enableDhcp: r.get(OPTIONS.enableDhcp),
    defaultSubnetpoolV4: r.get(OPTIONS.defaultSubnetpoolV4),
    defaultSubnetpoolV6: r.get(OPTIONS.defaultSubnetpoolV6),
    vifPluggingIsFatal: r.get(OPTIONS.vifPluggingIsFatal),
    vifPluggingTimeout: r.get(OPTIONS.vifPluggingTimeout),
    regionName: r.get(OPTIONS.regionName),
    endpointType: r.get(OPTIONS.endpointType),
    cafile: r.get(OPTIONS.cafile),
    insecure: r.get(OPTIONS.insecure),
    timeout: r.get(OPTIONS.timeout),
    auth: buildAuth(r),
  };
  const certfile = r.get(OPTIONS.certfile);
  const keyfile = r.get(OPTIONS.keyfile);
  if (certfile !== undefined) neutron.certfile = certfile;
  if (keyfile !== undefined) neutron.keyfile = keyfile;

  const config: KuryrConfig = { default: defaults, binding, neutron };

  checkDriverCompatibility(config);

  warnings.push(...collectWarnings(merged, r, authSection));
  if (config.default.enableSsl && config.default.kuryrUri.startsWith('unix://')) {
    warnings.push('[DEFAULT] enable_ssl has no effect: kuryr_uri is a unix socket');
  }
  return { config, warnings };
}

function joinLogFile(logFile: string | undefined, logDir: string | undefined): string | undefined {
  if (logDir === undefined) return logFile;
  if (logFile === undefined) return posix.join(logDir, DEFAULT_LOG_FILE_NAME);
  return posix.isAbsolute(logFile) ? logFile : posix.join(logDir, logFile);
}

function compact<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

const SUPPORTED_AUTH_TYPES = ['none', 'password', 'v3password'] as const;

function buildAuth(r: Resolver): NeutronAuthConfig {
  const at = (o: AnyOptionSpec): string => `[${r.sectionOf(o)}] ${o.name}`;
  const missing = (o: AnyOptionSpec, reason: string): ConfigError =>
    new ConfigError('ERR_CONFIG_VALUE', `${at(o)} is not set: ${reason}`, {
      details: { section: r.sectionOf(o), option: o.name },
    });

  const authType = r.get(OPTIONS.authType);
  if (authType === undefined) {
    throw missing(
      OPTIONS.authType,
      `set [neutron] auth_type = password (Keystone v3: auth_url, username, password, project_name, ...) ` +
        `or auth_type = none (no Keystone; endpoint_override = <Neutron URL>)`,
    );
  }
  const endpointOverride = r.get(OPTIONS.endpointOverride);

  if (authType === 'none') {
    if (endpointOverride === undefined) {
      throw missing(OPTIONS.endpointOverride, 'required when auth_type = none (the Neutron URL, e.g. http://127.0.0.1:9696)');
    }
    return { type: 'none', endpointOverride };
  }

  if (authType !== 'password' && authType !== 'v3password') {
    throw valueError(
      r.sectionOf(OPTIONS.authType),
      OPTIONS.authType,
      authType,
      `auth type not supported yet (supported: ${SUPPORTED_AUTH_TYPES.join(', ')})`,
      undefined,
      r.isMasked(OPTIONS.authType),
    );
  }

  const needed = `required when auth_type = ${authType}`;
  const authUrl = r.get(OPTIONS.authUrl);
  if (authUrl === undefined) throw missing(OPTIONS.authUrl, `${needed} (e.g. http://controller:5000/v3)`);
  const password = r.get(OPTIONS.password);
  if (password === undefined) throw missing(OPTIONS.password, needed);
  const username = r.get(OPTIONS.username);
  const userId = r.get(OPTIONS.userId);
  if (username === undefined && userId === undefined) {
    throw missing(OPTIONS.username, `${needed} (or set user_id)`);
  }

  for (const [o, kind] of [
    [OPTIONS.domainName, 'domain-scoped'],
    [OPTIONS.domainId, 'domain-scoped'],
    [OPTIONS.systemScope, 'system-scoped'],
    [OPTIONS.trustId, 'trust-scoped'],
  ] as const) {
    const v = r.get(o);
    if (v !== undefined) {
      throw valueError(r.sectionOf(o), o, v,
        `${kind} tokens are not supported yet; scope to a project with project_name or project_id`,
        undefined, r.isMasked(o));
    }
  }

  const projectName = r.get(OPTIONS.projectName);
  const projectId = r.get(OPTIONS.projectId);
  if (projectName === undefined && projectId === undefined) {
    throw missing(OPTIONS.projectName, `${needed} (or set project_id): the plugin needs a project-scoped token`);
  }

  // keystoneauth's generic password plugin: default_domain_* fills in the user and project domains
  const defaultDomainName = r.get(OPTIONS.defaultDomainName);
  const defaultDomainId = r.get(OPTIONS.defaultDomainId);
  const userDomainName = r.get(OPTIONS.userDomainName) ?? defaultDomainName;
  const userDomainId = r.get(OPTIONS.userDomainId) ?? defaultDomainId;
  const projectDomainName = r.get(OPTIONS.projectDomainName) ?? defaultDomainName;
  const projectDomainId = r.get(OPTIONS.projectDomainId) ?? defaultDomainId;

  // Keystone v3 refuses a user or project given by name without its domain; say so at start-up.
  if (userId === undefined && userDomainName === undefined && userDomainId === undefined) {
    throw missing(OPTIONS.userDomainName,
      'username needs user_domain_name or user_domain_id (or default_domain_name / default_domain_id)');
  }
  if (projectId === undefined && projectDomainName === undefined && projectDomainId === undefined) {
    throw missing(OPTIONS.projectDomainName,
      'project_name needs project_domain_name or project_domain_id (or default_domain_name / default_domain_id)');
  }

  return {
    type: 'password',
    authUrl,
    password,
    ...compact({
      username, userId, projectName, projectId, userDomainName, userDomainId, projectDomainName, projectDomainId,
      endpointOverride,
    }),
  };
}

function collectWarnings(merged: MergedDoc, r: Resolver, authSection: string | undefined): string[] {
  const warnings: string[] = [];
  const matches = (o: AnyOptionSpec, key: string): boolean => o.name === key || o.deprecatedNames.includes(key);
  const isAuthOption = (key: string): boolean => ALL_OPTIONS.some((o) => o.authPlugin && matches(o, key));

  // unknown keys in the sections this plugin reads (other sections are someone else's business)
  const checked = new Set<string>([...KNOWN_SECTIONS, ...(authSection === undefined ? [] : [authSection])]);
  for (const section of checked) {
    const keys = merged.get(section);
    if (keys === undefined) continue;
    for (const [key, values] of keys) {
      const origin = values[0]?.origin ?? '?';
      const ownOption = ALL_OPTIONS.some((o) => o.section === section && matches(o, key));
      if (section === authSection && isAuthOption(key)) continue;
      if (ownOption && section === 'neutron' && authSection !== undefined && isAuthOption(key)) {
        warnings.push(`[neutron] ${key} is ignored: auth options are read from [${authSection}] (auth_section) (in ${origin})`);
        continue;
      }
      if (ownOption) continue;
      warnings.push(`[${section}] ${key} is not a known option; ignored (in ${origin})`);
    }
  }

  for (const o of ALL_OPTIONS) {
    const setting = r.raw(o);
    if (setting === undefined) continue;
    const present = merged.get(setting.section);
    if (setting.name !== o.name) {
      warnings.push(`[${setting.section}] ${setting.name} is deprecated; use ${o.name}`);
    } else {
      const shadowed = o.deprecatedNames.filter((d) => present?.has(d) ?? false);
      if (shadowed.length > 0) {
        warnings.push(`[${setting.section}] ${shadowed.join(', ')} ignored: ${o.name} is set (deprecated name)`);
      }
    }
    if (o.noEffect !== undefined) warnings.push(`[${setting.section}] ${o.name} has no effect: ${o.noEffect}`);
  }
  return warnings;
}

// ---------------------------------------------------------------------------------------------------
// helpers for callers

/** A copy safe to log or print: secrets replaced by `***`. */
export function redactConfig(config: KuryrConfig): KuryrConfig {
  const auth = config.neutron.auth;
  return {
    ...config,
    neutron: {
      ...config.neutron,
      auth: auth.type === 'password' ? { ...auth, password: SECRET_MASK } : { ...auth },
    },
  };
}

/** True when `e` is a configuration error (any ERR_CONFIG_* code). */
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError || (e instanceof PluginError && e.code.startsWith('ERR_CONFIG_'));
}
