// What real Neutron accepts on POST/PUT and lets lists filter on, per resource, and the shared request
// helpers: the Neutron error for a request site, attribute checks, boolean/integer/string coercion and
// structuredClone copies. Pure. Test-only (excluded from the build).
import type { PluginError } from '../../errors.ts';
import { createNeutronError } from '../../neutron/errors.ts';

export const NETWORK_POST = new Set([
  'name', 'admin_state_up', 'shared', 'mtu', 'description', 'port_security_enabled', 'provider:network_type',
  'provider:physical_network', 'provider:segmentation_id', 'router:external', 'availability_zone_hints',
  'project_id', 'tenant_id',
]);
export const NETWORK_PUT = new Set(['name', 'admin_state_up', 'shared', 'mtu', 'description', 'port_security_enabled', 'router:external']);
export const NETWORK_READONLY = new Set([
  'id', 'status', 'subnets', 'tags', 'created_at', 'updated_at', 'revision_number', 'availability_zones',
  'ipv4_address_scope', 'ipv6_address_scope', 'l2_adjacency', 'project_id', 'tenant_id',
  'provider:network_type', 'provider:physical_network', 'provider:segmentation_id',
]);

export const SUBNET_POST = new Set([
  'name', 'network_id', 'ip_version', 'subnetpool_id', 'prefixlen', 'cidr', 'gateway_ip', 'enable_dhcp',
  'allocation_pools', 'host_routes', 'dns_nameservers', 'description', 'ipv6_ra_mode', 'ipv6_address_mode',
  'service_types', 'segment_id', 'project_id', 'tenant_id', 'use_default_subnetpool',
]);

export const SUBNET_READONLY = new Set(['id', 'tags', 'created_at', 'updated_at', 'revision_number']);

export const POOL_POST = new Set([
  'name', 'prefixes', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'is_default', 'shared',
  'default_quota', 'address_scope_id', 'description', 'project_id', 'tenant_id',
]);

export const POOL_READONLY = new Set(['id', 'ip_version', 'tags', 'created_at', 'updated_at', 'revision_number']);

export const PORT_POST = new Set([
  'name', 'network_id', 'mac_address', 'admin_state_up', 'device_id', 'device_owner', 'fixed_ips',
  'allowed_address_pairs', 'extra_dhcp_opts', 'security_groups', 'description', 'binding:vnic_type',
  'binding:profile', 'binding:host_id', 'port_security_enabled', 'project_id', 'tenant_id',
]);
export const PORT_PUT = new Set([
  'name', 'mac_address', 'admin_state_up', 'device_id', 'device_owner', 'fixed_ips', 'allowed_address_pairs',
  'extra_dhcp_opts', 'security_groups', 'description', 'binding:vnic_type', 'binding:profile', 'binding:host_id',
  'port_security_enabled',
]);
export const PORT_READONLY = new Set([
  'id', 'status', 'tags', 'network_id', 'project_id', 'tenant_id', 'binding:vif_type', 'binding:vif_details',
  'created_at', 'updated_at', 'revision_number', 'ip_allocation',
]);

export const SECURITY_GROUP_POST = new Set(['name', 'description', 'stateful', 'project_id', 'tenant_id']);
export const SECURITY_GROUP_READONLY = new Set([
  'id', 'security_group_rules', 'shared', 'tags', 'created_at', 'updated_at', 'revision_number',
]);
export const SECURITY_GROUP_RULE_POST = new Set([
  'security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix',
  'remote_group_id', 'remote_address_group_id', 'description', 'project_id', 'tenant_id',
]);
export const SECURITY_GROUP_RULE_READONLY = new Set([
  'id', 'normalized_cidr', 'tags', 'created_at', 'updated_at', 'revision_number',
]);

/** What each resource's list may be filtered on (besides paging/sorting and tag filters). */
export const NETWORK_FIELDS = new Set([...NETWORK_POST, ...NETWORK_READONLY]);
export const SUBNET_FIELDS = new Set([...SUBNET_POST, ...SUBNET_READONLY]);
export const POOL_FIELDS = new Set([...POOL_POST, ...POOL_READONLY]);
export const PORT_FIELDS = new Set([...PORT_POST, ...PORT_READONLY]);
export const SECURITY_GROUP_FIELDS = new Set([...SECURITY_GROUP_POST, ...SECURITY_GROUP_READONLY]);

export const VNIC_TYPES = new Set([
  'normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa',
  'remote-managed', 'accelerator-direct', 'accelerator-direct-physical',
]);

export const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

/** Where a request went, for the error real Neutron would have answered it with. */
export type Site = { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string };

export function fail(site: Site, status: number, type: string, message: string): PluginError {
  return createNeutronError({ status, type, message, method: site.method, path: site.path });
}

export function copy<T>(v: T): T {
  return structuredClone(v);
}

export function checkAttributes(site: Site, body: Record<string, unknown>, allowed: Set<string>, readonly: Set<string>): void {
  const unknown: string[] = [];
  for (const key of Object.keys(body)) {
    if (allowed.has(key)) continue;
    if (readonly.has(key)) {
      throw site.method === 'POST'
        ? fail(site, 400, 'HTTPBadRequest', `Attribute '${key}' not allowed in POST`)
        : fail(site, 400, 'HTTPBadRequest', `Cannot update read-only attribute ${key}`);
    }
    unknown.push(key);
  }
  if (unknown.length > 0) {
    throw fail(site, 400, 'HTTPBadRequest', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
  }
}

export function toBool(site: Site, name: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|1)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|0)$/i.test(v)) return false;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  throw fail(site, 400, 'HTTPBadRequest', `Invalid input for ${name}. Reason: '${String(v)}' is not a valid boolean value.`);
}

export function toInt(site: Site, name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for ${name}. Reason: '${String(v)}' is not an integer.`);
  }
  return n;
}

export function str(v: unknown, dflt: string): string {
  return typeof v === 'string' ? v : dflt;
}

export function required(site: Site, body: Record<string, unknown>, name: string): void {
  if (body[name] === undefined) {
    throw fail(site, 400, 'HTTPBadRequest', `Failed to parse request. Required attribute '${name}' not specified`);
  }
}

/** A list element of a request body as a record ({} when it is not an object). */
export function asRecord(raw: unknown): Record<string, unknown> {
  return (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
}
