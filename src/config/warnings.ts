// Start-up warnings about the merged configuration: unknown keys in the sections this plugin reads, auth
// options shadowed by auth_section, deprecated option names, options that have no effect. Never throws and
// never quotes a value (only section, key and file names), so it cannot leak a secret.
import type { AnyOptionSpec } from './option-spec.ts';
import { ALL_OPTIONS, KNOWN_SECTIONS } from './options.ts';
import type { MergedDoc, Resolver } from './resolver.ts';

export function collectWarnings(merged: MergedDoc, r: Resolver, authSection: string | undefined): string[] {
  const warnings: string[] = [];
  const matches = (o: AnyOptionSpec, key: string): boolean => o.name === key || o.deprecatedNames.includes(key);
  const isAuthOption = (key: string): boolean => ALL_OPTIONS.some((o) => o.authPlugin && matches(o, key));

  // unknown keys in the sections this plugin reads (other sections are someone else's business)
  const checked = new Set<string>([...KNOWN_SECTIONS, ...(authSection === undefined ? [] : [authSection])]);
  for (const section of checked) {
    const keys = merged.get(section);
    if (keys === undefined) continue;
    for (const [key, values] of keys) {
      const origin = values[0]?.origin ?? '?';
      const ownOption = ALL_OPTIONS.some((o) => o.section === section && matches(o, key));
      if (section === authSection && isAuthOption(key)) continue;
      if (ownOption && section === 'neutron' && authSection !== undefined && isAuthOption(key)) {
        warnings.push(`[neutron] ${key} is ignored: auth options are read from [${authSection}] (auth_section) (in ${origin})`);
        continue;
      }
      if (ownOption) continue;
      warnings.push(`[${section}] ${key} is not a known option; ignored (in ${origin})`);
    }
  }

  for (const o of ALL_OPTIONS) {
    const setting = r.raw(o);
    if (setting === undefined) continue;
    const present = merged.get(setting.section);
    if (setting.name !== o.name) {
      warnings.push(`[${setting.section}] ${setting.name} is deprecated; use ${o.name}`);
    } else {
      const shadowed = o.deprecatedNames.filter((d) => present?.has(d) ?? false);
      if (shadowed.length > 0) {
        warnings.push(`[${setting.section}] ${shadowed.join(', ')} ignored: ${o.name} is set (deprecated name)`);
      }
    }
    if (o.noEffect !== undefined) warnings.push(`[${setting.section}] ${o.name} has no effect: ${o.noEffect}`);
  }
  return warnings;
}
