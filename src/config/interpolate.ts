// `$name` / `${group.name}` substitution in option values, as oslo.config does it (Python string.Template),
// with loop detection and taint tracking so a value built from a secret is masked too. Knows only how
// references expand; must not read files or the environment itself (the ReferenceSource, i.e. the resolver,
// supplies values) and must never quote a secret option's text in an error.
import { DEFAULT_SECTION, normalizeSectionName } from './ini.ts';
import type { AnyOptionSpec } from './option-spec.ts';
import { ALL_OPTIONS } from './options.ts';
import { valueError } from './secrets.ts';

// Python string.Template as oslo.config configures it: `$$` → `$`, `$name` / `${name}` (names may contain
// dots: `${group.option}`), a lone `$` is left alone. oslo also reads `\$` as `$$`.
const TEMPLATE = /\$(?:(\$)|([_a-z][._a-z0-9]*)|\{([_a-z][._a-z0-9]*)\}|)/gi;

/** What substitution needs from the resolver. */
export interface ReferenceSource {
  /** the last value given for `o` (environment or files) and the section it was read from; undefined if unset */
  lastSet(o: AnyOptionSpec): { section: string; value: string; origin: string } | undefined;
  /** the text an unset option expands to */
  unsetText(o: AnyOptionSpec): string;
  /** true when the option is secret or its value was built from a secret */
  isMasked(o: AnyOptionSpec): boolean;
  /** record that `o`'s value was built from a masked value */
  taint(o: AnyOptionSpec): void;
}

/** Expand the references in `text`, the value of `o` read from `[section]` at `origin`. */
export type Substitute = (
  o: AnyOptionSpec, section: string, text: string, origin: string, stack: readonly string[],
) => string;

export function optionKey(o: AnyOptionSpec): string {
  return `${o.section}.${o.name}`;
}

function lookupReference(key: string, section: string): AnyOptionSpec | undefined {
  const dot = key.indexOf('.');
  if (dot > 0) {
    const group = normalizeSectionName(key.slice(0, dot));
    const name = key.slice(dot + 1);
    const hit = ALL_OPTIONS.find((c) => c.section === group && c.name === name);
    if (hit !== undefined) return hit;
  } else {
    const hit = ALL_OPTIONS.find((c) => c.section === section && c.name === key);
    if (hit !== undefined) return hit;
  }
  return ALL_OPTIONS.find((c) => c.section === DEFAULT_SECTION && c.name === key);
}

export function createSubstituter(source: ReferenceSource): Substitute {
  /** the string a `$reference` to `o` expands to */
  const expansion = (o: AnyOptionSpec, stack: readonly string[]): string => {
    const set = source.lastSet(o);
    return set !== undefined ? substitute(o, set.section, set.value, set.origin, stack) : source.unsetText(o);
  };

  function substitute(o: AnyOptionSpec, section: string, text: string, origin: string, stack: readonly string[]): string {
    const key = optionKey(o);
    if (stack.includes(key)) {
      throw valueError(section, o, text, `\$-substitution loop (${[...stack, key].join(' → ')})`, origin);
    }
    const nextStack = [...stack, key];
    return text.replaceAll('\\$', '$$$$').replace(TEMPLATE, (whole, escaped, named, braced) => {
      if (escaped !== undefined) return '$';
      const ref = (named ?? braced) as string | undefined;
      if (ref === undefined) return whole;
      const target = lookupReference(ref, o.section);
      if (target === undefined) {
        const what = o.secret ? 'a $reference' : `$${ref}`;
        throw valueError(section, o, text, `${what} names no known option (write $$ for a literal $)`, origin);
      }
      const expanded = expansion(target, nextStack);
      if (source.isMasked(target)) source.taint(o);
      return expanded;
    });
  }

  return substitute;
}
