// `kuryr config render`: the Helm values structure → kuryr.conf (oslo INI). `conf.kuryr.<SECTION>.<option>`
// becomes `[SECTION] option = value` (lists joined with `,`, booleans True/False); `network.kuryr.sriov`
// applies the seed's rule (enabled ⇒ the sriov port driver and the hw_veb binding driver are added even when
// `conf` does not list them) and fills `[sriov]`. The result is loaded back with our own loader (the
// password supplied the way the chart does, as $OS_NEUTRON__PASSWORD) and must pass the driver checks, so
// a values file that renders is one `kuryr serve` accepts. Pure: no file or environment access; never
// writes or quotes a secret (secrets are refused in `conf`, the password lives in the chart's Secret).
import { z } from 'zod';
import {
  BINDING_DRIVER_MODULE_PREFIX, PORT_DRIVER_MODULE_PREFIX, checkDriverCompatibility, checkDriversBuilt,
} from '../config/drivers.ts';
import { DEFAULT_SECTION, normalizeSectionName } from '../config/ini.ts';
import { envNameFor, parseConfigText } from '../config/load.ts';
import { ALL_OPTIONS, KNOWN_SECTIONS, OPTIONS, parseList, type AnyOptionSpec } from '../config/options.ts';
import type { KuryrConfig } from '../config/types.ts';
import { ConfigError, isPluginError } from '../errors.ts';
import { NEUTRON_OPTIONS_NOT_IN_VALUES, renderValuesSchema, type RenderValues } from './values-schema.ts';
import { isPlainObject } from './values.ts';

export const SRIOV_PORT_DRIVER = `${PORT_DRIVER_MODULE_PREFIX}sriov`;
export const HW_VEB_BINDING_DRIVER = `${BINDING_DRIVER_MODULE_PREFIX}hw_veb`;
/** how the chart hands the Keystone password to the plugin (oslo.config's environment source for [neutron] password) */
export const PASSWORD_ENV = envNameFor('neutron', 'password');
/** where the chart's DaemonSet expects the plugin: dockerd discovers it there and the readiness probe tests it */
export const CHART_KURYR_URI = 'unix:///run/docker/plugins/kuryr.sock';
/** the host directory the chart mounts for plugin state */
export const CHART_STATE_PATH = '/var/lib/kuryr';

export interface RenderResult {
  /** kuryr.conf text */
  text: string;
  /** things an operator should know (loader warnings included); never values */
  warnings: string[];
  /** the configuration `text` loads to (password: the placeholder), already checked */
  config: KuryrConfig;
}

type Scalar = string | number | boolean;
type Section = Map<string, string>;

function valuesError(path: string, reason: string): ConfigError {
  return new ConfigError('ERR_CONFIG_VALUE', `values ${path}: ${reason}`, { details: { values: path } });
}

const TABLE_ORDER = new Map<string, number>(
  ALL_OPTIONS.flatMap((o, i) => [o.name, ...o.deprecatedNames].map((n) => [`${o.section}.${n}`, i] as [string, number])),
);

function optionFor(section: string, name: string): AnyOptionSpec | undefined {
  return ALL_OPTIONS.find((o) => o.section === section && (o.name === name || o.deprecatedNames.includes(name)));
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function formatScalar(v: Scalar): string {
  return typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
}

/**
 * The text to write after `key = ` so that our (oslo-compatible) parser reads back exactly `value`: the
 * parser trims the value and strips one pair of matching quotes, so a value that has surrounding
 * whitespace or is itself quoted gets one more pair of quotes (oslo has no escapes inside quotes).
 */
export function iniValueText(value: string): string {
  if (value === '') return '';
  const first = value[0];
  const wouldLoseQuotes = (first === '"' || first === "'") && value.endsWith(first);
  return value !== value.trim() || wouldLoseQuotes ? `"${value}"` : value;
}

/** A values entry as the kuryr.conf value text, or an error naming its values path. */
function formatOption(path: string, value: unknown, o: AnyOptionSpec | undefined): string {
  const isList = o !== undefined && (o.type.label === 'list' || o.type.multi);
  let text: string;
  if (Array.isArray(value)) {
    const items = value.map((item, i) => {
      if (typeof item !== 'string' && typeof item !== 'number' && typeof item !== 'boolean') {
        throw valuesError(`${path}[${i}]`, 'list items must be strings, numbers or booleans');
      }
      const s = formatScalar(item).trim();
      if (s.includes(',')) throw valuesError(`${path}[${i}]`, 'a list item cannot contain a comma (items are joined with commas)');
      return s;
    });
    text = items.filter((s) => s !== '').join(',');
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    text = isList && typeof value === 'string' ? parseList(value).join(',') : formatScalar(value);
  } else {
    throw valuesError(path, 'must be a string, number, boolean or a list of them');
  }
  if (/[\r\n]/.test(text)) throw valuesError(path, 'must be a single line');
  return text;
}

/** The list a driver option holds in the values, or the option's default when the values leave it out. */
function listOf(section: Section, o: AnyOptionSpec): string[] {
  const text = section.get(o.name);
  if (text !== undefined) return parseList(text);
  const fallback = o.default;
  return Array.isArray(fallback) ? fallback.map(String) : [];
}

const shortName = (item: string, prefix: string): string => (item.startsWith(prefix) ? item.slice(prefix.length) : item);

/** Append `driver` to the list option unless an entry already names it (short name or module path). */
function ensureDriver(section: Section, o: AnyOptionSpec, driver: string, prefix: string): boolean {
  const items = listOf(section, o);
  if (items.some((item) => shortName(item, prefix) === shortName(driver, prefix))) {
    if (!section.has(o.name)) section.set(o.name, items.join(','));
    return false;
  }
  section.set(o.name, [...items, driver].join(','));
  return true;
}

/** conf.kuryr → ordered sections of formatted values (checks names; no driver logic). */
function collectSections(kuryr: Record<string, unknown>): Map<string, Section> {
  const byNormalized = new Map<string, string>();
  const sections = new Map<string, Section>();
  for (const [name, body] of Object.entries(kuryr)) {
    const path = `conf.kuryr.${name}`;
    if (body === undefined) continue;
    if (!SAFE_NAME.test(name)) throw valuesError(path, 'a section name may hold letters, digits, "_", "." and "-" only');
    const normalized = normalizeSectionName(name);
    if (normalized.toUpperCase() === DEFAULT_SECTION && name !== DEFAULT_SECTION) {
      throw valuesError(path, `write the default section as ${DEFAULT_SECTION} (upper case): oslo.config reads [${name}] as another section`);
    }
    if ((KNOWN_SECTIONS as readonly string[]).includes(normalized) && name !== normalized) {
      throw valuesError(path, `write conf.kuryr.${normalized} (oslo.config lower-cases section names)`);
    }
    const clash = byNormalized.get(normalized);
    if (clash !== undefined) throw valuesError(path, `is the same section as conf.kuryr.${clash} (oslo.config lower-cases section names)`);
    byNormalized.set(normalized, name);
    if (!isPlainObject(body)) throw valuesError(path, 'must be a map of option: value');

    const section: Section = new Map();
    const keys = Object.keys(body).sort((a, b) => {
      const ia = TABLE_ORDER.get(`${normalized}.${a}`) ?? Number.MAX_SAFE_INTEGER;
      const ib = TABLE_ORDER.get(`${normalized}.${b}`) ?? Number.MAX_SAFE_INTEGER;
      return ia !== ib ? ia - ib : a < b ? -1 : a > b ? 1 : 0;
    });
    for (const key of keys) {
      const value = body[key];
      if (value === undefined || value === null) continue;
      if (!SAFE_NAME.test(key)) throw valuesError(`${path}.${key}`, 'an option name may hold letters, digits, "_", "." and "-" only');
      section.set(key, formatOption(`${path}.${key}`, value, optionFor(normalized, key)));
    }
    sections.set(normalized, section);
  }
  return sections;
}

function sectionOrder(names: readonly string[]): string[] {
  const known = KNOWN_SECTIONS.filter((s) => names.includes(s));
  const others = names.filter((n) => !(KNOWN_SECTIONS as readonly string[]).includes(n)).sort();
  return [...known, ...others];
}

/** Refuse what the chart keeps out of kuryr.conf, with the reason (before the schema says "unknown key"). */
function refuseKeptOut(values: Record<string, unknown>): void {
  const conf = values['conf'];
  const kuryr = isPlainObject(conf) ? conf['kuryr'] : undefined;
  const neutron = isPlainObject(kuryr) ? kuryr['neutron'] : undefined;
  if (!isPlainObject(neutron)) return;
  for (const key of Object.keys(neutron)) {
    if (!NEUTRON_OPTIONS_NOT_IN_VALUES.has(key)) continue;
    const path = `conf.kuryr.neutron.${key}`;
    if (key === 'auth_section' || key === 'cloud') {
      throw valuesError(path, `is not supported by the chart: the Keystone password reaches the plugin as $${PASSWORD_ENV}, ` +
        'which oslo.config applies to [neutron] only; put the auth options in conf.kuryr.neutron');
    }
    throw valuesError(path, 'secrets never go into kuryr.conf (the chart keeps it in a ConfigMap); set secrets.neutron.password, ' +
      `which the chart stores in a Secret and passes to the plugin as $${PASSWORD_ENV}`);
  }
}

/** Render Helm values (already merged: chart values.yaml, then each -f file, then --set) into kuryr.conf. */
export function renderKuryrConf(input: unknown): RenderResult {
  if (!isPlainObject(input)) throw valuesError('(top level)', 'must be a map');
  refuseKeptOut(input);
  const parsed = renderValuesSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError('ERR_CONFIG_VALUE', `values do not match the chart's schema:\n${z.prettifyError(parsed.error)}`);
  }
  const values: RenderValues = parsed.data;
  const warnings: string[] = [];
  const sections = collectSections(values.conf.kuryr);
  const section = (name: string): Section => {
    let s = sections.get(name);
    if (s === undefined) {
      s = new Map();
      sections.set(name, s);
    }
    return s;
  };

  const authType = sections.get('neutron')?.get('auth_type') ?? sections.get('neutron')?.get('auth_plugin');
  if (authType === 'v3applicationcredential') {
    throw valuesError('conf.kuryr.neutron.auth_type', 'v3applicationcredential is not supported by the chart yet: its Secret ' +
      `carries a password only (${PASSWORD_ENV}); use auth_type password`);
  }

  const sriov = values.network.kuryr.sriov;
  const notes: string[] = [];
  const mapped: Array<[string, AnyOptionSpec]> = [
    ['physical_device_mappings', OPTIONS.physicalDeviceMappings],
    ['exclude_devices', OPTIONS.excludeDevices],
  ];
  if (sriov.enabled) {
    const addedPort = ensureDriver(section(DEFAULT_SECTION), OPTIONS.enabledPortDrivers, SRIOV_PORT_DRIVER, PORT_DRIVER_MODULE_PREFIX);
    const addedBinding = ensureDriver(section('binding'), OPTIONS.bindingEnabledDrivers, HW_VEB_BINDING_DRIVER, BINDING_DRIVER_MODULE_PREFIX);
    notes.push('network.kuryr.sriov.enabled = true: the sriov port driver and the hw_veb binding driver are enabled' +
      (addedPort || addedBinding ? ' (added to what conf.kuryr lists)' : ''));
    notes.push(`vnic types served: ${sriov.supported_vnic_types.join(', ')}`);
    for (const [key, o] of mapped) {
      const given = sriov[key as 'physical_device_mappings' | 'exclude_devices'];
      const text = formatOption(`network.kuryr.sriov.${key}`, given, o);
      if (text === '') continue;
      if (sections.get('sriov')?.has(o.name) === true) {
        throw valuesError(`network.kuryr.sriov.${key}`, `conf.kuryr.sriov.${o.name} is set too; set only one of them`);
      }
      section('sriov').set(o.name, text);
    }
    if (!sections.get('sriov')?.has(OPTIONS.physicalDeviceMappings.name)) {
      warnings.push('network.kuryr.sriov.physical_device_mappings is empty: only Neutron ports that name their VF ' +
        '(binding:profile pci_slot) can be plugged; set it to let the plugin allocate VFs');
    }
  } else {
    for (const [key] of mapped) {
      const given = sriov[key as 'physical_device_mappings' | 'exclude_devices'];
      if (given.length > 0) warnings.push(`network.kuryr.sriov.${key} is ignored: network.kuryr.sriov.enabled is false`);
    }
  }

  const text = emit(sections, notes, authType);
  let loaded;
  try {
    loaded = parseConfigText(text, 'rendered kuryr.conf', {
      env: { [PASSWORD_ENV]: 'placeholder-for-the-secret' },
      hostname: 'render-check',
    });
    checkDriverCompatibility(loaded.config);
    checkDriversBuilt(loaded.config);
  } catch (e) {
    if (!isPluginError(e)) throw e;
    throw new ConfigError(e.code, `the kuryr.conf rendered from these values would not load: ${e.message}`, {
      cause: e,
      details: e.details,
    });
  }
  const config = loaded.config;
  const enablesSriov = config.default.enabledPortDrivers.includes('sriov');
  if (!sriov.enabled && enablesSriov) {
    warnings.push('conf.kuryr enables the sriov port driver but network.kuryr.sriov.enabled is false: the chart then mounts ' +
      '/sys read-only and does not restrict the DaemonSet to SR-IOV nodes');
  }
  if (config.default.kuryrUri !== CHART_KURYR_URI) {
    warnings.push(`[DEFAULT] kuryr_uri is ${config.default.kuryrUri}: the chart's readiness probe and dockerd's plugin ` +
      `discovery expect ${CHART_KURYR_URI}`);
  }
  if (config.default.statePath !== CHART_STATE_PATH) {
    warnings.push(`[DEFAULT] state_path is ${config.default.statePath}: the chart keeps only ${CHART_STATE_PATH} on the host, ` +
      'so VF allocations elsewhere are lost when the pod is replaced');
  }
  warnings.push(...loaded.warnings);
  return { text, warnings, config };
}

function emit(sections: Map<string, Section>, notes: readonly string[], authType: string | undefined): string {
  const lines: string[] = [
    '# kuryr.conf rendered by `kuryr config render` from the Helm values (conf.kuryr, network.kuryr);',
    '# change the values, not this file.',
    ...notes.map((n) => `# ${n}`),
  ];
  for (const name of sectionOrder([...sections.keys()])) {
    const body = sections.get(name)!;
    lines.push('', `[${name}]`);
    for (const [key, value] of body) lines.push(`${key} = ${iniValueText(value)}`);
    if (name === 'neutron' && authType !== undefined && authType !== 'none') {
      lines.push(`# password: not in this file; the plugin reads it from $${PASSWORD_ENV} (the chart's Secret)`);
    }
  }
  return `${lines.join('\n')}\n`;
}
