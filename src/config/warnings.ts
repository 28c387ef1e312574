// Start-up warnings about the merged configuration: unknown keys in the sections this plugin reads, auth
// options shadowed by auth_section, deprecated option names, options that have no effect. Never throws and
// never quotes a value (only section, key and file names), so it cannot leak a secret.
import type { AnyOptionSpec, SectionName } from './option-spec.ts';
import { ALL_OPTIONS, KNOWN_SECTIONS } from './options.ts';
import type { MergedDoc, Resolver } from './resolver.ts';

/**
 * Sections of other services' files that operators paste into kuryr.conf, and where this plugin reads the
 * same settings instead. Any other section this plugin does not read is left alone (oslo libraries, auth
 * sections, a shared file's other services).
 */
const MISPLACED_SECTIONS: Readonly<Record<string, { from: string; to: SectionName; options: readonly string[] }>> = {
  sriov_nic: { from: "the Neutron SR-IOV agent's sriov_agent.ini", to: 'sriov', options: ['physical_device_mappings', 'exclude_devices'] },
  ml2_sriov: { from: "Neutron's ml2_conf.ini", to: 'sriov', options: [] },
};

function misplacedSectionWarnings(merged: MergedDoc, authSection: string | undefined): string[] {
  const warnings: string[] = [];
  for (const [section, keys] of merged) {
    if ((KNOWN_SECTIONS as readonly string[]).includes(section) || section === authSection) continue;
    const origin = [...keys.values()][0]?.[0]?.origin ?? '?';
    const pasted = MISPLACED_SECTIONS[section];
    if (pasted !== undefined) {
      const ours = pasted.options.filter((o) => keys.has(o));
      warnings.push(`[${section}] is a section of ${pasted.from}, which this plugin does not read; ` +
        (ours.length > 0 ? `put ${ours.join(', ')} under [${pasted.to}]` : `the SR-IOV settings of this plugin are in [${pasted.to}]`) +
        ` (in ${origin})`);
      continue;
    }
    // the parser lower-cases every section name but DEFAULT, so [Default] arrives as [default], not [DEFAULT]
    if (section === 'default') warnings.push(`[${section}] is not read (only DEFAULT is upper case); did you mean [DEFAULT]? (in ${origin})`);
  }
  return warnings;
}

export function collectWarnings(merged: MergedDoc, r: Resolver, authSection: string | undefined): string[] {
  const warnings: string[] = [...misplacedSectionWarnings(merged, authSection)];
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
