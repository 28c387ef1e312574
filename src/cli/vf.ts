// `kuryr vf list [--json]` and `kuryr vf release <PCI> [--force] [--json]`. list only reads (sysfs, the VF
// ledger — written atomically, so a plain read is consistent —, `ip -j -d link show <pf>`, dockerd for container
// names). release must not race the ledger's single writer: when a plugin holds <state_path>/kuryr.lock the
// request goes to it (POST /Kuryr.ReleaseVf on its kuryr_uri) and it releases under its own locks; otherwise
// this command takes the instance lock itself (so no plugin can start meanwhile), releases and lets go.
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFromDisk } from '../config/load.ts';
import type { KuryrConfig } from '../config/types.ts';
import { ERROR_CODES, PluginError, isPluginError, type ErrorCode } from '../errors.ts';
import { callPlugin, dockerContainersByEndpoint } from '../doctor/probes.ts';
import { vfInventory } from '../doctor/vf-inventory.ts';
import { buildVfListing, renderVfListing, type VfListing } from '../doctor/vf-list.ts';
import { RELEASE_VF_METHOD, releaseVfByPci, type VfReleaseResult } from '../doctor/vf-release.ts';
import { createExec, type Exec } from '../host/exec.ts';
import { createIpLink, type VfConfig } from '../host/ip-link.ts';
import { createSysfs, type Sysfs } from '../host/sysfs.ts';
import { createNeutronHttpClient } from '../neutron/http-client.ts';
import type { NeutronClient } from '../neutron/client.ts';
import { createSriovPortDriver } from '../port-drivers/sriov.ts';
import { parseKuryrUri, type ListenTarget } from '../server/listener.ts';
import { createFileVfLedger } from '../sriov/ledger.ts';
import { isLiveNetns } from '../sriov/reconcile.ts';
import { acquireInstanceLock } from '../state/instance-lock.ts';
import type { Log } from '../util/log.ts';
import { configFilesFor, type CliIo } from './doctor.ts';

const processIo: CliIo = { out: (t) => { process.stdout.write(t); }, err: (t) => { process.stderr.write(t); } };
const collect = (value: string, previous: string[]) => [...previous, value];

export const ledgerPath = (config: KuryrConfig): string => join(config.default.statePath, 'sriov-state.json');
export const lockPath = (config: KuryrConfig): string => join(config.default.statePath, 'kuryr.lock');

/** The host seams `vf list` reads through (tests pass a fake sysfs tree and the FakeExec `ip`). */
export interface VfListDeps {
  sysfs: Sysfs;
  exec: Exec;
  /** endpoint id → container name; empty when dockerd cannot be asked */
  containers(): Promise<Map<string, string>>;
}

export async function vfList(config: KuryrConfig, deps: VfListDeps): Promise<VfListing> {
  const ledger = await createFileVfLedger(ledgerPath(config)).read();
  const reports = await vfInventory(deps.sysfs,
    { physnets: config.sriov.physicalDeviceMappings, excluded: config.sriov.excludeDevices }, ledger);
  const ipLink = createIpLink(deps.exec);
  const tables = new Map<string, VfConfig[] | Error>();
  for (const r of reports) {
    if (r.info === undefined) continue;
    tables.set(r.pf, await ipLink.vfList(r.pf).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))));
  }
  const held = reports.some((r) => r.vfs.some((v) => v.holder !== undefined));
  return buildVfListing(reports, tables, held ? await deps.containers() : new Map());
}

/** What `vf release` needs when it edits the ledger itself (no plugin running). */
export interface VfReleaseLocalDeps {
  sysfs: Sysfs;
  exec: Exec;
  neutron: NeutronClient;
  log: Log;
  pathExists(path: string): Promise<boolean>;
}

/** How `vf release` reaches the ledger's owner. */
export interface VfReleaseRoute {
  /** take <state_path>/kuryr.lock; ERR_STATE_LOCKED when a live plugin holds it */
  acquireLock(path: string): Promise<() => Promise<void>>;
  /** POST /Kuryr.ReleaseVf to the running plugin */
  callPlugin(target: ListenTarget, method: string, body: unknown): Promise<{ status: number; body: unknown }>;
  /** built only when this process edits the ledger itself */
  local(): VfReleaseLocalDeps & { close(): Promise<void> };
}

/** A plugin answer `{"Err": "<CODE>: <message>"}` back into a PluginError. */
function errorFromAnswer(status: number, body: unknown): PluginError {
  const text = typeof (body as { Err?: unknown } | null)?.Err === 'string' ? (body as { Err: string }).Err : JSON.stringify(body);
  const m = /^([A-Z_]+): ([\s\S]*)$/.exec(text);
  const code = m?.[1];
  if (code !== undefined && code in ERROR_CODES) return new PluginError(code as ErrorCode, m?.[2] ?? text, { details: { status } });
  return new PluginError('ERR_PLUGIN_UNREACHABLE', `the running plugin answered ${status}: ${text}`, { details: { status } });
}

export async function vfRelease(config: KuryrConfig, pci: string, opts: { force: boolean }, route: VfReleaseRoute):
  Promise<VfReleaseResult & { via: 'plugin' | 'local' }> {
  let unlock: (() => Promise<void>) | undefined;
  try {
    unlock = await route.acquireLock(lockPath(config));
  } catch (err) {
    if (isPluginError(err) && err.code === 'ERR_STATE_LOCKED') return { ...await viaPlugin(config, pci, opts, route, err), via: 'plugin' };
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new PluginError('ERR_PERMISSION', `cannot take the instance lock ${lockPath(config)} (${code}): run kuryr vf release as root`, { cause: err });
    }
    throw err;
  }
  const local = route.local();
  try {
    const ledger = createFileVfLedger(ledgerPath(config));
    const driver = createSriovPortDriver({
      sysfs: local.sysfs, ipLink: createIpLink(local.exec), neutron: local.neutron, ledger, log: local.log,
      settings: { physnets: config.sriov.physicalDeviceMappings, excluded: config.sriov.excludeDevices },
    });
    const result = await releaseVfByPci({
      ledger, neutron: local.neutron, host: config.default.host, pathExists: local.pathExists, release: driver.release,
    }, pci, opts);
    return { ...result, via: 'local' };
  } finally {
    await local.close().catch(() => undefined);
    await unlock();
  }
}

async function viaPlugin(config: KuryrConfig, pci: string, opts: { force: boolean }, route: VfReleaseRoute, lockErr: PluginError): Promise<VfReleaseResult> {
  const target = parseKuryrUri(config.default.kuryrUri);
  let answer: { status: number; body: unknown };
  try {
    answer = await route.callPlugin(target, RELEASE_VF_METHOD, { pci, force: opts.force });
  } catch (cause) {
    throw new PluginError('ERR_PLUGIN_UNREACHABLE',
      `${lockErr.message}, but it does not answer on ${config.default.kuryrUri} (${(cause as Error).message}); ` +
      'check it with kuryr doctor, or stop it and run this command again', { cause });
  }
  if (answer.status === 404) {
    throw new PluginError('ERR_PLUGIN_UNREACHABLE',
      `the running plugin does not serve /${RELEASE_VF_METHOD} (its configuration does not enable the sriov port driver, ` +
      'or it is an older version): stop it and run this command again');
  }
  if (answer.status !== 200) throw errorFromAnswer(answer.status, answer.body);
  return answer.body as VfReleaseResult;
}

function renderRelease(r: VfReleaseResult & { via: 'plugin' | 'local' }): string {
  const via = r.via === 'plugin' ? 'through the running plugin' : 'no plugin running: ledger edited under the instance lock';
  if (!r.released) return `${r.reason} (${via})\n`;
  const lines = [`released VF ${r.pci} held by endpoint ${r.endpointId ?? '?'} (port ${r.portId === '' ? '-' : r.portId ?? '-'}): ` +
    `saved settings restored, VF free (${via})`, `reason: ${r.reason}`];
  if (r.note !== undefined) lines.push(`note: ${r.note}`);
  return `${lines.join('\n')}\n`;
}

const stderrLog: Log = {
  debug() {},
  info() {},
  warn: (obj, msg) => { process.stderr.write(`warning: ${msg ?? ''} ${JSON.stringify(obj)}\n`); },
  error: (obj, msg) => { process.stderr.write(`error: ${msg ?? ''} ${JSON.stringify(obj)}\n`); },
};

function realRoute(config: KuryrConfig): VfReleaseRoute {
  return {
    acquireLock: acquireInstanceLock,
    callPlugin: (target, method, body) => callPlugin(target, method, body, 30_000),
    local() {
      const neutron = createNeutronHttpClient({
        auth: config.neutron.auth, endpointType: config.neutron.endpointType, timeoutMs: config.neutron.timeout * 1000,
        ...(config.neutron.regionName === undefined ? {} : { regionName: config.neutron.regionName }),
        ...(config.neutron.cafile === undefined ? {} : { cafile: config.neutron.cafile }),
        insecure: config.neutron.insecure,
      });
      return { sysfs: createSysfs(config.sriov.sysfsRoot), exec: createExec(), neutron, log: stderrLog, pathExists: isLiveNetns, close: () => neutron.close() };
    },
  };
}

function pluginNameOf(config: KuryrConfig): string {
  const t = parseKuryrUri(config.default.kuryrUri);
  return t.kind === 'unix' ? basename(t.path).replace(/\.sock$/, '') : 'kuryr';
}

async function loadFor(o: { configFile: string[]; configDir: string[] }): Promise<KuryrConfig> {
  const { config } = await loadConfigFromDisk({
    configFiles: configFilesFor(o.configFile, o.configDir), configDirs: o.configDir, env: process.env, hostname: hostname(),
  });
  return config;
}

export function registerVfCommands(program: Command, io: CliIo = processIo): void {
  const vf = program.command('vf').description('SR-IOV VFs: who holds which, and freeing a stuck one');
  const common = (c: Command) => c
    .option('--config-file <file>', 'oslo.config file; repeatable (default /etc/kuryr/kuryr.conf)', collect, [])
    .option('--config-dir <dir>', 'directory of *.conf files; repeatable', collect, [])
    .option('--json', 'print JSON', false);
  common(vf.command('list').description('every VF of the mapped PFs (and of PFs the ledger mentions): MAC, VLAN, free or held by which endpoint/port/container, saved state'))
    .action(async (o: { configFile: string[]; configDir: string[]; json: boolean }) => {
      const config = await loadFor(o);
      const listing = await vfList(config, {
        sysfs: createSysfs(config.sriov.sysfsRoot), exec: createExec(),
        containers: () => dockerContainersByEndpoint(process.env, pluginNameOf(config)),
      });
      io.out(o.json ? `${JSON.stringify(listing, null, 2)}\n` : renderVfListing(listing));
      // a mapped PF that is missing or unreadable is an error an operator (or a script) must not miss
      if (listing.problems.length > 0) process.exitCode = 1;
    });
  common(vf.command('release').argument('<pci>', 'the VF\'s PCI address, e.g. 0000:03:10.2')
    .description('restore a held VF\'s saved settings and free it; refused while its endpoint is alive unless --force')
    .option('--force', 'release even if the holding endpoint looks alive (its container loses the VF\'s settings)', false))
    .action(async (pci: string, o: { configFile: string[]; configDir: string[]; json: boolean; force: boolean }) => {
      const config = await loadFor(o);
      const result = await vfRelease(config, pci, { force: o.force }, realRoute(config));
      io.out(o.json ? `${JSON.stringify(result, null, 2)}\n` : renderRelease(result));
    });
}
