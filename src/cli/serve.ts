// `kuryr serve`: the composition root. Loads the configuration, builds the real adapters (Neutron over HTTP,
// iproute2 through execFile), checks Neutron, then serves the Docker protocol until SIGTERM/SIGINT, when it
// stops accepting, finishes in-flight calls and removes its socket.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { loadConfigFromDisk } from '../config/load.ts';
import { checkDriverCompatibility, checkDriversBuilt } from '../config/drivers.ts';
import type { KuryrConfig } from '../config/types.ts';
import type { HandlerContext } from '../context.ts';
import { createVethBinding } from '../binding/veth.ts';
import { createExec } from '../host/exec.ts';
import { createIpLink } from '../host/ip-link.ts';
import { createSysfs } from '../host/sysfs.ts';
import { createFileVfLedger } from '../sriov/ledger.ts';
import { isLiveNetns, reconcileVfs } from '../sriov/reconcile.ts';
import { acquireInstanceLock } from '../state/instance-lock.ts';
import { probeExtensions } from '../neutron/extensions.ts';
import { nameIdentity, tagIdentity } from '../neutron/identity.ts';
import { createNeutronHttpClient } from '../neutron/http-client.ts';
import { createPortDriverRegistry } from '../port-drivers/registry.ts';
import { createSriovPortDriver } from '../port-drivers/sriov.ts';
import { vfAdminRoutes } from '../doctor/vf-release.ts';
import { createPluginMetrics } from '../metrics/plugin-metrics.ts';
import { startMetricsServer, type MetricsServer } from '../metrics/server.ts';
import { createVethPortDriver } from '../port-drivers/veth.ts';
import { listen, parseKuryrUri } from '../server/listener.ts';
import { createServer } from '../server/server.ts';
import { systemClock } from '../util/clock.ts';
import { createKeyedMutex } from '../util/keyed-mutex.ts';
import { createPluginLoggers } from '../logging/create-logger.ts';
import { packageVersion } from './version.ts';

/** how often the VF ledger is checked against Neutron and the host */
const RECONCILE_INTERVAL_MS = 60_000;

export interface ServeOptions { configFile: string[]; configDir: string[] }

export async function serve(opts: ServeOptions): Promise<void> {
  const { config, warnings } = await loadConfigFromDisk({
    configFiles: opts.configFile, configDirs: opts.configDir, env: process.env, hostname: hostname(),
  });
  checkDriverCompatibility(config);
  checkDriversBuilt(config);
  const loggers = createPluginLoggers(config);
  const log: Logger = loggers.log('kuryr_libnetwork');
  for (const w of warnings) log.warn({ config: true }, w);
  const metrics = config.default.metricsUri === undefined ? undefined
    : createPluginMetrics({ onCollectorError: (err) => log.warn({ err }, 'metrics collector failed') });

  const neutron = createNeutronHttpClient({
    auth: config.neutron.auth,
    endpointType: config.neutron.endpointType,
    timeoutMs: config.neutron.timeout * 1000,
    ...(config.neutron.regionName === undefined ? {} : { regionName: config.neutron.regionName }),
    ...(config.neutron.cafile === undefined ? {} : { cafile: config.neutron.cafile }),
    insecure: config.neutron.insecure,
    logger: loggers.log('neutronclient'),
    ...(metrics === undefined ? {} : { onCall: metrics.neutronCall }),
  });
  const target = parseKuryrUri(config.default.kuryrUri);
  const features = await probeExtensions(neutron, systemClock, log);

  // one plugin per host and state_path: the VF ledger must have a single writer
  const releaseLock = await acquireInstanceLock(join(config.default.statePath, 'kuryr.lock'));
  const exec = createExec();
  const ipLink = createIpLink(exec);
  const veth = createVethBinding({ ipLink, exec, bindir: config.default.bindir });
  const ledger = createFileVfLedger(join(config.default.statePath, 'sriov-state.json'));
  const sysfs = createSysfs(config.sriov.sysfsRoot);
  const sriovSettings = { physnets: config.sriov.physicalDeviceMappings, excluded: config.sriov.excludeDevices };
  const sriov = config.default.enabledPortDrivers.includes('sriov')
    ? createSriovPortDriver({ sysfs, ipLink, neutron, log, ledger, settings: sriovSettings })
    : undefined;
  const ctx: HandlerContext = {
    config,
    neutron,
    identity: features.tags ? tagIdentity : nameIdentity,
    portDrivers: createPortDriverRegistry(config, {
      veth: () => createVethPortDriver(veth),
      ...(sriov === undefined ? {} : { sriov: () => sriov }),
    }),
    locks: createKeyedMutex(),
    clock: systemClock,
    log,
    pendingCidrs: new Set(),
    adoptedAddresses: new Set(),
  };

  const app = createServer(ctx, {
    logger: loggers.log('kuryr_libnetwork.server'),
    ...(await tlsOptions(config, target.kind === 'tcp' && target.tls)),
    ...(metrics === undefined ? {} : { onCall: metrics.pluginCall }),
    // `kuryr vf release` asks the running plugin, the ledger's single writer (docs/troubleshooting.md)
    ...(sriov === undefined ? {} : {
      adminRoutes: vfAdminRoutes({
        ledger, neutron, host: config.default.host, pathExists: isLiveNetns, release: sriov.release, locks: ctx.locks,
      }, (r) => metrics?.operatorReleased(r.forced)),
    }),
  });
  let reconciler: NodeJS.Timeout | undefined;
  if (sriov !== undefined) {
    const reconcile = () => reconcileVfs({
      ledger, neutron, host: config.default.host, log, release: sriov.release, locks: ctx.locks,
      pathExists: isLiveNetns,
    }).then((r) => { metrics?.reconciled(r); if (r.released.length > 0) log.info({ released: r.released }, 'VF reconcile'); },
      (err: unknown) => { metrics?.reconcileFailed(); log.error({ err }, 'VF reconcile failed'); });
    await reconcile();
    reconciler = setInterval(() => { void reconcile(); }, RECONCILE_INTERVAL_MS);
    reconciler.unref();
  }
  if (metrics !== undefined && sriov !== undefined) metrics.watchVfs({ sysfs, settings: sriovSettings, ledger: () => ledger.read() });
  const metricsServer: MetricsServer | undefined = metrics === undefined || config.default.metricsUri === undefined ? undefined
    : await startMetricsServer(metrics.registry, config.default.metricsUri, log);
  if (metricsServer !== undefined) log.info({ address: metricsServer.address }, 'metrics at /metrics');
  const address = await listen(app, target).catch(async (err: unknown) => { await metricsServer?.close(); throw err; });
  log.info({ address, version: packageVersion(), logTo: loggers.sinks, host: config.default.host, portDrivers: config.default.enabledPortDrivers, identity: features.tags ? 'tags' : 'names' },
    'kuryr plugin serving');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight calls');
    if (reconciler !== undefined) clearInterval(reconciler);
    app.close().then(() => metricsServer?.close()).then(releaseLock).then(
      () => { log.info({}, 'stopped'); return loggers.close().finally(() => process.exit(0)); },
      (err: unknown) => { log.error({ err }, 'error while stopping'); return loggers.close().finally(() => process.exit(1)); });
  };
  // logrotate's postrotate: reopen log_file
  process.on('SIGHUP', () => { loggers.reopen(); log.info({ signal: 'SIGHUP' }, 'log file reopened'); });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function tlsOptions(config: KuryrConfig, tlsUri: boolean): Promise<{ https?: { cert: Buffer; key: Buffer } }> {
  if (!config.default.enableSsl && !tlsUri) return {};
  return { https: { cert: await readFile(config.default.sslCertFile), key: await readFile(config.default.sslKeyFile) } };
}
