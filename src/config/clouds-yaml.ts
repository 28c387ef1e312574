// Finds and reads the clouds.yaml cloud named by `[neutron] cloud` or $OS_CLOUD, the way openstacksdk does:
// the first clouds.yaml of $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml,
// /etc/openstack/clouds.yaml, with secure.yaml (beside it, or $OS_CLIENT_SECURE_FILE) merged over the cloud.
// File access is injected. Never quotes file content in an error: YAML errors give only code, line, column.
import { posix } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.ts';
import type { CloudRequest, LoadedCloud } from './auth-sources.ts';
import { OPTIONS } from './options.ts';
import { valueError } from './secrets.ts';

export interface CloudsIo {
  env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): Promise<string>;
  /** for ./clouds.yaml; unset = not looked for */
  cwd?: string | undefined;
  /** for ~/.config/openstack; default $HOME; unset = not looked for */
  homeDir?: string | undefined;
}

/** The clouds.yaml paths looked at, in order (the first that exists is used). */
export function cloudsYamlCandidates(io: CloudsIo): string[] {
  const out: string[] = [];
  const explicit = io.env['OS_CLIENT_CONFIG_FILE'];
  if (explicit !== undefined && explicit !== '') out.push(explicit);
  if (io.cwd !== undefined) out.push(posix.join(io.cwd, 'clouds.yaml'));
  const home = io.homeDir ?? io.env['HOME'];
  if (home !== undefined && home !== '') out.push(posix.join(home, '.config/openstack/clouds.yaml'));
  out.push('/etc/openstack/clouds.yaml');
  return out;
}

function isMissing(cause: unknown): boolean {
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function ioProblem(cause: unknown): string {
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause);
}

/** The file's text, or undefined when it does not exist; any other read failure is ERR_CONFIG_PARSE. */
async function readOptional(io: CloudsIo, path: string): Promise<string | undefined> {
  try {
    return await io.readFile(path);
  } catch (cause) {
    if (isMissing(cause)) return undefined;
    throw new ConfigError('ERR_CONFIG_PARSE', `${path}: cannot be read (${ioProblem(cause)})`, { cause, details: { file: path } });
  }
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse a clouds.yaml / secure.yaml; returns its `clouds` mapping (empty when absent). */
export function parseCloudsFile(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true });
  const err = doc.errors[0];
  if (err !== undefined) {
    const pos = err.linePos?.[0];
    const where = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`;
    // err.message quotes the offending lines, which may hold a password: only code and position
    throw new ConfigError('ERR_CONFIG_PARSE', `${file}: not valid YAML (${err.code}${where})`, {
      details: { file, ...(pos === undefined ? {} : { line: pos.line }) },
    });
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) return {};
  if (!isMapping(data)) throw new ConfigError('ERR_CONFIG_PARSE', `${file}: the top level must be a mapping`, { details: { file } });
  const clouds = data['clouds'];
  if (clouds === undefined || clouds === null) return {};
  if (!isMapping(clouds)) throw new ConfigError('ERR_CONFIG_PARSE', `${file}: "clouds" must be a mapping`, { details: { file } });
  return clouds;
}

/** `{auth: {a: 1}, region_name: 'r'}` → `auth.a`, `region_name` (only `auth` is descended into). */
function flatten(
  cloud: Record<string, unknown>, file: string, into: Map<string, { value: unknown; file: string }>, label: string,
): void {
  for (const [key, value] of Object.entries(cloud)) {
    if (key !== 'auth') {
      into.set(key, { value, file });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!isMapping(value)) {
      throw new ConfigError('ERR_CONFIG_VALUE', `${label}: auth must be a mapping (in ${file})`, { details: { file, key } });
    }
    for (const [k, v] of Object.entries(value)) into.set(`auth.${k}`, { value: v, file });
  }
}

/** Find, read and merge the requested cloud. Throws ERR_CONFIG_VALUE naming the option (or $OS_CLOUD) when it is not found. */
export async function loadCloud(req: CloudRequest, io: CloudsIo): Promise<LoadedCloud> {
  const notFound = (reason: string): ConfigError => valueError('neutron', OPTIONS.cloud, req.name, reason, req.origin);
  const candidates = cloudsYamlCandidates(io);
  let file: string | undefined;
  let text: string | undefined;
  for (const path of candidates) {
    text = await readOptional(io, path);
    if (text !== undefined) {
      file = path;
      break;
    }
  }
  if (file === undefined || text === undefined) {
    throw notFound(`no clouds.yaml found (looked for ${candidates.join(', ')})`);
  }
  const clouds = parseCloudsFile(text, file);
  const entry = clouds[req.name];
  const label = `clouds.yaml cloud "${req.name}"`;
  if (!isMapping(entry)) {
    const names = Object.keys(clouds);
    throw notFound(entry === undefined
      ? `no such cloud in ${file} (it has: ${names.length === 0 ? 'none' : names.join(', ')})`
      : `the entry in ${file} is not a mapping`);
  }
  const values = new Map<string, { value: unknown; file: string }>();
  flatten(entry, file, values, label);

  const secureEnv = io.env['OS_CLIENT_SECURE_FILE'];
  const secureFile = secureEnv !== undefined && secureEnv !== '' ? secureEnv : posix.join(posix.dirname(file), 'secure.yaml');
  const secureText = await readOptional(io, secureFile);
  if (secureText !== undefined) {
    const secureEntry = parseCloudsFile(secureText, secureFile)[req.name];
    if (secureEntry !== undefined && secureEntry !== null) {
      if (!isMapping(secureEntry)) {
        throw new ConfigError('ERR_CONFIG_VALUE', `${label}: the entry in ${secureFile} is not a mapping`, {
          details: { file: secureFile },
        });
      }
      flatten(secureEntry, secureFile, values, label);
    }
  }
  return { name: req.name, file, values };
}
