// The I/O front doors: read kuryr.conf files and config dirs (injected or real filesystem) and the clouds.yaml
// cloud they (or $OS_CLOUD) name, then hand everything to resolveConfig (build-config.ts); re-exports the
// loading API callers import from here. Only loadConfigFromDisk touches the real filesystem, process.env,
// the working directory and the OS hostname. Must never put a secret option's value into an error, a
// warning or a log line.
import { readdir, readFile } from 'node:fs/promises';
import { homedir, hostname as osHostname } from 'node:os';
import { posix } from 'node:path';
import { ConfigError, PluginError } from '../errors.ts';
import { requestedCloudFor, resolveConfig, type LoadedConfig } from './build-config.ts';
import { loadCloud } from './clouds-yaml.ts';
import { parseIni } from './ini.ts';
import type { ConfigSource, ResolveContext } from './resolver.ts';

export { DEFAULT_LOG_FILE_NAME, requestedCloudFor, resolveConfig, type LoadedConfig } from './build-config.ts';
export { cloudsYamlCandidates } from './clouds-yaml.ts';
export { envNameFor, type ConfigSource, type ResolveContext } from './resolver.ts';
export { redactConfig, SECRET_MASK } from './secrets.ts';

export interface LoadConfigInput {
  /** `--config-file` values, in order */
  configFiles: readonly string[];
  /** `--config-dir` values; each dir's `*.conf` files are read in sorted order after all configFiles */
  configDirs: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** default for `[DEFAULT] host` (the caller passes the OS hostname) */
  hostname: string;
  /** reads config files, and clouds.yaml / secure.yaml when a cloud is named */
  readFile: (path: string) => Promise<string>;
  listDir: (path: string) => Promise<string[]>;
  /** default for `[DEFAULT] pybasedir` (informational) */
  installDir?: string;
  /** working directory, for ./clouds.yaml (not looked for when unset) */
  cwd?: string;
  /** for ~/.config/openstack/clouds.yaml; default $HOME from `env` */
  homeDir?: string;
}

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
  const cloud = requestedCloudFor(sources, ctx);
  if (cloud !== undefined) {
    ctx.cloud = await loadCloud(cloud, { env: input.env, readFile: input.readFile, cwd: input.cwd, homeDir: input.homeDir });
  }
  return resolveConfig(sources, ctx);
}

/** The files of a config dir that are read, in reading order (glob `*.conf`: no dotfiles; sorted). */
export function configDirEntries(entries: readonly string[]): string[] {
  return entries.filter((n) => n.endsWith('.conf') && !n.startsWith('.')).sort();
}

/** loadConfig on the real filesystem, with the process environment, cwd and OS hostname as defaults. */
export async function loadConfigFromDisk(opts: {
  configFiles: readonly string[];
  configDirs?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  hostname?: string;
  installDir?: string;
  cwd?: string;
}): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const input: LoadConfigInput = {
    configFiles: opts.configFiles,
    configDirs: opts.configDirs ?? [],
    env,
    hostname: opts.hostname ?? osHostname(),
    readFile: (path) => readFile(path, 'utf8'),
    listDir: (path) => readdir(path),
    cwd: opts.cwd ?? process.cwd(),
  };
  const home = env['HOME'] ?? homedir();
  if (home !== '') input.homeDir = home;
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

/** True when `e` is a configuration error (any ERR_CONFIG_* code). */
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError || (e instanceof PluginError && e.code.startsWith('ERR_CONFIG_'));
}
