// Builds the validated KuryrConfig from parsed sources: every option through the Resolver, driver names and
// compatibility (drivers.ts), Neutron auth (neutron-auth.ts), start-up warnings. Pure: must not read files
// or the process environment (load.ts does) and must not quote secrets (values go through secrets.ts).
import { posix } from 'node:path';
import {
  checkDriverCompatibility, parseBindingDriverList, parseBindingDriverName, parsePortDriverList,
  parsePortDriverName,
} from './drivers.ts';
import { buildAuth, resolveAuthSection } from './neutron-auth.ts';
import { OPTIONS } from './options.ts';
import { createResolver, mergeSources, type ConfigSource, type ResolveContext } from './resolver.ts';
import { valueError } from './secrets.ts';
import type { KuryrConfig } from './types.ts';
import { collectWarnings } from './warnings.ts';

export interface LoadedConfig {
  config: KuryrConfig;
  warnings: string[];
}

/** oslo.log's file name when only log_dir is given (`<binary>.log`; the upstream binary is kuryr-server). */
export const DEFAULT_LOG_FILE_NAME = 'kuryr-server.log';

/** Resolve parsed sources (in precedence order, later wins) into a validated config. Pure. */
export function resolveConfig(sources: readonly ConfigSource[], ctx: ResolveContext): LoadedConfig {
  const merged = mergeSources(sources);
  const warnings: string[] = [];

  const authSection = resolveAuthSection(merged, ctx);
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
