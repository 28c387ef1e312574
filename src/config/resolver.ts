// Per-option value resolution over merged sources (oslo.config order: OS_<GROUP>__<OPTION> env > files >
// env-provided or caller-provided defaults > table default), `$name` expansion and type parsing, reading
// auth-plugin options from auth_section. Pure: must not read files (load.ts does) nor build KuryrConfig.
import type { LoadedCloud } from './auth-sources.ts';
import { appendIniValues, type IniDocument } from './ini.ts';
import { createSubstituter, optionKey } from './interpolate.ts';
import type { AnyOptionSpec, OptionSpec } from './option-spec.ts';
import { valueError } from './secrets.ts';

/** One parsed file. */
export interface ConfigSource {
  name: string;
  doc: IniDocument;
}

export interface ResolveContext {
  env: Readonly<Record<string, string | undefined>>;
  hostname: string;
  installDir?: string;
  /** the clouds.yaml cloud named by `[neutron] cloud` / $OS_CLOUD, already read (load.ts does that I/O) */
  cloud?: LoadedCloud;
}

export interface Located {
  value: string;
  /** file path, or `$ENV_NAME` */
  origin: string;
}

export interface RawSetting {
  /** the section it was read from (auth options may come from `auth_section`) */
  section: string;
  /** the name it was written under (may be a deprecated name) */
  name: string;
  values: Located[];
}

/** section → key → every value from every source, in precedence order (later wins) */
export type MergedDoc = Map<string, Map<string, Located[]>>;

export function mergeSources(sources: readonly ConfigSource[]): MergedDoc {
  const merged: MergedDoc = new Map();
  for (const { name, doc } of sources) appendIniValues(merged, doc, (value) => ({ value, origin: name }));
  return merged;
}

/** oslo.config's environment source name: OS_<GROUP>__<OPTION>, upper-cased. */
export function envNameFor(section: string, option: string): string {
  return `OS_${section.toUpperCase()}__${option.toUpperCase()}`;
}

export interface Resolver {
  sectionOf(o: AnyOptionSpec): string;
  /** true when the option is secret or its value was built from a secret by `$name` substitution */
  isMasked(o: AnyOptionSpec): boolean;
  raw(o: AnyOptionSpec): RawSetting | undefined;
  get<T>(o: OptionSpec<T>): T;
}

/** The default that replaces the table's: an env-provided default, or one the caller passes (hostname, install dir). */
function defaultRaw(o: AnyOptionSpec, ctx: ResolveContext): Located | undefined {
  if (o.envDefault !== undefined) {
    const v = ctx.env[o.envDefault];
    if (v !== undefined && v !== '') return { value: v, origin: `$${o.envDefault}` };
  }
  if (o.defaultFrom === 'hostname') return { value: ctx.hostname, origin: 'the OS hostname' };
  if (o.defaultFrom === 'installDir') return { value: ctx.installDir ?? '', origin: 'the install directory' };
  return undefined;
}

export function createResolver(merged: MergedDoc, ctx: ResolveContext, authSection: string | undefined): Resolver {
  const tainted = new Set<string>();
  const isMasked = (o: AnyOptionSpec): boolean => o.secret || tainted.has(optionKey(o));
  const sectionOf = (o: AnyOptionSpec): string =>
    o.authPlugin && authSection !== undefined ? authSection : o.section;

  const raw = (o: AnyOptionSpec): RawSetting | undefined => {
    const section = sectionOf(o);
    const envName = envNameFor(section, o.name);
    const fromEnv = ctx.env[envName];
    if (fromEnv !== undefined) return { section, name: o.name, values: [{ value: fromEnv, origin: `$${envName}` }] };
    const keys = merged.get(section);
    for (const name of [o.name, ...o.deprecatedNames]) {
      const values = keys?.get(name);
      if (values !== undefined && values.length > 0) return { section, name, values };
    }
    return undefined;
  };

  const substitute = createSubstituter({
    lastSet: (o) => {
      const setting = raw(o);
      const last = setting?.values[setting.values.length - 1];
      return setting !== undefined && last !== undefined
        ? { section: setting.section, value: last.value, origin: last.origin }
        : undefined;
    },
    unsetText: (o) => {
      const dflt = defaultRaw(o, ctx);
      return dflt !== undefined ? dflt.value : o.type.format(o.default);
    },
    isMasked,
    taint: (o) => {
      tainted.add(optionKey(o));
    },
  });

  const parseWith = <T>(o: OptionSpec<T>, section: string, all: readonly Located[], expand: boolean): T => {
    // a single-valued option only ever looks at (and substitutes) its last value, as oslo.config does
    const values = o.type.multi ? all : all.slice(-1);
    const texts = values.map((l) => (expand ? substitute(o, section, l.value, l.origin, []) : l.value));
    const result = o.type.parse(texts);
    if (result.ok) return result.value;
    const at = values[texts.lastIndexOf(result.raw)] ?? values[values.length - 1];
    throw valueError(section, o, result.raw, result.reason, at?.origin, isMasked(o));
  };

  function get<T>(o: OptionSpec<T>): T {
    const setting = raw(o);
    if (setting !== undefined) return parseWith(o, setting.section, setting.values, true);
    const dflt = defaultRaw(o, ctx);
    if (dflt !== undefined) return parseWith(o, o.section, [dflt], false);
    return o.default;
  }

  return { sectionOf, isMasked, raw, get };
}
