// Parsing of the Neutron SR-IOV agent's device options, which kuryr reuses under [sriov] so one host
// configuration serves both: physical_device_mappings (`physnet:pf`, a physnet may map to several PFs) and
// exclude_devices (`pf:pci;pci,…`, VFs the plugin must never hand out). Pure; errors name the option.
import { ConfigError } from '../errors.ts';

const NETDEV = /^[A-Za-z0-9_.@-]{1,15}$/;
const PCI = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

function bad(option: string, value: string, why: string): ConfigError {
  return new ConfigError('ERR_CONFIG_VALUE', `[sriov] ${option} = ${value}: ${why}`);
}

/** `physnet1:ens1f0, physnet1:ens2f0, physnet2:ens1f1` → physnet → PFs (in the order given) */
export function parsePhysicalDeviceMappings(items: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const seenPf = new Map<string, string>();
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.indexOf(':');
    const physnet = item.slice(0, colon).trim();
    const pf = item.slice(colon + 1).trim();
    if (colon <= 0 || physnet === '' || !NETDEV.test(pf)) {
      throw bad('physical_device_mappings', item, 'expected <physical_network>:<PF interface name>');
    }
    const other = seenPf.get(pf);
    if (other !== undefined && other !== physnet) {
      throw bad('physical_device_mappings', item, `PF ${pf} is already mapped to ${other}`);
    }
    seenPf.set(pf, physnet);
    const pfs = out.get(physnet) ?? [];
    if (!pfs.includes(pf)) pfs.push(pf);
    out.set(physnet, pfs);
  }
  return out;
}

/** `ens1f0:0000:07:00.2;0000:07:00.3, ens2f0:0000:05:00.1` → PF → excluded VF PCI addresses */
export function parseExcludeDevices(items: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.indexOf(':');
    const pf = item.slice(0, colon).trim();
    if (colon <= 0 || !NETDEV.test(pf)) throw bad('exclude_devices', item, 'expected <PF interface name>:<pci>;<pci>…');
    const set = out.get(pf) ?? new Set<string>();
    for (const p of item.slice(colon + 1).split(';')) {
      const pci = p.trim().toLowerCase();
      if (pci === '') continue;
      if (!PCI.test(pci)) throw bad('exclude_devices', item, `${pci} is not a PCI address (dddd:bb:dd.f)`);
      set.add(pci);
    }
    out.set(pf, set);
  }
  return out;
}
