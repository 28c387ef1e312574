// Doctor checks `config` (kuryr.conf loads as `serve` loads it) and `drivers` (the enabled port and binding
// drivers exist in this build and fit together: sriov ⇔ hw_veb). Pure over the injected loader; never prints
// a secret (the summary is built from redactConfig's output, and load errors never quote secret values).
import type { LoadedConfig } from '../config/build-config.ts';
import { redactConfig } from '../config/secrets.ts';
import { BUILT_PORT_DRIVERS } from '../config/drivers.ts';
import type { KuryrConfig } from '../config/types.ts';
import { isPluginError } from '../errors.ts';
import { check, type CheckResult, type DoctorDeps } from './types.ts';

export async function checkConfig(deps: Pick<DoctorDeps, 'loadConfig' | 'configSources'>): Promise<{ results: CheckResult[]; loaded?: LoadedConfig }> {
  const files = deps.configSources.map((f) => `read: ${f}`);
  let loaded: LoadedConfig;
  try {
    loaded = await deps.loadConfig();
  } catch (err) {
    const code = isPluginError(err) ? err.code : 'ERR_INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_CONFIG_DRIVER') {
      return {
        results: [
          check('config', 'ok', 'the configuration files were read and parsed; the driver settings are refused (see drivers)', files),
          check('drivers', 'fail', `the enabled drivers are refused: ${message}`, [...files, `${code}: ${message}`],
            'enable the sriov port driver together with the hw_veb binding driver (and veth with veth); see docs/config.md'),
        ],
      };
    }
    return {
      results: [
        check('config', 'fail', `the configuration cannot be used: ${code}`, [...files, `${code}: ${message}`],
          code === 'ERR_CONFIG_PARSE' ? 'fix the file and line named above (oslo.config INI syntax: docs/config.md)'
            : 'correct the option named above (docs/config.md lists every option and its values)'),
        check('drivers', 'skip', 'not checked: the configuration did not load'),
      ],
    };
  }
  const c = loaded.config;
  const evidence = [...files, ...describe(c)];
  const config = loaded.warnings.length === 0
    ? check('config', 'ok', `loaded ${deps.configSources.length} file(s), no warnings`, evidence)
    : check('config', 'warn', `loaded with ${loaded.warnings.length} warning(s)`,
      [...evidence, ...loaded.warnings.map((w) => `warning: ${w}`)],
      'remove or correct the options the warnings name (unknown, deprecated or without effect; docs/config.md)');
  return { results: [config, checkDrivers(c)], loaded };
}

function describe(config: KuryrConfig): string[] {
  const c = redactConfig(config);
  return [
    `host = ${c.default.host}`,
    `kuryr_uri = ${c.default.kuryrUri}`,
    `state_path = ${c.default.statePath}`,
  ];
}

export function checkDrivers(c: KuryrConfig): CheckResult {
  const ports = c.default.enabledPortDrivers;
  const bindings = c.binding.enabledDrivers;
  const evidence = [
    `[DEFAULT] enabled_port_drivers: ${ports.join(', ')} (default_port_driver ${c.default.defaultPortDriver})`,
    `[binding] enabled_drivers: ${bindings.join(', ')} (default_driver ${c.binding.defaultDriver})`,
  ];
  const missing = ports.filter((p) => !BUILT_PORT_DRIVERS.includes(p));
  if (missing.length > 0) {
    return check('drivers', 'fail', `port driver(s) ${missing.join(', ')} are not implemented in this build: the plugin refuses to start`,
      [...evidence, `this build has: ${BUILT_PORT_DRIVERS.join(', ')}`],
      `remove ${missing.join(', ')} from [DEFAULT] enabled_port_drivers`);
  }
  // the reverse of sriov ⇒ hw_veb (which the loader enforces): hw_veb alone plugs nothing
  if (bindings.includes('hw_veb') && !ports.includes('sriov')) {
    return check('drivers', 'warn', 'the hw_veb binding driver is enabled but the sriov port driver is not: direct ports are refused',
      evidence, 'add sriov to [DEFAULT] enabled_port_drivers (or drop hw_veb from [binding] enabled_drivers)');
  }
  return check('drivers', 'ok',
    `port drivers ${ports.join(', ')} with binding drivers ${bindings.join(', ')}: loaded and compatible`, evidence);
}
