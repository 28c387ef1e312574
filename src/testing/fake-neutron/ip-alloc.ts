// Address allocation against the fake's state: subnets carved from a subnet pool (first free aligned block)
// and a port's fixed IPs (explicit IPs validated per subnet, otherwise the next free address of the
// subnet's allocation pools). Test-only (excluded from the build).
import type { PluginError } from '../../errors.ts';
import type { NeutronFixedIp, NeutronNetwork, NeutronSubnet, NeutronSubnetPool } from '../../neutron/types.ts';
import { bitsOf, cidrEnd, containsIp, formatIp, overlaps, parseCidr, parseIp, type Cidr } from './ip-math.ts';
import { asRecord, fail, toInt, type Site } from './rules.ts';
import type { Store } from './store.ts';

export function allocateFromPool(store: Store, site: Site, pool: NeutronSubnetPool, requested: Cidr | undefined, prefixlenRaw: unknown): Cidr {
  const prefixes = pool.prefixes.map((p) => parseCidr(p)).filter((c): c is Cidr => c !== undefined);
  const allocated = [...store.state.subnets.values()]
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

function usedIps(store: Store, subnetId: string, exceptPort?: string): Set<string> {
  const used = new Set<string>();
  for (const p of store.state.ports.values()) {
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
export function allocateFixedIps(
  store: Store, site: Site, net: NeutronNetwork, requested: unknown, current: readonly NeutronFixedIp[], portId: string | undefined,
): NeutronFixedIp[] {
  const out: NeutronFixedIp[] = [];
  const claimed = new Map<string, Set<string>>();
  const takenIn = (sid: string): Set<string> => {
    let s = claimed.get(sid);
    if (s === undefined) {
      s = usedIps(store, sid, portId);
      claimed.set(sid, s);
    }
    return s;
  };
  const subnetsOfNet = net.subnets.map((sid) => store.state.subnets.get(sid)).filter((s): s is NeutronSubnet => s !== undefined);

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
    const r = asRecord(raw);
    let subnet: NeutronSubnet | undefined;
    if (typeof r['subnet_id'] === 'string') {
      subnet = store.mustSubnet(site, r['subnet_id']);
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
