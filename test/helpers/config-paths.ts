// A check that the testbed's service configurations depend on no path outside the testbed that the testbed
// scripts did not make: every option of Keystone's and Neutron's configuration whose effective value (set in
// the file the scripts wrote, else the option's default as oslo-config-generator reports it, else a default
// the service sets at run time) is an absolute path must lie under the testbed directory, be a file the
// Debian packages the testbed installs ship, or be an option the testbed's settings leave unused (listed with
// the reason). Pure: the caller reads the files, runs the generator and asks dpkg.
import type { IniDocument } from '../../src/config/ini.ts';

export interface OptionDefault { section: string; name: string; default: unknown }

/** oslo-config-generator --format json → every option's default, by section */
export function generatorDefaults(json: string): OptionDefault[] {
  const doc = JSON.parse(json) as { options: Record<string, { opts: Array<{ name: string; default?: unknown }> }> };
  return Object.entries(doc.options).flatMap(([section, group]) =>
    group.opts.map((o) => ({ section, name: o.name.replaceAll('-', '_'), default: o.default })));
}

export interface PathProblem { option: string; value: string; why: string }

export interface PathCheckInput {
  /** the service's configuration files, parsed (later files win) */
  files: readonly IniDocument[];
  defaults: readonly OptionDefault[];
  /** defaults the service sets itself at start-up (oslo set_defaults), which the generator does not show */
  runtimeDefaults?: readonly OptionDefault[];
  testbedDir: string;
  /** `[section] option` → why the testbed never uses its path */
  unused: Readonly<Record<string, string>>;
  /** is this path shipped by an installed Debian package (dpkg -S) */
  packaged(path: string): boolean;
}

/** `$name` / `${name}` from the same section, else [DEFAULT] (oslo.config interpolation), a few levels deep */
function interpolate(value: string, lookup: (name: string) => string | undefined, depth = 0): string {
  if (depth > 5) return value;
  return value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (m, name: string) => {
    const v = lookup(name);
    return v === undefined ? m : interpolate(v, lookup, depth + 1);
  });
}

export function checkConfigPaths(input: PathCheckInput): PathProblem[] {
  const set = (section: string, name: string): string | undefined => {
    let v: string | undefined;
    for (const f of input.files) v = f.get(section)?.get(name)?.at(-1) ?? v;
    return v;
  };
  const all = [...input.defaults, ...(input.runtimeDefaults ?? [])];
  const defaultOf = (section: string, name: string): unknown => {
    let d: unknown;
    for (const o of all) if (o.section === section && o.name === name) d = o.default;
    return d;
  };
  const value = (section: string, name: string): string | undefined => {
    const v = set(section, name) ?? defaultOf(section, name);
    return typeof v === 'string' ? v : undefined;
  };
  const problems: PathProblem[] = [];
  const seen = new Set<string>();
  for (const o of all) {
    const key = `[${o.section}] ${o.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const raw = value(o.section, o.name);
    if (raw === undefined || raw === '') continue;
    const v = interpolate(raw, (n) => value(o.section, n) ?? value('DEFAULT', n));
    for (const path of v.split(',').map((p) => p.trim()).filter((p) => p.startsWith('/'))) {
      const clean = path.replace(/\/+$/, '');
      if (clean === input.testbedDir || clean.startsWith(`${input.testbedDir}/`)) continue;
      if (key in input.unused) continue;
      if (input.packaged(clean)) continue;
      const from = set(o.section, o.name) !== undefined ? 'set in the testbed config' : 'the default';
      problems.push({ option: key, value: path, why: `${from}, outside ${input.testbedDir}, and no package the testbed installs ships it` });
    }
  }
  return problems;
}
