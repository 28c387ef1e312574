// `kuryr doctor [--config-file …] [--config-dir …] [--json] [--verbose]`: builds the real seams (the config loader,
// a Neutron client without retries and with a short timeout, sysfs, /proc, the VF ledger, the plugin socket and
// dockerd probes) and runs src/doctor. Exit status 0 (all ok/skip), 1 (worst is warn), 2 (any fail).
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfigFromDisk } from '../config/load.ts';
import { probeDocker, probeSocket } from '../doctor/probes.ts';
import { renderHuman, renderJson } from '../doctor/render.ts';
import { runDoctor } from '../doctor/run.ts';
import type { DoctorDeps, DoctorProgress, DoctorReport } from '../doctor/types.ts';
import { createSysfs } from '../host/sysfs.ts';
import { createNeutronHttpClient } from '../neutron/http-client.ts';
import { createFileVfLedger } from '../sriov/ledger.ts';
import { instanceLockHeld } from '../state/instance-lock.ts';

export const DEFAULT_CONFIG_FILE = '/etc/kuryr/kuryr.conf';
/** doctor waits at most this long for Neutron/Keystone (the configured timeout is for a running plugin) */
const DOCTOR_NEUTRON_TIMEOUT_MS = 10_000;

export interface CliIo { out(text: string): void; err(text: string): void }
const processIo: CliIo = { out: (t) => { process.stdout.write(t); }, err: (t) => { process.stderr.write(t); } };

export interface DoctorCliOptions { configFile: readonly string[]; configDir: readonly string[]; json: boolean; verbose: boolean }

const collect = (value: string, previous: string[]) => [...previous, value];

export function configFilesFor(configFile: readonly string[], configDir: readonly string[]): string[] {
  return configFile.length > 0 || configDir.length > 0 ? [...configFile] : [DEFAULT_CONFIG_FILE];
}

export function realDoctorDeps(opts: Pick<DoctorCliOptions, 'configFile' | 'configDir'>, env: NodeJS.ProcessEnv = process.env): DoctorDeps {
  const configFiles = configFilesFor(opts.configFile, opts.configDir);
  return {
    loadConfig: () => loadConfigFromDisk({ configFiles, configDirs: opts.configDir, env, hostname: hostname() }),
    configSources: [...configFiles, ...opts.configDir.map((d) => `${d}/*.conf`)],
    neutron: (config) => createNeutronHttpClient({
      auth: config.neutron.auth,
      endpointType: config.neutron.endpointType,
      timeoutMs: Math.min(config.neutron.timeout * 1000, DOCTOR_NEUTRON_TIMEOUT_MS),
      ...(config.neutron.regionName === undefined ? {} : { regionName: config.neutron.regionName }),
      ...(config.neutron.cafile === undefined ? {} : { cafile: config.neutron.cafile }),
      insecure: config.neutron.insecure,
      // a verdict, not a service: one attempt, so "Neutron down" is reported in seconds
      retry: { attempts: 1 },
    }),
    sysfs: (root) => createSysfs(root),
    readFile: (path) => readFile(path, 'utf8'),
    readLedger: (statePath) => createFileVfLedger(join(statePath, 'sriov-state.json')).read(),
    lockHeld: (path) => instanceLockHeld(path),
    probeSocket: (target) => probeSocket(target),
    probeDocker: (name) => probeDocker(env, name),
    root: process.getuid?.() === 0,
  };
}

export async function doctorCommand(opts: DoctorCliOptions, deps: DoctorDeps, io: CliIo = processIo): Promise<DoctorReport> {
  // the table comes at the end; meanwhile one line per step and verdict on stderr (human mode only, so
  // --json output stays one document), so that a Neutron that does not answer is not ten seconds of silence
  const progress = opts.json ? deps.progress : (event: DoctorProgress) => {
    deps.progress?.(event);
    io.err(event.kind === 'step' ? `… ${event.what}\n` : `  ${event.result.status.padEnd(4)} ${event.result.id}\n`);
  };
  const report = await runDoctor(progress === undefined ? deps : { ...deps, progress });
  io.out(opts.json ? renderJson(report) : renderHuman(report, { verbose: opts.verbose }));
  return report;
}

export function registerDoctorCommand(program: Command): void {
  program.command('doctor')
    .description('check the configuration, Neutron, the SR-IOV host set-up, the plugin socket and dockerd (exit 0 ok, 1 warn, 2 fail)')
    .option('--config-file <file>', 'oslo.config file; repeatable, later files win (default /etc/kuryr/kuryr.conf)', collect, [])
    .option('--config-dir <dir>', 'directory of *.conf files read after --config-file; repeatable', collect, [])
    .option('--json', 'print the report as JSON', false)
    .option('-v, --verbose', 'show the evidence of every check, not only of warnings and failures', false)
    .action(async (o: { configFile: string[]; configDir: string[]; json: boolean; verbose: boolean }) => {
      const report = await doctorCommand(o, realDoctorDeps(o));
      process.exitCode = report.exitCode;
    });
}
