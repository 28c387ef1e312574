// Port- and binding-driver names from kuryr.conf: parsing short names / upstream module paths into
// PortDriverName / BindingDriverName, the start-up compatibility checks, and which port drivers this build
// has. Pure: it knows names and the port→binding support table only; it never loads or builds a driver.
import { ConfigError } from '../errors.ts';
import type { BindingDriverName, KuryrConfig, PortDriverName } from './types.ts';

export const PORT_DRIVER_NAMES: readonly PortDriverName[] = ['veth', 'sriov', 'nested', 'vlan'];
export const BINDING_DRIVER_NAMES: readonly BindingDriverName[] = ['veth', 'hw_veb', 'macvlan', 'ipvlan', 'vlan'];

/**
 * The port drivers this build implements (cli/serve.ts has a factory for each). Upstream also names nested and
 * vlan; a configuration enabling them parses, but checkDriversBuilt refuses it, as serve does.
 */
export const BUILT_PORT_DRIVERS: readonly PortDriverName[] = ['veth', 'sriov'];

export const PORT_DRIVER_MODULE_PREFIX = 'kuryr_libnetwork.port_driver.drivers.';
export const BINDING_DRIVER_MODULE_PREFIX = 'kuryr.lib.binding.drivers.';

/** Binding drivers each port driver can work with (upstream `get_supported_bindings`). */
export const SUPPORTED_BINDINGS: Readonly<Record<PortDriverName, readonly BindingDriverName[]>> = {
  veth: ['veth'],
  sriov: ['hw_veb'],
  nested: ['macvlan', 'ipvlan'],
  vlan: ['vlan'],
};

/**
 * Port drivers that plug through `[binding] default_driver` (sriov always uses hw_veb, whatever the
 * default binding driver is).
 */
const USES_DEFAULT_BINDING: ReadonlySet<PortDriverName> = new Set(['veth', 'nested', 'vlan']);

/** Where a driver name came from, for error messages: `[section] option`. */
export interface OptionRef {
  section: string;
  option: string;
}

function driverError(where: OptionRef, value: string, reason: string): ConfigError {
  return new ConfigError('ERR_CONFIG_DRIVER', `[${where.section}] ${where.option} = ${value}: ${reason}`, {
    details: { section: where.section, option: where.option, value },
  });
}

function parseDriverName<N extends string>(
  raw: string,
  where: OptionRef,
  names: readonly N[],
  modulePrefix: string,
  kind: string,
): N {
  const value = raw.trim();
  if (value === '') throw driverError(where, raw, `no ${kind} driver provided`);
  const short = value.startsWith(modulePrefix) ? value.slice(modulePrefix.length) : value;
  const hit = names.find((n) => n === short);
  if (hit === undefined) {
    throw driverError(
      where,
      value,
      `unknown ${kind} driver; expected one of ${names.join(', ')} or ${modulePrefix}<name>`,
    );
  }
  return hit;
}

/** `veth` or `kuryr_libnetwork.port_driver.drivers.veth` → `veth`; anything else → ERR_CONFIG_DRIVER. */
export function parsePortDriverName(
  raw: string,
  where: OptionRef = { section: 'DEFAULT', option: 'default_port_driver' },
): PortDriverName {
  return parseDriverName(raw, where, PORT_DRIVER_NAMES, PORT_DRIVER_MODULE_PREFIX, 'port');
}

/** `hw_veb` or `kuryr.lib.binding.drivers.hw_veb` → `hw_veb`; anything else → ERR_CONFIG_DRIVER. */
export function parseBindingDriverName(
  raw: string,
  where: OptionRef = { section: 'binding', option: 'default_driver' },
): BindingDriverName {
  return parseDriverName(raw, where, BINDING_DRIVER_NAMES, BINDING_DRIVER_MODULE_PREFIX, 'binding');
}

/** Parse a list option, dropping duplicates but keeping first-seen order. */
export function parsePortDriverList(raws: readonly string[], where: OptionRef): PortDriverName[] {
  return unique(raws.map((r) => parsePortDriverName(r, where)));
}

export function parseBindingDriverList(raws: readonly string[], where: OptionRef): BindingDriverName[] {
  return unique(raws.map((r) => parseBindingDriverName(r, where)));
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

const list = (items: readonly string[]): string => items.join(', ');

/**
 * Start-up checks over the parsed driver settings; throws the first problem as
 * ConfigError('ERR_CONFIG_DRIVER'). Stricter than upstream in one place: the default port driver must
 * support `[binding] default_driver`, because it plugs with it (upstream only fails on the first request).
 */
export function checkDriverCompatibility(cfg: KuryrConfig): void {
  const enabledPorts = cfg.default.enabledPortDrivers;
  const defaultPort = cfg.default.defaultPortDriver;
  const enabledBindings = cfg.binding.enabledDrivers;
  const defaultBinding = cfg.binding.defaultDriver;

  if (enabledPorts.length === 0) {
    throw driverError({ section: 'DEFAULT', option: 'enabled_port_drivers' }, '', 'no port driver enabled');
  }
  if (enabledBindings.length === 0) {
    throw driverError({ section: 'binding', option: 'enabled_drivers' }, '', 'no binding driver enabled');
  }

  if (enabledBindings.includes('ipvlan')) {
    throw driverError(
      { section: 'binding', option: 'enabled_drivers' },
      list(enabledBindings),
      'the ipvlan binding driver is not supported (upstream kuryr-libnetwork has it "temporarily banned"); ' +
        'use macvlan for nested containers',
    );
  }

  if (!enabledPorts.includes(defaultPort)) {
    throw driverError(
      { section: 'DEFAULT', option: 'default_port_driver' },
      defaultPort,
      `not in [DEFAULT] enabled_port_drivers (${list(enabledPorts)}); no port driver available`,
    );
  }

  for (const port of enabledPorts) {
    const supported = SUPPORTED_BINDINGS[port];
    if (!supported.some((b) => enabledBindings.includes(b))) {
      throw driverError(
        { section: 'DEFAULT', option: 'enabled_port_drivers' },
        list(enabledPorts),
        `port driver ${port} is not compatible with binding drivers [${list(enabledBindings)}] ` +
          `([binding] enabled_drivers); it needs one of: ${list(supported)}`,
      );
    }
  }

  if (!enabledBindings.includes(defaultBinding)) {
    throw driverError(
      { section: 'binding', option: 'default_driver' },
      defaultBinding,
      `not in [binding] enabled_drivers (${list(enabledBindings)})`,
    );
  }

  if (USES_DEFAULT_BINDING.has(defaultPort) && !SUPPORTED_BINDINGS[defaultPort].includes(defaultBinding)) {
    throw driverError(
      { section: 'binding', option: 'default_driver' },
      defaultBinding,
      `the default port driver ${defaultPort} ([DEFAULT] default_port_driver) plugs with this binding driver ` +
        `but supports only: ${list(SUPPORTED_BINDINGS[defaultPort])}`,
    );
  }
}

/**
 * Refuse enabled port drivers this build does not implement (ERR_CONFIG_DRIVER), so that `kuryr config check`
 * and `kuryr config render` refuse what `kuryr serve` refuses.
 */
export function checkDriversBuilt(cfg: KuryrConfig): void {
  const missing = cfg.default.enabledPortDrivers.filter((p) => !BUILT_PORT_DRIVERS.includes(p));
  if (missing.length === 0) return;
  throw driverError({ section: 'DEFAULT', option: 'enabled_port_drivers' }, list(cfg.default.enabledPortDrivers),
    `port driver${missing.length > 1 ? 's' : ''} ${list(missing)} ${missing.length > 1 ? 'are' : 'is'} not implemented in this build ` +
    `(it has ${list(BUILT_PORT_DRIVERS)}); remove ${list(missing)}`);
}
