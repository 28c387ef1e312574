// `kuryr config check | render | values-schema`: thin wrappers over the config loader and src/deploy.
// check loads kuryr.conf exactly as `serve` does (files, dirs, OS_* environment, clouds.yaml) without
// contacting Neutron and prints `ok`, a short summary and the warnings; render turns Helm values files
// (+ --set) into kuryr.conf; values-schema prints the chart's values.schema.json. Never prints a secret:
// the summary is built from redactConfig's output and names no secret field.
import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { loadConfigFromDisk, redactConfig } from '../config/load.ts';
import { checkDriverCompatibility, checkDriversBuilt } from '../config/drivers.ts';
import type { KuryrConfig } from '../config/types.ts';
import { renderKuryrConf } from '../deploy/render.ts';
import { chartValuesJsonSchema } from '../deploy/values-schema.ts';
import { isPlainObject, mergeValues, parseSetArgument, setValue, type Values } from '../deploy/values.ts';
import { ConfigError } from '../errors.ts';

export const DEFAULT_CONFIG_FILE = '/etc/kuryr/kuryr.conf';

/** Where the commands write; the real process streams by default. */
export interface ConfigCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: ConfigCliIo = {
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
};

export interface ConfigCheckOptions {
  configFile: readonly string[];
  configDir: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  hostname?: string;
  cwd?: string;
}

/** The files `serve` and `check` read: the given ones, or /etc/kuryr/kuryr.conf when none is given. */
export function configFilesFor(configFile: readonly string[], configDir: readonly string[]): string[] {
  return configFile.length > 0 || configDir.length > 0 ? [...configFile] : [DEFAULT_CONFIG_FILE];
}

/** One line per fact an operator checks first; built from the redacted config, so no secret can appear. */
export function describeConfig(config: KuryrConfig): string[] {
  const c = redactConfig(config);
  const auth = c.neutron.auth;
  const who = auth.type === 'none' ? `none, Neutron at ${auth.endpointOverride}`
    : auth.type === 'password'
      ? `password, user ${auth.username ?? auth.userId ?? '?'}, project ${auth.projectName ?? auth.projectId ?? '?'} at ${auth.authUrl}`
      : `v3applicationcredential ${auth.applicationCredentialId ?? auth.applicationCredentialName ?? '?'} at ${auth.authUrl}`;
  const lines = [
    `listen: ${c.default.kuryrUri}`,
    `host: ${c.default.host}`,
    `port drivers: ${c.default.enabledPortDrivers.join(', ')} (default ${c.default.defaultPortDriver})`,
    `binding drivers: ${c.binding.enabledDrivers.join(', ')} (default ${c.binding.defaultDriver})`,
    `neutron auth: ${who}`,
    `state: ${c.default.statePath}`,
  ];
  if (c.default.enabledPortDrivers.includes('sriov')) {
    const maps = [...c.sriov.physicalDeviceMappings].map(([net, pfs]) => `${net} → ${pfs.join(' ')}`);
    lines.push(`sriov: ${maps.length === 0 ? 'no physical_device_mappings (ports must name their VF)' : maps.join('; ')}` +
      ` (sysfs ${c.sriov.sysfsRoot})`);
  }
  return lines;
}

/** `kuryr config check`: throws the loader's ConfigError (the CLI prints it, exit 1); prints ok otherwise. */
export async function configCheck(opts: ConfigCheckOptions, io: ConfigCliIo = processIo): Promise<void> {
  const { config, warnings } = await loadConfigFromDisk({
    configFiles: configFilesFor(opts.configFile, opts.configDir),
    configDirs: opts.configDir,
    env: opts.env ?? process.env,
    hostname: opts.hostname ?? hostname(),
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  checkDriverCompatibility(config);
  checkDriversBuilt(config);
  io.out(['ok', ...describeConfig(config).map((l) => `  ${l}`), ...warnings.map((w) => `warning: ${w}`)].join('\n') + '\n');
}

export interface ConfigRenderOptions {
  values: readonly string[];
  set: readonly string[];
  setString: readonly string[];
  output?: string;
  readFile?: (path: string) => Promise<string>;
}

/** Values files merged in order, then the --set / --set-string arguments (all --set first, as Helm). */
export async function assembleValues(opts: ConfigRenderOptions): Promise<Values> {
  const read = opts.readFile ?? ((p: string) => readFile(p, 'utf8'));
  let values: Values = {};
  for (const file of opts.values) {
    let text: string;
    try {
      text = await read(file);
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_PARSE', `values file ${file}: cannot be read (${(cause as { code?: string }).code ?? String(cause)})`,
        { cause, details: { file } });
    }
    let doc: unknown;
    try {
      doc = parseYaml(text, { uniqueKeys: true });
    } catch (cause) {
      throw new ConfigError('ERR_CONFIG_PARSE', `values file ${file}: not valid YAML (${(cause as Error).message.split('\n')[0]})`,
        { cause, details: { file } });
    }
    if (doc === null || doc === undefined) continue;
    if (!isPlainObject(doc)) throw new ConfigError('ERR_CONFIG_PARSE', `values file ${file}: the top level must be a map`, { details: { file } });
    values = mergeValues(values, doc);
  }
  for (const arg of opts.set) for (const [path, v] of parseSetArgument(arg)) values = setValue(values, path, v);
  for (const arg of opts.setString) for (const [path, v] of parseSetArgument(arg, { asString: true })) values = setValue(values, path, v);
  return values;
}

/** `kuryr config render`: kuryr.conf on stdout (or atomically into --output); warnings on stderr. */
export async function configRender(opts: ConfigRenderOptions, io: ConfigCliIo = processIo): Promise<void> {
  if (opts.values.length === 0 && opts.set.length === 0 && opts.setString.length === 0) {
    throw new ConfigError('ERR_CONFIG_VALUE', 'config render: give at least one --values file (the chart\'s values.yaml) or --set');
  }
  const { text, warnings } = renderKuryrConf(await assembleValues(opts));
  for (const w of warnings) io.err(`kuryr: warning: ${w}\n`);
  if (opts.output === undefined) {
    io.out(text);
    return;
  }
  // write-then-rename: a reader (the plugin container) never sees half a file
  const tmp = join(dirname(opts.output), `.kuryr.conf.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, opts.output);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check kuryr.conf, or render it from Helm values');
  config.command('check')
    .description('load the configuration exactly like `serve` (without contacting Neutron); print ok, a summary and warnings')
    .option('--config-file <file>', 'oslo.config file; repeatable, later files win (default /etc/kuryr/kuryr.conf)', collect, [])
    .option('--config-dir <dir>', 'directory of *.conf files read after --config-file; repeatable', collect, [])
    .action(async (o: { configFile: string[]; configDir: string[] }) => {
      await configCheck({ configFile: o.configFile, configDir: o.configDir });
    });
  config.command('render')
    .description('render kuryr.conf from the Helm chart\'s values (conf.kuryr, network.kuryr) on stdout')
    .option('-f, --values <file>', 'values YAML file; repeatable, later files win (maps merge, null deletes)', collect, [])
    .option('--set <key=value>', 'override a value (Helm syntax: a.b=c,d={x,y}); repeatable', collect, [])
    .option('--set-string <key=value>', 'like --set, but every value is a string', collect, [])
    .option('-o, --output <file>', 'write kuryr.conf to this file (atomically) instead of stdout')
    .action(async (o: { values: string[]; set: string[]; setString: string[]; output?: string }) => {
      await configRender({ values: o.values, set: o.set, setString: o.setString, ...(o.output === undefined ? {} : { output: o.output }) });
    });
  config.command('values-schema')
    .description('print the chart\'s values.schema.json (JSON Schema draft-07), generated from the values schema')
    .action(() => { process.stdout.write(chartValuesJsonSchema()); });
}
