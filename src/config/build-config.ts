// Builds the validated KuryrConfig from parsed sources: every option through the Resolver, driver names and
// compatibility (drivers.ts), Neutron auth and session options (neutron-auth.ts, over the clouds.yaml / OS_*
// layers of auth-sources.ts), start-up warnings. Pure: must not read files or the process environment
// (load.ts does, and hands the clouds.yaml cloud in through ctx) and must not quote secrets (secrets.ts).
import { posix } from 'node:path';
import { ConfigError } from '../errors.ts';
import { parseExcludeDevices, parsePhysicalDeviceMappings } from '../sriov/mappings.ts';
import {
  authTypeSetInFiles, cloudLayer, createLayeredLookup, envLayer, requestedCloud, type AuthLayer, type CloudRequest,
} from './auth-sources.ts';
import {
  checkDriverCompatibility, parseBindingDriverList, parseBindingDriverName, parsePortDriverList,
  parsePortDriverName,
} from './drivers.ts';
import { buildAuth, resolveAuthSection } from './neutron-auth.ts';
import { OPTIONS } from './options.ts';
import { createResolver, mergeSources, type ConfigSource, type ResolveContext } from './resolver.ts';
import { parseLogLevels, parseSyslogFacility } from './logging-settings.ts';
import { valueError } from './secrets.ts';
import type { KuryrConfig } from './types.ts';
import { collectWarnings } from './warnings.ts';

export interface LoadedConfig {
  config: KuryrConfig;
  warnings: string[];
}

/** oslo.log's file name when only log_dir is given (`<binary>.log`; the upstream binary is kuryr-server). */
export const DEFAULT_LOG_FILE_NAME = 'kuryr-server.log';

/** The honoured oslo.log options; log_config_append is refused (a Python logging file cannot configure us). */
function loggingSettings(r: ReturnType<typeof createResolver>): KuryrConfig['default']['logging'] {
  const origin = (o: Parameters<typeof r.raw>[0]) => r.raw(o)?.values.at(-1)?.origin;
  const appendValue = r.get(OPTIONS.logConfigAppend);
  if (appendValue !== undefined) {
    throw valueError('DEFAULT', OPTIONS.logConfigAppend, appendValue, 'a Python logging configuration file cannot configure ' +
      'this plugin; remove it and use debug, log_file/log_dir, use_stderr, use_syslog, use_journal, use_json and ' +
      'default_log_levels (docs/config.md)', origin(OPTIONS.logConfigAppend));
  }
  const facilityRaw = r.get(OPTIONS.syslogLogFacility);
  const facility = parseSyslogFacility(facilityRaw);
  if (facility === undefined) {
    throw valueError('DEFAULT', OPTIONS.syslogLogFacility, facilityRaw, 'not a syslog facility (LOG_USER, LOG_DAEMON, ' +
      'LOG_LOCAL0 … LOG_LOCAL7, …)', origin(OPTIONS.syslogLogFacility));
  }
  const levels = parseLogLevels(r.get(OPTIONS.defaultLogLevels));
  if (!levels.ok) {
    throw valueError('DEFAULT', OPTIONS.defaultLogLevels, r.get(OPTIONS.defaultLogLevels).join(','), levels.reason,
      origin(OPTIONS.defaultLogLevels));
  }
  return {
    useStderr: r.get(OPTIONS.useStderr),
    useSyslog: r.get(OPTIONS.useSyslog),
    syslogFacility: facility,
    useJournal: r.get(OPTIONS.useJournal),
    useJson: r.get(OPTIONS.useJson),
    levels: levels.value,
  };
}

/** The clouds.yaml cloud these sources ask for (`[neutron] cloud`, or $OS_CLOUD without auth_type), if any. Pure. */
export function requestedCloudFor(sources: readonly ConfigSource[], ctx: ResolveContext): CloudRequest | undefined {
  const merged = mergeSources(sources);
  return requestedCloud(createResolver(merged, ctx, resolveAuthSection(merged, ctx)), ctx.env);
}

/**
 * Resolve parsed sources (in precedence order, later wins) into a validated config. Pure: a cloud the
 * sources name must already be in `ctx.cloud` (loadConfig reads it).
 */
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
    logging: loggingSettings(r),
  };
  const metricsUri = r.get(OPTIONS.metricsUri);
  if (metricsUri !== undefined) defaults.metricsUri = metricsUri;
  const binding: KuryrConfig['binding'] = {
    vethDstPrefix: r.get(OPTIONS.vethDstPrefix),
    defaultDriver: parseBindingDriverName(bindingDefaultRaw, { section: 'binding', option: bindingDefaultName }),
    enabledDrivers: parseBindingDriverList(r.get(OPTIONS.bindingEnabledDrivers), {
      section: 'binding',
      option: 'enabled_drivers',
    }),
    linkIface: r.get(OPTIONS.linkIface),
  };

  // Keystone settings kuryr.conf leaves out come from the clouds.yaml cloud, then the OS_* environment
  // (the latter only when the files do not set auth_type: a complete kuryr.conf is never overridden)
  const layers: AuthLayer[] = [];
  const cloud = requestedCloud(r, ctx.env);
  if (cloud !== undefined) {
    if (ctx.cloud === undefined || ctx.cloud.name !== cloud.name) {
      throw new ConfigError('ERR_CONFIG_VALUE',
        `[neutron] cloud = ${cloud.name}: clouds.yaml was not read (load the configuration with loadConfig) (from ${cloud.origin})`,
        { details: { section: 'neutron', option: 'cloud', origin: cloud.origin } });
    }
    layers.push(cloudLayer(ctx.cloud));
  }
  if (!authTypeSetInFiles(r)) layers.push(envLayer(ctx.env));
  const l = createLayeredLookup(r, layers);

  // auth last: a bad plain value is reported before missing credentials
  const plain: Omit<KuryrConfig['neutron'], 'auth'> = {
    enableDhcp: r.get(OPTIONS.enableDhcp),
    defaultSubnetpoolV4: r.get(OPTIONS.defaultSubnetpoolV4),
    defaultSubnetpoolV6: r.get(OPTIONS.defaultSubnetpoolV6),
    vifPluggingIsFatal: r.get(OPTIONS.vifPluggingIsFatal),
    vifPluggingTimeout: r.get(OPTIONS.vifPluggingTimeout),
    regionName: l.get(OPTIONS.regionName),
    endpointType: l.get(OPTIONS.endpointType),
    cafile: l.get(OPTIONS.cafile),
    insecure: l.get(OPTIONS.insecure),
    timeout: r.get(OPTIONS.timeout),
  };
  const built = buildAuth(l);
  const neutron: KuryrConfig['neutron'] = { ...plain, auth: built.auth };
  const certfile = l.get(OPTIONS.certfile);
  const keyfile = l.get(OPTIONS.keyfile);
  if (certfile !== undefined) neutron.certfile = certfile;
  if (keyfile !== undefined) neutron.keyfile = keyfile;

  const sriov: KuryrConfig['sriov'] = {
    sysfsRoot: r.get(OPTIONS.sysfsRoot),
    physicalDeviceMappings: parsePhysicalDeviceMappings(r.get(OPTIONS.physicalDeviceMappings)),
    excludeDevices: parseExcludeDevices(r.get(OPTIONS.excludeDevices)),
  };
  const config: KuryrConfig = { default: defaults, binding, neutron, sriov };

  checkDriverCompatibility(config);

  warnings.push(...collectWarnings(merged, r, authSection));
  for (const layer of layers) warnings.push(...layer.warnings);
  warnings.push(...built.warnings);
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
