// Where Neutron's Keystone settings come from besides kuryr.conf: a clouds.yaml cloud (`[neutron] cloud` or
// $OS_CLOUD) and the OpenStack CLI's OS_* environment variables, stacked under the files (explicit [neutron]
// options > clouds.yaml cloud > OS_*). Pure: the cloud arrives already read (clouds-yaml.ts does that I/O),
// the environment is a plain object. Never quotes a value in a message (values may be secrets).
import { ConfigError } from '../errors.ts';
import type { AnyOptionSpec, OptionSpec } from './option-spec.ts';
import { OPTIONS } from './options.ts';
import type { ResolveContext, Resolver } from './resolver.ts';
import { valueError } from './secrets.ts';

/** A clouds.yaml cloud entry (secure.yaml merged in), flattened: `region_name`, `auth.password`, ... */
export interface LoadedCloud {
  name: string;
  /** the clouds.yaml it was found in */
  file: string;
  /** top-level keys and `auth.<key>`; each with the file that gave it (clouds.yaml or secure.yaml) */
  values: ReadonlyMap<string, { value: unknown; file: string }>;
}

/** The cloud to read: `[neutron] cloud`, or $OS_CLOUD when the files do not set auth_type. */
export interface CloudRequest {
  name: string;
  /** where the name came from: a config file, `$OS_NEUTRON__CLOUD` or `$OS_CLOUD` */
  origin: string;
}

/** One value a layer supplies, and where from (for messages). */
export interface LayerValue {
  value: string;
  origin: string;
}

export interface AuthLayer {
  /** for messages: `clouds.yaml cloud "x"` or `the OS_* environment` */
  readonly label: string;
  get(o: AnyOptionSpec): LayerValue | undefined;
  /** where this layer would take `o` from (`$OS_PASSWORD`, `auth.password of cloud "x"`) */
  where(o: AnyOptionSpec): string | undefined;
  /** holds at least one keystoneauth plugin option (auth_url, password, ...) */
  readonly hasAuth: boolean;
  /** holds an application credential id, name or secret (auth_type is then inferred as v3applicationcredential) */
  readonly hasApplicationCredential: boolean;
  /** start-up warnings (names, never values) */
  readonly warnings: readonly string[];
}

interface SourceKeys {
  env: readonly string[];
  /** clouds.yaml keys; `auth.x` lives under the cloud's `auth:` mapping */
  cloud: readonly string[];
}

// The OpenStack CLI's variables (python-openstackclient / openstacksdk names, legacy spellings after the
// current one) and the clouds.yaml keys for each option they can supply.
const SOURCE_KEYS: Readonly<Record<string, SourceKeys>> = {
  auth_type: { env: ['OS_AUTH_TYPE'], cloud: ['auth_type'] },
  auth_url: { env: ['OS_AUTH_URL'], cloud: ['auth.auth_url'] },
  username: { env: ['OS_USERNAME'], cloud: ['auth.username', 'auth.user_name'] },
  user_id: { env: ['OS_USER_ID'], cloud: ['auth.user_id'] },
  password: { env: ['OS_PASSWORD'], cloud: ['auth.password'] },
  user_domain_name: { env: ['OS_USER_DOMAIN_NAME'], cloud: ['auth.user_domain_name'] },
  user_domain_id: { env: ['OS_USER_DOMAIN_ID'], cloud: ['auth.user_domain_id'] },
  project_name: { env: ['OS_PROJECT_NAME', 'OS_TENANT_NAME'], cloud: ['auth.project_name', 'auth.tenant_name'] },
  project_id: { env: ['OS_PROJECT_ID', 'OS_TENANT_ID'], cloud: ['auth.project_id', 'auth.tenant_id'] },
  project_domain_name: { env: ['OS_PROJECT_DOMAIN_NAME'], cloud: ['auth.project_domain_name'] },
  project_domain_id: { env: ['OS_PROJECT_DOMAIN_ID'], cloud: ['auth.project_domain_id'] },
  default_domain_name: { env: ['OS_DEFAULT_DOMAIN_NAME'], cloud: ['auth.default_domain_name'] },
  default_domain_id: { env: ['OS_DEFAULT_DOMAIN_ID', 'OS_DEFAULT_DOMAIN'], cloud: ['auth.default_domain_id'] },
  domain_name: { env: ['OS_DOMAIN_NAME'], cloud: ['auth.domain_name'] },
  domain_id: { env: ['OS_DOMAIN_ID'], cloud: ['auth.domain_id'] },
  system_scope: { env: ['OS_SYSTEM_SCOPE'], cloud: ['auth.system_scope'] },
  trust_id: { env: ['OS_TRUST_ID'], cloud: ['auth.trust_id'] },
  token: { env: ['OS_TOKEN'], cloud: ['auth.token'] },
  application_credential_id: { env: ['OS_APPLICATION_CREDENTIAL_ID'], cloud: ['auth.application_credential_id'] },
  application_credential_name: { env: ['OS_APPLICATION_CREDENTIAL_NAME'], cloud: ['auth.application_credential_name'] },
  application_credential_secret: {
    env: ['OS_APPLICATION_CREDENTIAL_SECRET'], cloud: ['auth.application_credential_secret'],
  },
  // session / catalog options
  region_name: { env: ['OS_REGION_NAME'], cloud: ['region_name'] },
  endpoint_type: { env: ['OS_INTERFACE', 'OS_ENDPOINT_TYPE'], cloud: ['interface', 'endpoint_type'] },
  cafile: { env: ['OS_CACERT'], cloud: ['cacert'] },
  certfile: { env: ['OS_CERT'], cloud: ['cert'] },
  keyfile: { env: ['OS_KEY'], cloud: ['key'] },
  insecure: { env: ['OS_INSECURE'], cloud: ['insecure'] },
};

const APP_CRED_OPTIONS = ['application_credential_id', 'application_credential_name', 'application_credential_secret'];

/** clouds.yaml `auth:` keys this plugin understands (anything else there gets a warning). */
const KNOWN_CLOUD_AUTH_KEYS: ReadonlySet<string> = new Set(
  Object.values(SOURCE_KEYS).flatMap((k) => k.cloud.filter((c) => c.startsWith('auth.')).map((c) => c.slice(5))),
);

function isAuthOption(name: string): boolean {
  return Object.values(OPTIONS).some((o) => o.authPlugin && o.name === name);
}

/** The OS_* environment as a layer (empty values count as unset, as in the OpenStack CLI). */
export function envLayer(env: ResolveContext['env']): AuthLayer {
  const lookup = (name: string): LayerValue | undefined => {
    for (const v of SOURCE_KEYS[name]?.env ?? []) {
      const value = env[v];
      if (value !== undefined && value !== '') return { value, origin: `$${v}` };
    }
    return undefined;
  };
  const names = Object.keys(SOURCE_KEYS);
  return {
    label: 'the OS_* environment',
    get: (o) => lookup(o.name),
    where: (o) => {
      const first = SOURCE_KEYS[o.name]?.env[0];
      return first === undefined ? undefined : `$${first}`;
    },
    hasAuth: names.some((n) => isAuthOption(n) && lookup(n) !== undefined),
    hasApplicationCredential: APP_CRED_OPTIONS.some((n) => lookup(n) !== undefined),
    warnings: [],
  };
}

/** A clouds.yaml cloud as a layer. Throws ERR_CONFIG_VALUE on what it cannot honour (a vendor profile, a non-scalar value). */
export function cloudLayer(cloud: LoadedCloud): AuthLayer {
  const label = `clouds.yaml cloud "${cloud.name}"`;
  const originOf = (key: string, file: string): string => `${key} of cloud "${cloud.name}" in ${file}`;
  const bad = (key: string, file: string, reason: string): ConfigError =>
    new ConfigError('ERR_CONFIG_VALUE', `${label}: ${key} ${reason} (in ${file})`, {
      details: { cloud: cloud.name, key, file },
    });

  const profile = cloud.values.get('profile');
  if (profile !== undefined && profile.value !== null) {
    throw bad('profile', profile.file, 'names a vendor profile; profiles are not supported: spell the settings out in the cloud');
  }

  // scalar → text (YAML booleans/numbers as the CLI would print them); null = unset
  const text = (key: string): LayerValue | undefined => {
    const entry = cloud.values.get(key);
    if (entry === undefined || entry.value === null || entry.value === undefined) return undefined;
    const v = entry.value;
    if (typeof v === 'string') return v === '' ? undefined : { value: v, origin: originOf(key, entry.file) };
    if (typeof v === 'boolean' || typeof v === 'number') return { value: String(v), origin: originOf(key, entry.file) };
    throw bad(key, entry.file, 'must be a single value, not a list or mapping');
  };

  const lookup = (name: string): LayerValue | undefined => {
    for (const key of SOURCE_KEYS[name]?.cloud ?? []) {
      const hit = text(key);
      if (hit !== undefined) return hit;
    }
    if (name === 'insecure') {
      // openstacksdk's `verify: false` is `insecure = true`
      const verify = text('verify');
      if (verify !== undefined) {
        const word = verify.value.trim().toLowerCase();
        if (['true', 'yes', '1', 'on'].includes(word)) return { value: 'false', origin: verify.origin };
        if (['false', 'no', '0', 'off'].includes(word)) return { value: 'true', origin: verify.origin };
        throw bad('verify', cloud.values.get('verify')?.file ?? cloud.file, 'must be true or false (use cacert for a CA bundle)');
      }
    }
    if (name === 'region_name') {
      // openstacksdk: without region_name the first entry of `regions` (a name or {name: ...}) is used
      const regions = cloud.values.get('regions');
      if (regions !== undefined && Array.isArray(regions.value) && regions.value.length > 0) {
        const first: unknown = regions.value[0];
        const region = typeof first === 'string' ? first
          : typeof first === 'object' && first !== null && typeof (first as { name?: unknown }).name === 'string'
            ? (first as { name: string }).name : undefined;
        if (region !== undefined && region !== '') return { value: region, origin: originOf('regions[0]', regions.file) };
      }
    }
    return undefined;
  };

  const warnings: string[] = [];
  for (const [key, entry] of cloud.values) {
    if (key.startsWith('auth.') && !KNOWN_CLOUD_AUTH_KEYS.has(key.slice(5))) {
      warnings.push(`${label}: ${key} is not an option this plugin reads; ignored (in ${entry.file})`);
    }
  }
  const names = Object.keys(SOURCE_KEYS);
  // validate every value this layer may be asked for now, so a bad entry fails at start-up either way
  for (const n of names) lookup(n);
  return {
    label,
    get: (o) => lookup(o.name),
    where: (o) => {
      const first = SOURCE_KEYS[o.name]?.cloud[0];
      return first === undefined ? undefined : `${first} of cloud "${cloud.name}"`;
    },
    hasAuth: names.some((n) => isAuthOption(n) && lookup(n) !== undefined),
    hasApplicationCredential: APP_CRED_OPTIONS.some((n) => lookup(n) !== undefined),
    warnings,
  };
}

/** True when the files (or oslo's OS_NEUTRON__AUTH_TYPE) set a non-empty auth_type. */
export function authTypeSetInFiles(r: Resolver): boolean {
  return r.raw(OPTIONS.authType) !== undefined && r.get(OPTIONS.authType) !== undefined;
}

/** `[neutron] cloud` (always honoured), else $OS_CLOUD unless the files set auth_type themselves. */
export function requestedCloud(r: Resolver, env: ResolveContext['env']): CloudRequest | undefined {
  const fromOption = r.get(OPTIONS.cloud);
  if (fromOption !== undefined) {
    const setting = r.raw(OPTIONS.cloud);
    return { name: fromOption, origin: setting?.values[setting.values.length - 1]?.origin ?? 'kuryr.conf' };
  }
  if (authTypeSetInFiles(r)) return undefined;
  const os = env['OS_CLOUD'];
  // openstacksdk's name for "the OS_* variables themselves"
  if (os === undefined || os === '' || os === 'envvars') return undefined;
  return { name: os, origin: '$OS_CLOUD' };
}

/** Option values through the layers: explicitly set in the files, else the first layer that has it, else the default. */
export interface LayeredLookup {
  readonly layers: readonly AuthLayer[];
  get<T>(o: OptionSpec<T>): T;
  /** where the value get(o) returns came from, when a layer supplied it */
  layerOrigin(o: AnyOptionSpec): string | undefined;
  sectionOf(o: AnyOptionSpec): string;
  isMasked(o: AnyOptionSpec): boolean;
  /** the other places `o` could have been set (for "is not set" messages); empty without layers that hold auth */
  elsewhere(o: AnyOptionSpec): string[];
}

export function createLayeredLookup(r: Resolver, layers: readonly AuthLayer[]): LayeredLookup {
  const fromFiles = <T>(o: OptionSpec<T>): { hit: true; value: T } | { hit: false } => {
    if (r.raw(o) === undefined) return { hit: false };
    const value = r.get(o);
    // `region_name =` is "unset" in oslo: let a lower layer fill it
    return value === undefined ? { hit: false } : { hit: true, value };
  };
  const fromLayers = (o: AnyOptionSpec): LayerValue | undefined => {
    for (const layer of layers) {
      const v = layer.get(o);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  return {
    layers,
    get<T>(o: OptionSpec<T>): T {
      const f = fromFiles(o);
      if (f.hit) return f.value;
      const lv = fromLayers(o as AnyOptionSpec);
      if (lv === undefined) return r.get(o);
      const parsed = o.type.parse([lv.value]);
      if (parsed.ok) return parsed.value;
      throw valueError(r.sectionOf(o), o as AnyOptionSpec, parsed.raw, parsed.reason, lv.origin, o.secret);
    },
    layerOrigin(o) {
      if (fromFiles(o).hit) return undefined;
      return fromLayers(o)?.origin;
    },
    sectionOf: (o) => r.sectionOf(o),
    isMasked: (o) => r.isMasked(o),
    elsewhere(o) {
      const out: string[] = [];
      for (const layer of layers) {
        if (!layer.hasAuth) continue;
        const w = layer.where(o);
        if (w !== undefined) out.push(w);
      }
      return out;
    },
  };
}
