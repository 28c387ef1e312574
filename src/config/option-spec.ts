// The shape of one option-table entry (OptionSpec: section, oslo name, type, default, KuryrConfig field)
// and `opt`, the constructor the per-section tables use. Types and one pure constructor only: must not
// list options (options-*.ts do) nor read values (resolver.ts does).
import type { OptionType } from './option-types.ts';

export type SectionName = 'DEFAULT' | 'binding' | 'neutron' | 'sriov';
export const KNOWN_SECTIONS: readonly SectionName[] = ['DEFAULT', 'binding', 'neutron', 'sriov'];

export type DynamicDefault = 'hostname' | 'installDir';

export interface OptionSpec<T> {
  readonly section: SectionName;
  readonly name: string;
  /** older names still read (new name wins when both are set); using one yields a warning */
  readonly deprecatedNames: readonly string[];
  readonly type: OptionType<T>;
  readonly default: T;
  /** the default comes from the caller (loadConfig input) instead of `default` */
  readonly defaultFrom?: DynamicDefault;
  /** environment variable that, when set, replaces the default (not a file value), as upstream does */
  readonly envDefault?: string;
  /** never echo the value (errors print `***`) */
  readonly secret: boolean;
  /** keystoneauth plugin option: read from the group named by `[neutron] auth_section` when that is set */
  readonly authPlugin: boolean;
  /** dotted KuryrConfig path this option fills, or null when it is accepted but has no effect */
  readonly field: string | null;
  readonly help: string;
  /** how this differs from upstream kuryr-libnetwork / kuryr-lib, if it does */
  readonly upstreamDiff?: string;
  /** set when the option is accepted but unused: a warning is emitted if it is set */
  readonly noEffect?: string;
}

/** Type-erased view used when iterating over the table. */
export type AnyOptionSpec = OptionSpec<unknown>;

// `default` must not take part in inference: T comes from `type` (so an enum stays a literal union).
export type SpecInput<T> = Omit<OptionSpec<T>, 'default' | 'deprecatedNames' | 'secret' | 'authPlugin'> &
  Partial<Pick<OptionSpec<T>, 'deprecatedNames' | 'secret' | 'authPlugin'>> & { default: NoInfer<T> };

export function opt<T>(spec: SpecInput<T>): OptionSpec<T> {
  return { deprecatedNames: [], secret: false, authPlugin: false, ...spec };
}
