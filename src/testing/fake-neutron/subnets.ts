// Subnet pools and subnets: create with validation (prefix bounds, pool affinity, overlaps, gateway and
// allocation pools, default subnet pool) and delete with Neutron's in-use errors. Test-only (excluded
// from the build).
import { randomUUID } from 'node:crypto';

import type { NeutronSubnet, NeutronSubnetPool } from '../../neutron/types.ts';
import { allocateFromPool } from './ip-alloc.ts';
import {
  bitsOf, containsIp, defaultPools, formatCidr, formatIp, overlaps, parseCidr, parseIp, type Cidr, type IpRange,
} from './ip-math.ts';
import {
  asRecord, checkAttributes, copy, fail, POOL_POST, POOL_READONLY, required, str, SUBNET_POST, SUBNET_READONLY, toBool, toInt,
  type Site,
} from './rules.ts';
import type { Store } from './store.ts';

export function createSubnetPool(store: Store, site: Site, body: Record<string, unknown>): NeutronSubnetPool {
  checkAttributes(site, body, POOL_POST, POOL_READONLY);
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
  const ts = store.now();
  const pool: NeutronSubnetPool = {
    id: randomUUID(),
    name: str(body['name'], ''),
    tenant_id: store.owner(body),
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
    project_id: store.owner(body),
  };
  store.state.subnetpools.set(pool.id, pool);
  return pool;
}

export function deleteSubnetPool(store: Store, site: Site, id: string): void {
  store.mustPool(site, id);
  if ([...store.state.subnets.values()].some((s) => s.subnetpool_id === id)) {
    throw fail(site, 400, 'SubnetPoolDeleteError', 'Unable to delete subnet pool: Subnet pool has existing allocations.');
  }
  store.state.subnetpools.delete(id);
}

export function createSubnet(store: Store, site: Site, body: Record<string, unknown>): NeutronSubnet {
  checkAttributes(site, body, SUBNET_POST, SUBNET_READONLY);
  required(site, body, 'network_id');
  required(site, body, 'ip_version');
  const version = toInt(site, 'ip_version', body['ip_version']);
  if (version !== 4 && version !== 6) {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for ip_version. Reason: ${version} is not in [4, 6].`);
  }
  const net = store.mustNetwork(site, str(body['network_id'], ''));

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
    const def = [...store.state.subnetpools.values()].find((p) => p['is_default'] === true && p.ip_version === version);
    if (def === undefined) {
      throw fail(site, 400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv' + String(version) + '.');
    }
    poolId = def.id;
  }

  let cidr: Cidr;
  if (poolId !== null) {
    const pool = store.mustPool(site, poolId);
    if (pool.ip_version !== version) {
      throw fail(site, 400, 'BadRequest',
        `Bad subnets request: Cannot allocate IPv${version} subnet from IPv${pool.ip_version} subnet pool.`);
    }
    const otherPool = net.subnets.map((sid) => store.state.subnets.get(sid))
      .some((s) => s !== undefined && s.ip_version === version && s.subnetpool_id !== poolId);
    if (otherPool) {
      throw fail(site, 400, 'NetworkSubnetPoolAffinityError',
        'Subnets hosted on the same network must be allocated from the same subnet pool.');
    }
    cidr = allocateFromPool(store, site, pool, requested, body['prefixlen']);
  } else {
    if (requested === undefined) {
      throw fail(site, 400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.');
    }
    cidr = requested;
  }
  for (const sid of net.subnets) {
    const other = store.state.subnets.get(sid);
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
      const r = asRecord(raw);
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

  const ts = store.now();
  const subnet: NeutronSubnet = {
    id: randomUUID(),
    name: str(body['name'], ''),
    tenant_id: store.owner(body),
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
    project_id: store.owner(body),
  };
  store.state.subnets.set(subnet.id, subnet);
  net.subnets.push(subnet.id);
  store.touch(net);
  return subnet;
}

export function deleteSubnet(store: Store, site: Site, id: string): void {
  const subnet = store.mustSubnet(site, id);
  const users = [...store.state.ports.values()].filter((p) => p.fixed_ips.some((f) => f.subnet_id === id));
  if (users.some((p) => p.device_owner !== 'network:dhcp')) {
    throw fail(site, 409, 'SubnetInUse',
      `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);
  }
  for (const p of users) p.fixed_ips = p.fixed_ips.filter((f) => f.subnet_id !== id);
  store.state.subnets.delete(id);
  const net = store.state.networks.get(subnet.network_id);
  if (net !== undefined) {
    net.subnets = net.subnets.filter((s) => s !== id);
    store.touch(net);
  }
}
