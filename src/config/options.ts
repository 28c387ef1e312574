// The declarative option table: every kuryr.conf option this plugin reads, assembled from the per-section
// tables (options-default/-binding/-neutron.ts), with lookups over it; re-exports the spec shape and value
// types so callers import one module. Pure data: no file or environment access (load.ts resolves sources).
// docs/config.md and etc/kuryr.conf.example describe this table; a unit test keeps them in step.
import type { AnyOptionSpec } from './option-spec.ts';
import { BINDING_OPTIONS } from './options-binding.ts';
import { DEFAULT_OPTIONS } from './options-default.ts';
import { LOGGING_OPTIONS } from './options-logging.ts';
import { NEUTRON_OPTIONS } from './options-neutron.ts';
import { SRIOV_OPTIONS } from './options-sriov.ts';

export {
  KNOWN_SECTIONS, type AnyOptionSpec, type DynamicDefault, type OptionSpec, type SectionName,
} from './option-spec.ts';
export { parseBool, parseInt10, parseList, types, type OptionType, type ParseResult } from './option-types.ts';
export { ENDPOINT_TYPES } from './options-neutron.ts';

/** Every option by id; key order is table order ([DEFAULT], [binding], [neutron], [sriov]). */
export const OPTIONS = { ...DEFAULT_OPTIONS, ...LOGGING_OPTIONS, ...BINDING_OPTIONS, ...NEUTRON_OPTIONS, ...SRIOV_OPTIONS } as const;

export type OptionId = keyof typeof OPTIONS;

/** Every option, in table order (the order docs and the example file use). */
export const ALL_OPTIONS: readonly AnyOptionSpec[] = Object.values(OPTIONS) as readonly AnyOptionSpec[];

/** Option names whose values are never printed. */
export const SECRET_OPTION_NAMES: ReadonlySet<string> = new Set(
  ALL_OPTIONS.filter((o) => o.secret).map((o) => o.name),
);

/** Look an option up by section and (current or deprecated) name. */
export function findOption(section: string, name: string): AnyOptionSpec | undefined {
  return ALL_OPTIONS.find(
    (o) => o.section === section && (o.name === name || o.deprecatedNames.includes(name)),
  );
}

/** Render an option's default the way docs and the example file show it. */
export function describeDefault(o: AnyOptionSpec): string {
  if (o.defaultFrom === 'hostname') return '<the OS hostname>';
  if (o.defaultFrom === 'installDir') return '<install directory>';
  const text = o.type.format(o.default);
  return o.envDefault === undefined ? text : `${text} (or $${o.envDefault})`;
}
