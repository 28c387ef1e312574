// A stateful in-memory Neutron (Zed semantics where the plugin cares) implementing NeutronClient, for unit
// tests: IP/MAC/subnet allocation, binding via a hook, tags, list filters, in-use errors with the real
// Neutron error types, a call log and failure injection. Test-only (excluded from the build); it must stay
// honest: test/integration/neutron-contract.test.ts runs the same cases against it and a real Neutron.
import { randomBytes, randomUUID } from 'node:crypto';

import { Address6 } from 'ip-address';

import type { PluginError } from '../errors.ts';
import type { NeutronClient, TaggableResource } from '../neutron/client.ts';
import { createNeutronError } from '../neutron/errors.ts';
import type {
  NeutronAgent, NeutronFixedIp, NeutronNetwork, NeutronPort, NeutronQuery, NeutronSubnet, NeutronSubnetPool,
} from '../neutron/types.ts';
import { systemClock, type Clock } from '../util/clock.ts';

// ---------------------------------------------------------------------------------------------------------
// Public surface

export interface VifBinding {
  vif_type: string;
  vif_details: Record<string, unknown>;
}

/** Decides what a bind to `host` yields (e.g. `{vif_type:'binding_failed', vif_details:{}}` to simulate no agent). */
export type VifTypeFor = (port: NeutronPort, host: string) => VifBinding;

export interface FakeNeutronOptions {
  vifTypeFor?: VifTypeFor;
  /** project_id/tenant_id of created resources; default 'fake_project_id' (as noauth Neutron) */
  projectId?: string;
  /** loaded extension aliases; default: what the testbed's Neutron Zed reports */
  extensions?: readonly string[];
  agents?: readonly NeutronAgent[];
  /** timestamps (created_at/updated_at) */
  clock?: Clock;
}

export type FakeMethod = keyof NeutronClient;

export interface FakeNeutronCall {
  /** the NeutronClient method */
  op: FakeMethod;
  /** the HTTP method real Neutron would have seen */
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  resource: string;
  id?: string;
  tag?: string;
  body?: unknown;
  query?: NeutronQuery;
}

export interface FakeNeutronState {
  networks: Map<string, NeutronNetwork>;
  subnets: Map<string, NeutronSubnet>;
  subnetpools: Map<string, NeutronSubnetPool>;
  ports: Map<string, NeutronPort>;
  agents: NeutronAgent[];
  extensions: Set<string>;
}

export interface FakeNeutron extends NeutronClient {
  /** The live state (not copies): tests may read it, seed it or poke it (e.g. a port's status). */
  readonly state: FakeNeutronState;
  /** Every client call in order, including calls that failed. */
  readonly calls: FakeNeutronCall[];
  /** Make the next `times` (default 1; Infinity = always) calls of `method` throw, before touching state. */
  failOn(method: FakeMethod, error: Error | (() => Error), times?: number): void;
  /** Drop all pending failure injections. */
  clearFailures(): void;
  /** The binding hook; may be replaced at any time. */
  vifTypeFor: VifTypeFor;
  /** Set a port's status (real Neutron only changes it on agent RPCs). */
  setPortStatus(id: string, status: string): void;
  /** Calls of one client method, for ordering assertions. */
  callsOf(op: FakeMethod): FakeNeutronCall[];
}

/** Default binding: vnic normal → linuxbridge-like `bridge`, direct → SR-IOV `hw_veb`, others fail. */
export const defaultVifTypeFor: VifTypeFor = (port) => {
  const vnic = port['binding:vnic_type'] ?? 'normal';
  if (vnic === 'normal') return { vif_type: 'bridge', vif_details: { connectivity: 'l2', port_filter: true } };
  if (vnic === 'direct') return { vif_type: 'hw_veb', vif_details: { vlan: '0' } };
  return { vif_type: 'binding_failed', vif_details: {} };
};

/** Extension aliases loaded in the testbed Neutron (Zed, sriovnicswitch+openvswitch, trunk+segments). */
export const ZED_EXTENSIONS: readonly string[] = (
  'address-group address-scope agent agent-resources-synced allowed-address-pairs availability_zone ' +
  'availability_zone_filter binding binding-extended default-subnetpools dhcp_agent_scheduler ' +
  'empty-string-filtering external-net extra_dhcp_opt filter-validation flavors ip-substring-filtering ' +
  'ip_allocation l2_adjacency multi-provider net-mtu net-mtu-writable network-ip-availability ' +
  'network_availability_zone pagination port-device-profile port-mac-address-regenerate port-mac-override ' +
  'port-numa-affinity-policy port-security port-security-groups-filtering project-id provider ' +
  'quota-check-limit quota_details quotas rbac-address-group rbac-address-scope rbac-policies ' +
  'rbac-security-groups rbac-subnetpool revision-if-match security-group security-groups-normalized-cidr ' +
  'security-groups-remote-address-group security-groups-shared-filtering segment segments-peer-subnet-host-routes ' +
  'service-type sorting standard-attr-description standard-attr-revisions standard-attr-segment standard-attr-tag ' +
  'standard-attr-timestamp stateful-security-group subnet-segmentid-writable subnet-service-types ' +
  'subnet_allocation subnet_onboard subnetpool-prefix-ops trunk trunk-details'
).split(' ');

// ---------------------------------------------------------------------------------------------------------
// IP arithmetic (pure)

interface Ip { version: 4 | 6; value: bigint }
interface Cidr { version: 4 | 6; start: bigint; prefixlen: number }

const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function parseIp(s: unknown): Ip | undefined {
  if (typeof s !== 'string') return undefined;
  if (V4_RE.test(s)) {
    const value = s.split('.').reduce((acc, o) => (acc << 8n) + BigInt(o), 0n);
    return { version: 4, value };
  }
  if (!s.includes(':') || s.includes('%') || s.includes('/')) return undefined;
  try {
    return { version: 6, value: new Address6(s).bigInt() };
  } catch {
    return undefined;
  }
}

function formatIp(version: 4 | 6, value: bigint): string {
  if (version === 4) {
    return [24n, 16n, 8n, 0n].map((sh) => ((value >> sh) & 255n).toString()).join('.');
  }
  return Address6.fromBigInt(value).correctForm();
}

function bitsOf(version: 4 | 6): number {
  return version === 4 ? 32 : 128;
}

function blockSize(c: Cidr): bigint {
  return 1n << BigInt(bitsOf(c.version) - c.prefixlen);
}

function cidrEnd(c: Cidr): bigint {
  return c.start + blockSize(c) - 1n;
}

/** Parses a CIDR and clears host bits (Neutron accepts 10.0.0.5/24 and stores 10.0.0.0/24). */
function parseCidr(s: unknown): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const lenText = s.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(lenText)) return undefined;
  const prefixlen = Number(lenText);
  if (prefixlen > bitsOf(ip.version)) return undefined;
  const size = 1n << BigInt(bitsOf(ip.version) - prefixlen);
  return { version: ip.version, start: ip.value - (ip.value % size), prefixlen };
}

function formatCidr(c: Cidr): string {
  return `${formatIp(c.version, c.start)}/${c.prefixlen}`;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.start <= cidrEnd(b) && b.start <= cidrEnd(a);
}

function containsIp(c: Cidr, ip: Ip): boolean {
  return c.version === ip.version && ip.value >= c.start && ip.value <= cidrEnd(c);
}

interface IpRange { start: bigint; end: bigint }

/** Neutron's default pools: the cidr minus network (v4), broadcast (v4) and the gateway. */
function defaultPools(c: Cidr, gateway: bigint | undefined): IpRange[] {
  let first = c.start + 1n;
  let last = c.version === 4 ? cidrEnd(c) - 1n : cidrEnd(c);
  if (c.version === 4 && c.prefixlen >= 31) {
    first = c.start;
    last = cidrEnd(c);
  }
  if (first > last) return [];
  if (gateway === undefined || gateway < first || gateway > last) return [{ start: first, end: last }];
  const out: IpRange[] = [];
  if (gateway > first) out.push({ start: first, end: gateway - 1n });
  if (gateway < last) out.push({ start: gateway + 1n, end: last });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Attribute rules (what real Neutron accepts on POST/PUT)

const QUERY_META_KEYS = new Set(['fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse']);
const TAG_FILTER_KEYS = new Set(['tags', 'tags-any', 'not-tags', 'not-tags-any']);

const NETWORK_POST = new Set([
  'name', 'admin_state_up', 'shared', 'mtu', 'description', 'port_security_enabled', 'provider:network_type',
  'provider:physical_network', 'provider:segmentation_id', 'router:external', 'availability_zone_hints',
  'project_id', 'tenant_id',
]);
const NETWORK_PUT = new Set(['name', 'admin_state_up', 'shared', 'mtu', 'description', 'port_security_enabled', 'router:external']);
const NETWORK_READONLY = new Set([
  'id', 'status', 'subnets', 'tags', 'created_at', 'updated_at', 'revision_number', 'availability_zones',
  'ipv4_address_scope', 'ipv6_address_scope', 'l2_adjacency', 'project_id', 'tenant_id',
  'provider:network_type', 'provider:physical_network', 'provider:segmentation_id',
]);

const SUBNET_POST = new Set([
  'name', 'network_id', 'ip_version', 'subnetpool_id', 'prefixlen', 'cidr', 'gateway_ip', 'enable_dhcp',
  'allocation_pools', 'host_routes', 'dns_nameservers', 'description', 'ipv6_ra_mode', 'ipv6_address_mode',
  'service_types', 'segment_id', 'project_id', 'tenant_id', 'use_default_subnetpool',
]);

const POOL_POST = new Set([
  'name', 'prefixes', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'is_default', 'shared',
  'default_quota', 'address_scope_id', 'description', 'project_id', 'tenant_id',
]);

const PORT_POST = new Set([
  'name', 'network_id', 'mac_address', 'admin_state_up', 'device_id', 'device_owner', 'fixed_ips',
  'allowed_address_pairs', 'extra_dhcp_opts', 'security_groups', 'description', 'binding:vnic_type',
  'binding:profile', 'binding:host_id', 'port_security_enabled', 'project_id', 'tenant_id',
]);
const PORT_PUT = new Set([
  'name', 'mac_address', 'admin_state_up', 'device_id', 'device_owner', 'fixed_ips', 'allowed_address_pairs',
  'extra_dhcp_opts', 'security_groups', 'description', 'binding:vnic_type', 'binding:profile', 'binding:host_id',
  'port_security_enabled',
]);
const PORT_READONLY = new Set([
  'id', 'status', 'tags', 'network_id', 'project_id', 'tenant_id', 'binding:vif_type', 'binding:vif_details',
  'created_at', 'updated_at', 'revision_number', 'ip_allocation',
]);

const VNIC_TYPES = new Set([
  'normal', 'direct', 'macvtap', 'baremetal', 'direct-physical', 'virtio-forwarder', 'smart-nic', 'vdpa',
  'remote-managed', 'accelerator-direct', 'accelerator-direct-physical',
]);

const MAC_RE = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

// ---------------------------------------------------------------------------------------------------------

type Site = { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string };

function fail(site: Site, status: number, type: string, message: string): PluginError {
  return createNeutronError({ status, type, message, method: site.method, path: site.path });
}

function copy<T>(v: T): T {
  return structuredClone(v);
}

function checkAttributes(site: Site, body: Record<string, unknown>, allowed: Set<string>, readonly: Set<string>): void {
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

function toBool(site: Site, name: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|1)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(false|0)$/i.test(v)) return false;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  throw fail(site, 400, 'HTTPBadRequest', `Invalid input for ${name}. Reason: '${String(v)}' is not a valid boolean value.`);
}

function toInt(site: Site, name: string, v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n)) {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for ${name}. Reason: '${String(v)}' is not an integer.`);
  }
  return n;
}

function str(v: unknown, dflt: string): string {
  return typeof v === 'string' ? v : dflt;
}

function splitList(v: string | number | boolean | readonly string[]): string[] {
  const parts = Array.isArray(v) ? v : [String(v)];
  return parts.flatMap((p) => String(p).split(',')).filter((t) => t !== '');
}

function valuesOf(v: string | number | boolean | readonly string[]): string[] {
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function scalarMatches(field: unknown, wanted: readonly string[]): boolean {
  if (Array.isArray(field)) return field.some((f) => scalarMatches(f, wanted));
  if (field === null || field === undefined) return wanted.includes('');
  if (typeof field === 'boolean') return wanted.some((w) => w.toLowerCase() === String(field));
  if (typeof field === 'object') return false;
  return wanted.includes(String(field));
}

function tagsOf(obj: { tags?: string[] | null }): string[] {
  return obj.tags ?? [];
}

// ---------------------------------------------------------------------------------------------------------

export function createFakeNeutron(opts: FakeNeutronOptions = {}): FakeNeutron {
  const clock = opts.clock ?? systemClock;
  const projectId = opts.projectId ?? 'fake_project_id';
  const defaultSecurityGroup = randomUUID();
  const state: FakeNeutronState = {
    networks: new Map(),
    subnets: new Map(),
    subnetpools: new Map(),
    ports: new Map(),
    agents: (opts.agents ?? []).map((a) => copy(a)),
    extensions: new Set(opts.extensions ?? ZED_EXTENSIONS),
  };
  const calls: FakeNeutronCall[] = [];
  const failures = new Map<FakeMethod, { error: Error | (() => Error); remaining: number }[]>();

  function now(): string {
    return new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  function record(call: FakeNeutronCall): void {
    const entry: FakeNeutronCall = { op: call.op, method: call.method, resource: call.resource };
    if (call.id !== undefined) entry.id = call.id;
    if (call.tag !== undefined) entry.tag = call.tag;
    if (call.body !== undefined) entry.body = copy(call.body);
    if (call.query !== undefined) entry.query = copy(call.query);
    calls.push(entry);
    const queue = failures.get(call.op);
    const next = queue?.[0];
    if (queue === undefined || next === undefined) return;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    throw typeof next.error === 'function' ? next.error() : next.error;
  }

  function touch(obj: Record<string, unknown>): void {
    obj.revision_number = (typeof obj.revision_number === 'number' ? obj.revision_number : 0) + 1;
    obj.updated_at = now();
  }

  // -- lookups --------------------------------------------------------------------------------------------

  function mustNetwork(site: Site, id: string): NeutronNetwork {
    const n = state.networks.get(id);
    if (n === undefined) throw fail(site, 404, 'NetworkNotFound', `Network ${id} could not be found.`);
    return n;
  }
  function mustSubnet(site: Site, id: string): NeutronSubnet {
    const s = state.subnets.get(id);
    if (s === undefined) throw fail(site, 404, 'SubnetNotFound', `Subnet ${id} could not be found.`);
    return s;
  }
  function mustPool(site: Site, id: string): NeutronSubnetPool {
    const p = state.subnetpools.get(id);
    if (p === undefined) throw fail(site, 404, 'SubnetPoolNotFound', `Subnet pool ${id} could not be found.`);
    return p;
  }
  function mustPort(site: Site, id: string): NeutronPort {
    const p = state.ports.get(id);
    if (p === undefined) throw fail(site, 404, 'PortNotFound', `Port ${id} could not be found.`);
    return p;
  }

  // -- list filtering -------------------------------------------------------------------------------------

  function filterList<T extends { tags?: string[] | null; [k: string]: unknown }>(
    site: Site, items: Iterable<T>, q: NeutronQuery | undefined, fieldNames: ReadonlySet<string>, extra: ReadonlySet<string> = new Set(),
  ): T[] {
    const entries = Object.entries(q ?? {}).filter(
      (e): e is [string, string | number | boolean | readonly string[]] => e[1] !== undefined,
    );
    const bad = entries.map(([k]) => k).filter(
      (k) => !fieldNames.has(k) && !QUERY_META_KEYS.has(k) && !TAG_FILTER_KEYS.has(k) && !extra.has(k),
    );
    if (bad.length > 0) {
      throw fail(site, 400, 'HTTPBadRequest', `[${bad.map((b) => `'${b}'`).join(', ')}] is invalid attribute for filtering`);
    }
    const out: T[] = [];
    for (const item of items) {
      let ok = true;
      for (const [key, value] of entries) {
        if (QUERY_META_KEYS.has(key)) continue;
        const tags = tagsOf(item);
        if (key === 'tags') ok = splitList(value).every((t) => tags.includes(t));
        else if (key === 'tags-any') ok = splitList(value).some((t) => tags.includes(t));
        else if (key === 'not-tags') ok = !splitList(value).every((t) => tags.includes(t));
        else if (key === 'not-tags-any') ok = !splitList(value).some((t) => tags.includes(t));
        else if (key === 'fixed_ips') ok = fixedIpsMatch(item['fixed_ips'] as NeutronFixedIp[], valuesOf(value));
        else ok = scalarMatches(item[key], valuesOf(value));
        if (!ok) break;
      }
      if (ok) out.push(copy(item));
    }
    return out;
  }

  /** Neutron: for each kind given (ip_address, subnet_id), some fixed IP matches one value of that kind. */
  function fixedIpsMatch(fixedIps: readonly NeutronFixedIp[], filters: readonly string[]): boolean {
    const byKind = new Map<string, string[]>();
    for (const f of filters) {
      const eq = f.indexOf('=');
      const kind = eq < 0 ? f : f.slice(0, eq);
      const val = eq < 0 ? '' : f.slice(eq + 1);
      byKind.set(kind, [...(byKind.get(kind) ?? []), val]);
    }
    for (const [kind, vals] of byKind) {
      if (kind === 'ip_address') {
        const wanted = vals.map((v) => canonicalIp(v));
        if (!fixedIps.some((fip) => wanted.includes(fip.ip_address))) return false;
      } else if (kind === 'subnet_id') {
        if (!fixedIps.some((fip) => vals.includes(fip.subnet_id))) return false;
      } else if (kind === 'ip_address_substr') {
        if (!fixedIps.some((fip) => vals.some((v) => fip.ip_address.includes(v)))) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  function canonicalIp(s: string): string {
    const ip = parseIp(s);
    return ip === undefined ? s : formatIp(ip.version, ip.value);
  }

  // -- networks -------------------------------------------------------------------------------------------

  const NETWORK_FIELDS = new Set([...NETWORK_POST, ...NETWORK_READONLY]);

  function nextSegmentation(type: string, physnet: string | null): number {
    const used = new Set(
      [...state.networks.values()]
        .filter((n) => n['provider:network_type'] === type && (n['provider:physical_network'] ?? null) === physnet)
        .map((n) => n['provider:segmentation_id']),
    );
    const [lo, hi] = type === 'vlan' ? [100, 200] : [1, 1000];
    for (let i = lo; i <= hi; i += 1) if (!used.has(i)) return i;
    return hi + 1;
  }

  function createNetwork(site: Site, body: Record<string, unknown>): NeutronNetwork {
    checkAttributes(site, body, NETWORK_POST, NETWORK_READONLY);
    const type = str(body['provider:network_type'], 'vxlan');
    let physnet: string | null = null;
    let seg: number | null = null;
    if (type === 'vlan' || type === 'flat') {
      physnet = str(body['provider:physical_network'], 'physnet1');
    }
    if (type === 'vlan' || type === 'vxlan') {
      if (body['provider:segmentation_id'] !== undefined && body['provider:segmentation_id'] !== null) {
        seg = toInt(site, 'provider:segmentation_id', body['provider:segmentation_id']);
        const clash = [...state.networks.values()].some((n) => n['provider:network_type'] === type &&
          (n['provider:physical_network'] ?? null) === physnet && n['provider:segmentation_id'] === seg);
        if (clash && type === 'vlan') {
          throw fail(site, 409, 'VlanIdInUse',
            `Unable to create the network. The VLAN ${seg} on physical network ${physnet ?? ''} is in use.`);
        }
        if (clash) {
          throw fail(site, 409, 'TunnelIdInUse', `Unable to create the network. The tunnel ID ${seg} is in use.`);
        }
      } else {
        seg = nextSegmentation(type, physnet);
      }
    }
    const ts = now();
    const net: NeutronNetwork = {
      id: randomUUID(),
      name: str(body['name'], ''),
      tenant_id: str(body['project_id'] ?? body['tenant_id'], projectId),
      admin_state_up: body['admin_state_up'] === undefined ? true : toBool(site, 'admin_state_up', body['admin_state_up']),
      mtu: body['mtu'] === undefined ? (type === 'vxlan' ? 1450 : 1500) : toInt(site, 'mtu', body['mtu']),
      status: 'ACTIVE',
      subnets: [],
      shared: body['shared'] === undefined ? false : toBool(site, 'shared', body['shared']),
      availability_zone_hints: [],
      availability_zones: [],
      ipv4_address_scope: null,
      ipv6_address_scope: null,
      'router:external': body['router:external'] === undefined ? false : toBool(site, 'router:external', body['router:external']),
      description: str(body['description'], ''),
      port_security_enabled: body['port_security_enabled'] === undefined
        ? true : toBool(site, 'port_security_enabled', body['port_security_enabled']),
      l2_adjacency: true,
      tags: [],
      created_at: ts,
      updated_at: ts,
      revision_number: 1,
      project_id: str(body['project_id'] ?? body['tenant_id'], projectId),
      'provider:network_type': type,
      'provider:physical_network': physnet,
      'provider:segmentation_id': seg,
    };
    state.networks.set(net.id, net);
    return net;
  }

  function updateNetwork(site: Site, id: string, body: Record<string, unknown>): NeutronNetwork {
    const net = mustNetwork(site, id);
    checkAttributes(site, body, NETWORK_PUT, NETWORK_READONLY);
    for (const [k, v] of Object.entries(body)) {
      if (k === 'mtu') net.mtu = toInt(site, k, v);
      else if (k === 'admin_state_up' || k === 'shared' || k === 'port_security_enabled' || k === 'router:external') {
        net[k] = toBool(site, k, v);
      } else net[k] = typeof v === 'string' ? v : copy(v);
    }
    touch(net);
    return net;
  }

  function deleteNetwork(site: Site, id: string): void {
    const net = mustNetwork(site, id);
    const ports = [...state.ports.values()].filter((p) => p.network_id === id);
    const blocking = ports.filter((p) => p.device_owner !== 'network:dhcp');
    if (blocking.length > 0) {
      throw fail(site, 409, 'NetworkInUse',
        `Unable to complete operation on network ${id}. There are one or more ports still in use on the network, ` +
        `id for these ports is: ${blocking.map((p) => p.id).join(',')}.`);
    }
    for (const p of ports) state.ports.delete(p.id);
    for (const sid of net.subnets) state.subnets.delete(sid);
    state.networks.delete(id);
  }

  // -- subnetpools ----------------------------------------------------------------------------------------

  const POOL_FIELDS = new Set([
    ...POOL_POST, 'id', 'ip_version', 'tags', 'created_at', 'updated_at', 'revision_number',
  ]);

  function createSubnetPool(site: Site, body: Record<string, unknown>): NeutronSubnetPool {
    checkAttributes(site, body, POOL_POST, new Set(['id', 'ip_version', 'tags', 'created_at', 'updated_at', 'revision_number']));
    const rawPrefixes = body['prefixes'];
    if (!Array.isArray(rawPrefixes) || rawPrefixes.length === 0) {
      throw fail(site, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'prefixes' not specified");
    }
    const prefixes: Cidr[] = [];
    for (const p of rawPrefixes) {
      const c = parseCidr(p);
      if (c === undefined) {
        throw fail(site, 400, 'HTTPBadRequest', `Invalid input for prefixes. Reason: '${String(p)}' is not a valid IP subnet.`);
      }
      prefixes.push(c);
    }
    const version = prefixes[0]?.version ?? 4;
    if (prefixes.some((p) => p.version !== version)) {
      throw fail(site, 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.');
    }
    const bits = bitsOf(version);
    const minLen = body['min_prefixlen'] === undefined ? (version === 4 ? 8 : 64) : toInt(site, 'min_prefixlen', body['min_prefixlen']);
    const maxLen = body['max_prefixlen'] === undefined ? bits : toInt(site, 'max_prefixlen', body['max_prefixlen']);
    const defLen = body['default_prefixlen'] === undefined ? minLen : toInt(site, 'default_prefixlen', body['default_prefixlen']);
    if (!(minLen <= defLen && defLen <= maxLen && maxLen <= bits)) {
      throw fail(site, 400, 'InvalidInput',
        `Invalid input for operation: Illegal prefix bounds: min_prefixlen=${minLen}, default_prefixlen=${defLen}, max_prefixlen=${maxLen}.`);
    }
    const ts = now();
    const pool: NeutronSubnetPool = {
      id: randomUUID(),
      name: str(body['name'], ''),
      tenant_id: str(body['project_id'] ?? body['tenant_id'], projectId),
      // real Neutron returns the prefix lengths as strings
      default_prefixlen: String(defLen),
      min_prefixlen: String(minLen),
      max_prefixlen: String(maxLen),
      is_default: body['is_default'] === undefined ? false : toBool(site, 'is_default', body['is_default']),
      shared: body['shared'] === undefined ? false : toBool(site, 'shared', body['shared']),
      prefixes: prefixes.map(formatCidr),
      ip_version: version,
      default_quota: body['default_quota'] ?? null,
      address_scope_id: body['address_scope_id'] ?? null,
      description: str(body['description'], ''),
      tags: [],
      created_at: ts,
      updated_at: ts,
      revision_number: 0,
      project_id: str(body['project_id'] ?? body['tenant_id'], projectId),
    };
    state.subnetpools.set(pool.id, pool);
    return pool;
  }

  function deleteSubnetPool(site: Site, id: string): void {
    mustPool(site, id);
    if ([...state.subnets.values()].some((s) => s.subnetpool_id === id)) {
      throw fail(site, 400, 'SubnetPoolDeleteError', 'Unable to delete subnet pool: Subnet pool has existing allocations.');
    }
    state.subnetpools.delete(id);
  }

  function allocateFromPool(site: Site, pool: NeutronSubnetPool, requested: Cidr | undefined, prefixlenRaw: unknown): Cidr {
    const prefixes = pool.prefixes.map((p) => parseCidr(p)).filter((c): c is Cidr => c !== undefined);
    const allocated = [...state.subnets.values()]
      .filter((s) => s.subnetpool_id === pool.id)
      .map((s) => parseCidr(s.cidr))
      .filter((c): c is Cidr => c !== undefined);
    const allocError = (reason: string): PluginError =>
      fail(site, 500, 'SubnetAllocationError', `Failed to allocate subnet: ${reason}`);
    if (requested !== undefined) {
      const inPool = prefixes.some((p) => p.version === requested.version && requested.start >= p.start &&
        cidrEnd(requested) <= cidrEnd(p));
      if (!inPool || allocated.some((a) => overlaps(a, requested))) {
        throw allocError('Cannot allocate requested subnet from the available set of prefixes.');
      }
      return requested;
    }
    const len = prefixlenRaw === undefined ? Number(pool.default_prefixlen) : toInt(site, 'prefixlen', prefixlenRaw);
    const minLen = Number(pool['min_prefixlen'] ?? 0);
    const maxLen = Number(pool['max_prefixlen'] ?? bitsOf(pool.ip_version));
    if (len < minLen) {
      throw fail(site, 400, 'MinPrefixSubnetAllocationError',
        `Unable to allocate subnet with prefix length ${len}, minimum allowed prefix is ${minLen}.`);
    }
    if (len > maxLen) {
      throw fail(site, 400, 'MaxPrefixSubnetAllocationError',
        `Unable to allocate subnet with prefix length ${len}, maximum allowed prefix is ${maxLen}.`);
    }
    for (const p of prefixes) {
      if (len < p.prefixlen) continue;
      const size = 1n << BigInt(bitsOf(p.version) - len);
      let cand = p.start;
      while (cand + size - 1n <= cidrEnd(p)) {
        const block: Cidr = { version: p.version, start: cand, prefixlen: len };
        const hit = allocated.find((a) => overlaps(a, block));
        if (hit === undefined) return block;
        // jump past the allocation that is in the way, aligned to the block size
        const after = cidrEnd(hit) + 1n > cand + size ? cidrEnd(hit) + 1n : cand + size;
        cand = ((after + size - 1n) / size) * size;
      }
    }
    throw allocError(`Insufficient prefix space to allocate subnet size /${len}.`);
  }

  // -- subnets --------------------------------------------------------------------------------------------

  const SUBNET_FIELDS = new Set([
    ...SUBNET_POST, 'id', 'tags', 'created_at', 'updated_at', 'revision_number',
  ]);

  function createSubnet(site: Site, body: Record<string, unknown>): NeutronSubnet {
    checkAttributes(site, body, SUBNET_POST, new Set(['id', 'tags', 'created_at', 'updated_at', 'revision_number']));
    if (body['network_id'] === undefined) {
      throw fail(site, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'network_id' not specified");
    }
    if (body['ip_version'] === undefined) {
      throw fail(site, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'ip_version' not specified");
    }
    const version = toInt(site, 'ip_version', body['ip_version']);
    if (version !== 4 && version !== 6) {
      throw fail(site, 400, 'HTTPBadRequest', `Invalid input for ip_version. Reason: ${version} is not in [4, 6].`);
    }
    const net = mustNetwork(site, str(body['network_id'], ''));

    let requested: Cidr | undefined;
    if (body['cidr'] !== undefined && body['cidr'] !== null) {
      requested = parseCidr(body['cidr']);
      if (requested === undefined) {
        throw fail(site, 400, 'InvalidInput', `Invalid input for operation: ${String(body['cidr'])} is not in a CIDR format.`);
      }
      if (requested.version !== version) {
        throw fail(site, 400, 'InvalidInput',
          'Invalid input for operation: Cidr and IP version are not consistent (ip_version does not match cidr).');
      }
    }
    let poolId: string | null = null;
    const rawPool = body['subnetpool_id'];
    if (typeof rawPool === 'string' && rawPool !== '') poolId = rawPool;
    else if (body['use_default_subnetpool'] !== undefined && toBool(site, 'use_default_subnetpool', body['use_default_subnetpool'])) {
      const def = [...state.subnetpools.values()].find((p) => p['is_default'] === true && p.ip_version === version);
      if (def === undefined) {
        throw fail(site, 400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv' + String(version) + '.');
      }
      poolId = def.id;
    }

    let cidr: Cidr;
    if (poolId !== null) {
      const pool = mustPool(site, poolId);
      if (pool.ip_version !== version) {
        throw fail(site, 400, 'BadRequest',
          `Bad subnets request: Cannot allocate IPv${version} subnet from IPv${pool.ip_version} subnet pool.`);
      }
      const otherPool = net.subnets.map((sid) => state.subnets.get(sid))
        .some((s) => s !== undefined && s.ip_version === version && s.subnetpool_id !== poolId);
      if (otherPool) {
        throw fail(site, 400, 'NetworkSubnetPoolAffinityError',
          'Subnets hosted on the same network must be allocated from the same subnet pool.');
      }
      cidr = allocateFromPool(site, pool, requested, body['prefixlen']);
    } else {
      if (requested === undefined) {
        throw fail(site, 400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
      }
      cidr = requested;
    }
    for (const sid of net.subnets) {
      const other = state.subnets.get(sid);
      const oc = other === undefined ? undefined : parseCidr(other.cidr);
      if (oc !== undefined && overlaps(oc, cidr)) {
        throw fail(site, 400, 'InvalidInput',
          `Invalid input for operation: Requested subnet with cidr: ${formatCidr(cidr)} for network: ${net.id} overlaps with another subnet.`);
      }
    }

    let gateway: string | null;
    if (!('gateway_ip' in body)) {
      // v4: first host; v6: the subnet-router anycast address (the network address), as Neutron does
      gateway = formatIp(cidr.version, cidr.version === 4 && cidr.prefixlen < 31 ? cidr.start + 1n : cidr.start);
    } else if (body['gateway_ip'] === null) {
      gateway = null;
    } else {
      const gw = parseIp(body['gateway_ip']);
      if (gw === undefined || gw.version !== cidr.version) {
        throw fail(site, 400, 'HTTPBadRequest',
          `Invalid input for gateway_ip. Reason: '${String(body['gateway_ip'])}' is not a valid IP address.`);
      }
      gateway = formatIp(gw.version, gw.value);
    }

    let pools: IpRange[];
    if (Array.isArray(body['allocation_pools'])) {
      pools = [];
      for (const raw of body['allocation_pools'] as unknown[]) {
        const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
        const s = parseIp(r['start']);
        const e = parseIp(r['end']);
        if (s === undefined || e === undefined || !containsIp(cidr, s) || !containsIp(cidr, e) || s.value > e.value) {
          throw fail(site, 400, 'InvalidAllocationPool', `The allocation pool ${String(r['start'])}-${String(r['end'])} is not valid.`);
        }
        pools.push({ start: s.value, end: e.value });
      }
    } else {
      const gw = gateway === null ? undefined : parseIp(gateway);
      pools = defaultPools(cidr, gw === undefined ? undefined : gw.value);
    }

    const ts = now();
    const subnet: NeutronSubnet = {
      id: randomUUID(),
      name: str(body['name'], ''),
      tenant_id: str(body['project_id'] ?? body['tenant_id'], projectId),
      network_id: net.id,
      ip_version: version,
      subnetpool_id: poolId,
      enable_dhcp: body['enable_dhcp'] === undefined ? true : toBool(site, 'enable_dhcp', body['enable_dhcp']),
      ipv6_ra_mode: body['ipv6_ra_mode'] ?? null,
      ipv6_address_mode: body['ipv6_address_mode'] ?? null,
      gateway_ip: gateway,
      cidr: formatCidr(cidr),
      allocation_pools: pools.map((p) => ({ start: formatIp(cidr.version, p.start), end: formatIp(cidr.version, p.end) })),
      host_routes: Array.isArray(body['host_routes']) ? copy(body['host_routes'] as NeutronSubnet['host_routes']) : [],
      dns_nameservers: Array.isArray(body['dns_nameservers']) ? copy(body['dns_nameservers']) : [],
      description: str(body['description'], ''),
      service_types: Array.isArray(body['service_types']) ? copy(body['service_types']) : [],
      segment_id: body['segment_id'] ?? null,
      tags: [],
      created_at: ts,
      updated_at: ts,
      revision_number: 0,
      project_id: str(body['project_id'] ?? body['tenant_id'], projectId),
    };
    state.subnets.set(subnet.id, subnet);
    net.subnets.push(subnet.id);
    touch(net);
    return subnet;
  }

  function deleteSubnet(site: Site, id: string): void {
    const subnet = mustSubnet(site, id);
    const users = [...state.ports.values()].filter((p) => p.fixed_ips.some((f) => f.subnet_id === id));
    if (users.some((p) => p.device_owner !== 'network:dhcp')) {
      throw fail(site, 409, 'SubnetInUse',
        `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);
    }
    for (const p of users) p.fixed_ips = p.fixed_ips.filter((f) => f.subnet_id !== id);
    state.subnets.delete(id);
    const net = state.networks.get(subnet.network_id);
    if (net !== undefined) {
      net.subnets = net.subnets.filter((s) => s !== id);
      touch(net);
    }
  }

  // -- ports ----------------------------------------------------------------------------------------------

  const PORT_FIELDS = new Set([...PORT_POST, ...PORT_READONLY]);

  function usedIps(subnetId: string, exceptPort?: string): Set<string> {
    const used = new Set<string>();
    for (const p of state.ports.values()) {
      if (p.id === exceptPort) continue;
      for (const f of p.fixed_ips) if (f.subnet_id === subnetId) used.add(f.ip_address);
    }
    return used;
  }

  function nextFreeIp(subnet: NeutronSubnet, taken: Set<string>): string | undefined {
    const cidr = parseCidr(subnet.cidr);
    if (cidr === undefined) return undefined;
    const ranges = Array.isArray(subnet['allocation_pools']) ? subnet['allocation_pools'] as { start: string; end: string }[] : [];
    for (const r of ranges) {
      const s = parseIp(r.start);
      const e = parseIp(r.end);
      if (s === undefined || e === undefined) continue;
      for (let v = s.value; v <= e.value; v += 1n) {
        const ip = formatIp(cidr.version, v);
        if (ip !== subnet.gateway_ip && !taken.has(ip)) return ip;
      }
    }
    return undefined;
  }

  /**
   * Resolves requested fixed_ips (create, or PUT replacing them) into allocations, keeping the port's own
   * current IPs when they are asked for again. `requested === undefined` means "one IP per IP version".
   */
  function allocateFixedIps(
    site: Site, net: NeutronNetwork, requested: unknown, current: readonly NeutronFixedIp[], portId: string | undefined,
  ): NeutronFixedIp[] {
    const out: NeutronFixedIp[] = [];
    const claimed = new Map<string, Set<string>>();
    const takenIn = (sid: string): Set<string> => {
      let s = claimed.get(sid);
      if (s === undefined) {
        s = usedIps(sid, portId);
        claimed.set(sid, s);
      }
      return s;
    };
    const subnetsOfNet = net.subnets.map((sid) => state.subnets.get(sid)).filter((s): s is NeutronSubnet => s !== undefined);

    if (requested === undefined) {
      for (const version of [4, 6] as const) {
        for (const s of subnetsOfNet.filter((x) => x.ip_version === version)) {
          const ip = nextFreeIp(s, takenIn(s.id));
          if (ip !== undefined) {
            takenIn(s.id).add(ip);
            out.push({ subnet_id: s.id, ip_address: ip });
            break;
          }
        }
      }
      return out;
    }
    if (!Array.isArray(requested)) {
      throw fail(site, 400, 'HTTPBadRequest', "Invalid input for fixed_ips. Reason: Invalid data format for fixed IP: 'not a list'.");
    }
    for (const raw of requested as unknown[]) {
      const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      let subnet: NeutronSubnet | undefined;
      if (typeof r['subnet_id'] === 'string') {
        subnet = mustSubnet(site, r['subnet_id']);
        if (subnet.network_id !== net.id) {
          throw fail(site, 400, 'InvalidInput',
            `Invalid input for operation: Failed to create port on network ${net.id}, because fixed_ips included invalid subnet ${subnet.id}.`);
        }
      }
      if (r['ip_address'] !== undefined) {
        const ip = parseIp(r['ip_address']);
        if (ip === undefined) {
          throw fail(site, 400, 'HTTPBadRequest',
            `Invalid input for fixed_ips. Reason: '${String(r['ip_address'])}' is not a valid IP address.`);
        }
        const text = formatIp(ip.version, ip.value);
        if (subnet === undefined) {
          subnet = subnetsOfNet.find((s) => {
            const c = parseCidr(s.cidr);
            return c !== undefined && containsIp(c, ip);
          });
          if (subnet === undefined) {
            throw fail(site, 400, 'InvalidIpForNetwork',
              `IP address ${text} is not a valid IP for any of the subnets on the specified network.`);
          }
        } else {
          const c = parseCidr(subnet.cidr);
          const bad = c === undefined || !containsIp(c, ip) ||
            (c.version === 4 && c.prefixlen < 31 && (ip.value === c.start || ip.value === cidrEnd(c)));
          if (bad) {
            throw fail(site, 400, 'InvalidIpForSubnet', `IP address ${text} is not a valid IP for the specified subnet.`);
          }
        }
        if (takenIn(subnet.id).has(text)) {
          throw fail(site, 409, 'IpAddressAlreadyAllocated', `IP address ${text} already allocated in subnet ${subnet.id}`);
        }
        takenIn(subnet.id).add(text);
        out.push({ subnet_id: subnet.id, ip_address: text });
        continue;
      }
      if (subnet === undefined) {
        throw fail(site, 400, 'HTTPBadRequest', 'Invalid input for fixed_ips. Reason: Exactly one of subnet_id or ip_address is needed.');
      }
      const sid = subnet.id;
      // "any IP from this subnet": keep one the port already has there, else take the next free one
      const keep = current.find((f) => f.subnet_id === sid && !out.some((o) => o.ip_address === f.ip_address));
      const ip = keep?.ip_address ?? nextFreeIp(subnet, takenIn(sid));
      if (ip === undefined) {
        throw fail(site, 409, 'IpAddressGenerationFailure', `No more IP addresses available for subnet ${sid}.`);
      }
      takenIn(sid).add(ip);
      out.push({ subnet_id: sid, ip_address: ip });
    }
    return out;
  }

  function macInUse(networkId: string, mac: string, exceptPort?: string): boolean {
    return [...state.ports.values()].some((p) => p.network_id === networkId && p.id !== exceptPort && p.mac_address === mac);
  }

  function generateMac(networkId: string): string {
    for (;;) {
      const mac = `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
      if (!macInUse(networkId, mac)) return mac;
    }
  }

  function checkMac(site: Site, networkId: string, raw: unknown, exceptPort?: string): string {
    if (typeof raw !== 'string' || !MAC_RE.test(raw)) {
      throw fail(site, 400, 'HTTPBadRequest', `Invalid input for mac_address. Reason: '${String(raw)}' is not a valid MAC address.`);
    }
    const mac = raw.toLowerCase();
    if (macInUse(networkId, mac, exceptPort)) {
      throw fail(site, 409, 'MacAddressInUse',
        `Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
    }
    return mac;
  }

  function checkVnic(site: Site, raw: unknown): string {
    if (typeof raw !== 'string' || !VNIC_TYPES.has(raw)) {
      throw fail(site, 400, 'HTTPBadRequest', `Invalid input for binding:vnic_type. Reason: ${String(raw)} is not in valid_values.`);
    }
    return raw;
  }

  function rebind(port: NeutronPort): void {
    const host = port['binding:host_id'] ?? '';
    if (host === '') {
      port['binding:vif_type'] = 'unbound';
      port['binding:vif_details'] = {};
      return;
    }
    const result = self.vifTypeFor(copy(port), host);
    port['binding:vif_type'] = result.vif_type;
    port['binding:vif_details'] = copy(result.vif_details);
  }

  function isBound(port: NeutronPort): boolean {
    const t = port['binding:vif_type'] ?? 'unbound';
    return t !== 'unbound' && t !== 'binding_failed';
  }

  function createPort(site: Site, body: Record<string, unknown>): NeutronPort {
    checkAttributes(site, body, PORT_POST, PORT_READONLY);
    if (body['network_id'] === undefined) {
      throw fail(site, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'network_id' not specified");
    }
    const net = mustNetwork(site, str(body['network_id'], ''));
    const vnic = body['binding:vnic_type'] === undefined ? 'normal' : checkVnic(site, body['binding:vnic_type']);
    const mac = body['mac_address'] === undefined ? generateMac(net.id) : checkMac(site, net.id, body['mac_address']);
    const fixedIps = allocateFixedIps(site, net, body['fixed_ips'], [], undefined);
    const ts = now();
    const port: NeutronPort = {
      id: randomUUID(),
      name: str(body['name'], ''),
      network_id: net.id,
      tenant_id: str(body['project_id'] ?? body['tenant_id'], projectId),
      mac_address: mac,
      admin_state_up: body['admin_state_up'] === undefined ? true : toBool(site, 'admin_state_up', body['admin_state_up']),
      status: 'DOWN',
      device_id: str(body['device_id'], ''),
      device_owner: str(body['device_owner'], ''),
      fixed_ips: fixedIps,
      allowed_address_pairs: Array.isArray(body['allowed_address_pairs']) ? copy(body['allowed_address_pairs']) : [],
      extra_dhcp_opts: Array.isArray(body['extra_dhcp_opts']) ? copy(body['extra_dhcp_opts']) : [],
      security_groups: Array.isArray(body['security_groups'])
        ? copy(body['security_groups'] as string[]) : [defaultSecurityGroup],
      description: str(body['description'], ''),
      'binding:vnic_type': vnic,
      'binding:profile': typeof body['binding:profile'] === 'object' && body['binding:profile'] !== null
        ? copy(body['binding:profile'] as Record<string, unknown>) : {},
      'binding:host_id': str(body['binding:host_id'], ''),
      'binding:vif_type': 'unbound',
      'binding:vif_details': {},
      port_security_enabled: body['port_security_enabled'] === undefined
        ? net['port_security_enabled'] !== false : toBool(site, 'port_security_enabled', body['port_security_enabled']),
      ip_allocation: 'immediate',
      tags: [],
      created_at: ts,
      updated_at: ts,
      revision_number: 1,
      project_id: str(body['project_id'] ?? body['tenant_id'], projectId),
    };
    rebind(port);
    state.ports.set(port.id, port);
    return port;
  }

  function updatePort(site: Site, id: string, body: Record<string, unknown>): NeutronPort {
    const port = mustPort(site, id);
    checkAttributes(site, body, PORT_PUT, PORT_READONLY);
    // validate everything before changing anything: a failed PUT leaves the port as it was
    const next = copy(port);
    if (body['mac_address'] !== undefined) {
      const mac = checkMac(site, port.network_id, body['mac_address'], port.id);
      if (mac !== port.mac_address && isBound(port)) {
        throw fail(site, 409, 'PortBound',
          `Unable to complete operation on port ${port.id}, port is already bound, port type: ` +
          `${port['binding:vif_type'] ?? ''}, old_mac ${port.mac_address}, new_mac ${mac}.`);
      }
      next.mac_address = mac;
    }
    if (body['fixed_ips'] !== undefined) {
      next.fixed_ips = allocateFixedIps(site, mustNetwork(site, port.network_id), body['fixed_ips'], port.fixed_ips, port.id);
    }
    if (body['binding:vnic_type'] !== undefined) next['binding:vnic_type'] = checkVnic(site, body['binding:vnic_type']);
    if (body['binding:profile'] !== undefined) {
      next['binding:profile'] = typeof body['binding:profile'] === 'object' && body['binding:profile'] !== null
        ? copy(body['binding:profile'] as Record<string, unknown>) : {};
    }
    if (body['binding:host_id'] !== undefined) next['binding:host_id'] = str(body['binding:host_id'], '');
    for (const k of ['admin_state_up', 'port_security_enabled'] as const) {
      if (body[k] !== undefined) next[k] = toBool(site, k, body[k]);
    }
    for (const k of ['name', 'device_id', 'device_owner', 'description'] as const) {
      if (body[k] !== undefined) next[k] = str(body[k], '');
    }
    for (const k of ['allowed_address_pairs', 'extra_dhcp_opts', 'security_groups'] as const) {
      if (body[k] !== undefined) next[k] = copy(body[k]) as never;
    }
    const bindingTouched = ['binding:host_id', 'binding:vnic_type', 'binding:profile'].some((k) => body[k] !== undefined);
    if (bindingTouched) rebind(next);
    touch(next);
    state.ports.set(port.id, next);
    return next;
  }

  // -- tags -----------------------------------------------------------------------------------------------

  function taggable(resource: TaggableResource): Map<string, { tags?: string[] | null; [k: string]: unknown }> {
    switch (resource) {
      case 'networks': return state.networks;
      case 'subnets': return state.subnets;
      case 'subnetpools': return state.subnetpools;
      case 'ports': return state.ports;
      default: {
        const never: never = resource;
        throw new Error(`unknown resource ${String(never)}`);
      }
    }
  }

  // -- the client -----------------------------------------------------------------------------------------

  const col = (resource: string): string => `/v2.0/${resource}`;
  const one = (resource: string, id: string): string => `/v2.0/${resource}/${id}`;

  const self: FakeNeutron = {
    state,
    calls,
    vifTypeFor: opts.vifTypeFor ?? defaultVifTypeFor,

    failOn(method, error, times = 1) {
      const queue = failures.get(method) ?? [];
      queue.push({ error, remaining: times });
      failures.set(method, queue);
    },
    clearFailures() {
      failures.clear();
    },
    setPortStatus(id, status) {
      const p = state.ports.get(id);
      if (p === undefined) throw new Error(`fake neutron: no port ${id}`);
      p.status = status;
    },
    callsOf(op) {
      return calls.filter((c) => c.op === op);
    },

    async listNetworks(q) {
      record({ op: 'listNetworks', method: 'GET', resource: 'networks', ...(q === undefined ? {} : { query: q }) });
      return filterList({ method: 'GET', path: col('networks') }, state.networks.values(), q, NETWORK_FIELDS);
    },
    async getNetwork(id) {
      record({ op: 'getNetwork', method: 'GET', resource: 'networks', id });
      return copy(mustNetwork({ method: 'GET', path: one('networks', id) }, id));
    },
    async createNetwork(body) {
      record({ op: 'createNetwork', method: 'POST', resource: 'networks', body });
      return copy(createNetwork({ method: 'POST', path: col('networks') }, copy(body) as Record<string, unknown>));
    },
    async updateNetwork(id, body) {
      record({ op: 'updateNetwork', method: 'PUT', resource: 'networks', id, body });
      return copy(updateNetwork({ method: 'PUT', path: one('networks', id) }, id, copy(body) as Record<string, unknown>));
    },
    async deleteNetwork(id) {
      record({ op: 'deleteNetwork', method: 'DELETE', resource: 'networks', id });
      deleteNetwork({ method: 'DELETE', path: one('networks', id) }, id);
    },

    async listSubnets(q) {
      record({ op: 'listSubnets', method: 'GET', resource: 'subnets', ...(q === undefined ? {} : { query: q }) });
      return filterList({ method: 'GET', path: col('subnets') }, state.subnets.values(), q, SUBNET_FIELDS);
    },
    async getSubnet(id) {
      record({ op: 'getSubnet', method: 'GET', resource: 'subnets', id });
      return copy(mustSubnet({ method: 'GET', path: one('subnets', id) }, id));
    },
    async createSubnet(body) {
      record({ op: 'createSubnet', method: 'POST', resource: 'subnets', body });
      return copy(createSubnet({ method: 'POST', path: col('subnets') }, copy(body)));
    },
    async deleteSubnet(id) {
      record({ op: 'deleteSubnet', method: 'DELETE', resource: 'subnets', id });
      deleteSubnet({ method: 'DELETE', path: one('subnets', id) }, id);
    },

    async listSubnetPools(q) {
      record({ op: 'listSubnetPools', method: 'GET', resource: 'subnetpools', ...(q === undefined ? {} : { query: q }) });
      return filterList({ method: 'GET', path: col('subnetpools') }, state.subnetpools.values(), q, POOL_FIELDS);
    },
    async getSubnetPool(id) {
      record({ op: 'getSubnetPool', method: 'GET', resource: 'subnetpools', id });
      return copy(mustPool({ method: 'GET', path: one('subnetpools', id) }, id));
    },
    async createSubnetPool(body) {
      record({ op: 'createSubnetPool', method: 'POST', resource: 'subnetpools', body });
      return copy(createSubnetPool({ method: 'POST', path: col('subnetpools') }, copy(body)));
    },
    async deleteSubnetPool(id) {
      record({ op: 'deleteSubnetPool', method: 'DELETE', resource: 'subnetpools', id });
      deleteSubnetPool({ method: 'DELETE', path: one('subnetpools', id) }, id);
    },

    async listPorts(q) {
      record({ op: 'listPorts', method: 'GET', resource: 'ports', ...(q === undefined ? {} : { query: q }) });
      return filterList({ method: 'GET', path: col('ports') }, state.ports.values(), q, PORT_FIELDS, new Set(['fixed_ips']));
    },
    async getPort(id) {
      record({ op: 'getPort', method: 'GET', resource: 'ports', id });
      return copy(mustPort({ method: 'GET', path: one('ports', id) }, id));
    },
    async createPort(body) {
      record({ op: 'createPort', method: 'POST', resource: 'ports', body });
      return copy(createPort({ method: 'POST', path: col('ports') }, copy(body)));
    },
    async updatePort(id, body) {
      record({ op: 'updatePort', method: 'PUT', resource: 'ports', id, body });
      return copy(updatePort({ method: 'PUT', path: one('ports', id) }, id, copy(body)));
    },
    async deletePort(id) {
      record({ op: 'deletePort', method: 'DELETE', resource: 'ports', id });
      mustPort({ method: 'DELETE', path: one('ports', id) }, id);
      state.ports.delete(id);
    },

    async addTag(resource, id, tag) {
      record({ op: 'addTag', method: 'PUT', resource, id, tag });
      const site: Site = { method: 'PUT', path: `${one(resource, id)}/tags/${encodeURIComponent(tag)}` };
      const obj = taggable(resource).get(id);
      if (obj === undefined) throw fail(site, 404, 'TagResourceNotFound', `Resource ${resource} ${id} could not be found.`);
      const tags = tagsOf(obj);
      if (!tags.includes(tag)) {
        obj.tags = [...tags, tag].sort();
        touch(obj);
      }
    },
    async removeTag(resource, id, tag) {
      record({ op: 'removeTag', method: 'DELETE', resource, id, tag });
      const site: Site = { method: 'DELETE', path: `${one(resource, id)}/tags/${encodeURIComponent(tag)}` };
      const obj = taggable(resource).get(id);
      if (obj === undefined) throw fail(site, 404, 'TagResourceNotFound', `Resource ${resource} ${id} could not be found.`);
      const tags = tagsOf(obj);
      if (!tags.includes(tag)) throw fail(site, 404, 'TagNotFound', `Tag ${tag} could not be found.`);
      obj.tags = tags.filter((t) => t !== tag);
      touch(obj);
    },

    async hasExtension(alias) {
      record({ op: 'hasExtension', method: 'GET', resource: 'extensions', id: alias });
      return state.extensions.has(alias);
    },
    async listAgents(q) {
      record({ op: 'listAgents', method: 'GET', resource: 'agents', ...(q === undefined ? {} : { query: q }) });
      const fields = new Set(state.agents.flatMap((a) => Object.keys(a)));
      for (const f of ['id', 'agent_type', 'binary', 'host', 'alive', 'admin_state_up', 'topic']) fields.add(f);
      return filterList({ method: 'GET', path: col('agents') }, state.agents, q, fields);
    },
  };
  return self;
}
