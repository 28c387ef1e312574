// `kuryr vf list`: the VF inventory (vf-inventory.ts) joined with each PF's VF table from `ip -j -d link show
// <pf>` (admin MAC, VLAN) and, when dockerd can be asked, the container behind each holding endpoint. Pure:
// the caller reads sysfs, the ledger, ip and dockerd; this builds rows and renders them.
import type { VfConfig } from '../host/ip-link.ts';
import type { VfSnapshot } from '../sriov/ledger.ts';
import type { PfReport, VfUse } from './vf-inventory.ts';

export interface VfListRow {
  pf: string;
  physnet: string | null;
  vf: number;
  pci: string;
  /** host netdev; null when the VF is in a container or bound to a userspace driver */
  netdev: string | null;
  /** admin MAC and VLAN as the PF reports them (null when `ip` could not tell) */
  mac: string | null;
  vlan: number | null;
  state: VfUse;
  holder: {
    endpointId: string;
    portId: string;
    /** the VF's netdev name when it was taken (it is inside the container now) */
    netdev: string | null;
    sandboxKey: string | null;
    container: string | null;
    since: string;
    /** true when the plugin picked the VF (and wrote pci_slot into the port) */
    allocated: boolean;
  } | null;
  /** the VF's settings before the endpoint took it (restored on release) */
  saved: VfSnapshot | null;
  /** false: the ledger holds a VF the PF no longer shows (sriov_numvfs lowered while held) */
  inSysfs: boolean;
}

export interface VfListing {
  /** the PFs looked at: the mapped ones, then any other the ledger mentions */
  pfs: string[];
  rows: VfListRow[];
  /** PFs that could not be read, and VF tables `ip` could not give */
  problems: string[];
}

export function buildVfListing(
  reports: readonly PfReport[], vfTables: ReadonlyMap<string, readonly VfConfig[] | Error>, containers: ReadonlyMap<string, string>,
): VfListing {
  const rows: VfListRow[] = [];
  const problems: string[] = [];
  for (const r of reports) {
    if (r.error !== undefined) problems.push(`PF ${r.pf}: ${r.error.code}: ${r.error.message}`);
    const table = vfTables.get(r.pf);
    if (table instanceof Error) problems.push(`PF ${r.pf}: ip link show failed: ${table.message}`);
    for (const v of r.vfs) {
      const cfg = Array.isArray(table) ? table.find((c) => c.vf === v.index) : undefined;
      const h = v.holder;
      rows.push({
        pf: r.pf, physnet: r.physnet ?? null, vf: v.index, pci: v.pci, netdev: v.netdev ?? null,
        mac: cfg?.mac ?? null, vlan: cfg?.vlan ?? null, state: v.use,
        holder: h === undefined ? null : {
          endpointId: h.endpointId, portId: h.portId, netdev: h.netdev ?? null, sandboxKey: h.sandboxKey ?? null,
          container: containers.get(h.endpointId) ?? null, since: h.since, allocated: h.allocated,
        },
        saved: h?.saved ?? null,
        inSysfs: v.inSysfs,
      });
    }
  }
  return { pfs: reports.map((r) => r.pf), rows, problems };
}

function describeSaved(s: VfSnapshot | null): string {
  if (s === null) return '';
  const parts = [`mac ${s.mac}`, `vlan ${s.vlan}`];
  if (s.spoofchk !== undefined) parts.push(`spoofchk ${s.spoofchk ? 'on' : 'off'}`);
  if (s.trust !== undefined) parts.push(`trust ${s.trust ? 'on' : 'off'}`);
  if (s.linkState !== undefined) parts.push(`state ${s.linkState}`);
  if (s.mtu !== undefined) parts.push(`mtu ${s.mtu}`);
  return parts.join(' ');
}

function table(head: string[], body: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(head), ...body.map(line)];
}

export function renderVfListing(listing: VfListing): string {
  const head = ['PF', 'VF', 'PCI', 'NETDEV', 'MAC', 'VLAN', 'STATE', 'ENDPOINT', 'PORT', 'CONTAINER', 'SAVED'];
  const body = listing.rows.map((r) => [
    r.pf, String(r.vf), r.pci,
    r.netdev ?? (r.holder?.netdev === null || r.holder === null ? '-' : `(${r.holder.netdev})`),
    r.mac ?? '?', r.vlan === null ? '?' : String(r.vlan),
    r.inSysfs ? r.state : `${r.state} (gone from sysfs)`,
    r.holder?.endpointId.slice(0, 12) ?? '', r.holder?.portId.slice(0, 8) ?? '', r.holder?.container ?? (r.holder?.sandboxKey ?? ''),
    describeSaved(r.saved),
  ]);
  const lines = listing.rows.length > 0 ? table(head, body)
    : listing.pfs.length === 0 ? ['no VF: no PF is mapped ([sriov] physical_device_mappings) and the ledger holds none']
      : [`no VF: none of the PFs ${listing.pfs.join(', ')} has a VF this plugin can read (see the problems below)`];
  const counts = (['free', 'held', 'excluded', 'no-netdev'] as const).map((u) => `${listing.rows.filter((r) => r.state === u).length} ${u}`);
  if (listing.rows.length > 0) lines.push('', `${listing.rows.length} VFs: ${counts.join(', ')}`);
  for (const p of listing.problems) lines.push(`problem: ${p}`);
  if (listing.problems.length > 0) {
    lines.push('fix: check [sriov] physical_device_mappings against `ip link` (PF names) and sriov_numvfs; `kuryr doctor` explains each PF');
  }
  return `${lines.join('\n')}\n`;
}
