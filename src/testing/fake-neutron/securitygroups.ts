// Security groups and their rules: a new group comes with Neutron's two default egress rules, rules are
// validated as Neutron Zed does (protocol names/numbers, port and ICMP ranges, duplicates), a group still
// named by a port cannot be deleted (SecurityGroupInUse), and ports may only name groups that exist.
// Test-only (excluded from the build).
import { randomUUID } from 'node:crypto';

import type { NeutronEthertype, NeutronSecurityGroup, NeutronSecurityGroupRule } from '../../neutron/types.ts';
import {
  checkAttributes, fail, required, SECURITY_GROUP_POST, SECURITY_GROUP_READONLY, SECURITY_GROUP_RULE_POST,
  SECURITY_GROUP_RULE_READONLY, str, toBool, toInt, type Site,
} from './rules.ts';
import type { Store } from './store.ts';

/** the protocol names Neutron Zed accepts (besides integers 0-255 and null) */
const PROTOCOL_NAMES = new Set([
  'ah', 'dccp', 'egp', 'esp', 'gre', 'hopopt', 'icmp', 'igmp', 'ip', 'ipip', 'ipv6-encap', 'ipv6-frag', 'ipv6-icmp',
  'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route', 'ospf', 'pgm', 'rsvp', 'sctp', 'tcp', 'udp', 'udplite', 'vrrp',
]);
/** protocols whose port range is a port range (by name or number) */
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'dccp', 'udplite', '6', '17', '132', '33', '136']);
/** protocols whose "port range" is an ICMP type and code */
const ICMP_PROTOCOLS = new Set(['icmp', 'ipv6-icmp', 'icmpv6', '1', '58']);

type Rule = NeutronSecurityGroupRule;

function groupNotFound(site: Site, id: string): Error {
  return fail(site, 404, 'SecurityGroupNotFound', `Security group ${id} does not exist`);
}

export function mustSecurityGroup(store: Store, site: Site, id: string): NeutronSecurityGroup {
  const g = store.state.securityGroups.get(id);
  if (g === undefined) throw groupNotFound(site, id);
  return g;
}

function newRule(store: Store, group: NeutronSecurityGroup, fields: Partial<Rule> & Pick<Rule, 'direction' | 'ethertype'>): Rule {
  const ts = store.now();
  const project = group.project_id ?? store.projectId;
  return {
    id: randomUUID(),
    tenant_id: project,
    security_group_id: group.id,
    ethertype: fields.ethertype,
    direction: fields.direction,
    protocol: fields.protocol ?? null,
    port_range_min: fields.port_range_min ?? null,
    port_range_max: fields.port_range_max ?? null,
    remote_ip_prefix: fields.remote_ip_prefix ?? null,
    remote_address_group_id: null,
    normalized_cidr: fields.remote_ip_prefix ?? null,
    remote_group_id: fields.remote_group_id ?? null,
    description: fields.description ?? '',
    tags: [],
    created_at: ts,
    updated_at: ts,
    revision_number: 0,
    project_id: project,
  };
}

function newGroup(store: Store, name: string, description: string, project: string, stateful: boolean): NeutronSecurityGroup {
  const ts = store.now();
  return {
    id: randomUUID(),
    name,
    stateful,
    tenant_id: project,
    description,
    shared: false,
    security_group_rules: [],
    tags: [],
    created_at: ts,
    updated_at: ts,
    revision_number: 1,
    project_id: project,
  };
}

/** Neutron's per-project `default` group: members talk to each other, everything may leave. */
export function seedDefaultSecurityGroup(store: Store, id: string): NeutronSecurityGroup {
  const g = { ...newGroup(store, 'default', 'Default security group', store.projectId, true), id };
  for (const ethertype of ['IPv4', 'IPv6'] as const) {
    g.security_group_rules.push(newRule(store, g, { direction: 'ingress', ethertype, remote_group_id: id }));
    g.security_group_rules.push(newRule(store, g, { direction: 'egress', ethertype }));
  }
  store.state.securityGroups.set(id, g);
  return g;
}

export function createSecurityGroup(store: Store, site: Site, body: Record<string, unknown>): NeutronSecurityGroup {
  checkAttributes(site, body, SECURITY_GROUP_POST, SECURITY_GROUP_READONLY);
  const stateful = body['stateful'] === undefined ? true : toBool(site, 'stateful', body['stateful']);
  const g = newGroup(store, str(body['name'], ''), str(body['description'], ''), store.owner(body), stateful);
  // every new group allows all egress, as Neutron does
  for (const ethertype of ['IPv4', 'IPv6'] as const) {
    g.security_group_rules.push(newRule(store, g, { direction: 'egress', ethertype }));
  }
  store.state.securityGroups.set(g.id, g);
  return g;
}

export function deleteSecurityGroup(store: Store, site: Site, id: string): void {
  mustSecurityGroup(store, site, id);
  const users = [...store.state.ports.values()].filter((p) => p.security_groups?.includes(id));
  if (users.length > 0) throw fail(site, 409, 'SecurityGroupInUse', `Security Group ${id} in use.`);
  store.state.securityGroups.delete(id);
}

function checkProtocol(site: Site, raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  const p = typeof raw === 'number' ? String(raw) : raw;
  if (typeof p === 'string') {
    const lower = p.toLowerCase();
    if (PROTOCOL_NAMES.has(lower)) return lower;
    if (/^\d+$/.test(p) && Number(p) <= 255) return String(Number(p));
  }
  throw fail(site, 400, 'SecurityGroupRuleInvalidProtocol',
    `Security group rule protocol ${String(raw)} not supported. Only protocol values [None, ${[...PROTOCOL_NAMES].map((n) => `'${n}'`).join(', ')}] ` +
    'and integer representations [0 to 255] are supported.');
}

function optionalPort(site: Site, body: Record<string, unknown>, key: 'port_range_min' | 'port_range_max'): number | null {
  const v = body[key];
  return v === undefined || v === null ? null : toInt(site, key, v);
}

function checkRange(site: Site, protocol: string | null, min: number | null, max: number | null): void {
  if (protocol === null) {
    if (min !== null || max !== null) {
      throw fail(site, 400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.');
    }
    return;
  }
  if (PORT_PROTOCOLS.has(protocol)) {
    for (const p of [min, max]) {
      if (p !== null && (p < 1 || p > 65535)) throw fail(site, 400, 'SecurityGroupInvalidPortValue', `Invalid value for port ${p}`);
    }
    if (min !== null && max !== null && min > max) {
      throw fail(site, 400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max');
    }
    return;
  }
  if (ICMP_PROTOCOLS.has(protocol)) {
    if (min !== null && (min < 0 || min > 255)) {
      throw fail(site, 400, 'SecurityGroupInvalidIcmpValue',
        `Invalid value for ICMP type (port_range_min) ${min}. It must be 0 to 255.`);
    }
    if (max !== null && (max < 0 || max > 255)) {
      throw fail(site, 400, 'SecurityGroupInvalidIcmpValue',
        `Invalid value for ICMP code (port_range_max) ${max}. It must be 0 to 255.`);
    }
    if (max !== null && min === null) {
      throw fail(site, 400, 'SecurityGroupMissingIcmpType',
        `ICMP code (port-range-max) ${max} is provided but ICMP type (port-range-min) is missing.`);
    }
  }
}

export function createSecurityGroupRule(store: Store, site: Site, body: Record<string, unknown>): Rule {
  checkAttributes(site, body, SECURITY_GROUP_RULE_POST, SECURITY_GROUP_RULE_READONLY);
  required(site, body, 'security_group_id');
  required(site, body, 'direction');
  const direction = body['direction'];
  if (direction !== 'ingress' && direction !== 'egress') {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for direction. Reason: ${String(direction)} is not in valid_values.`);
  }
  const ethertype = body['ethertype'] ?? 'IPv4';
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6') {
    throw fail(site, 400, 'SecurityGroupRuleInvalidEtherType',
      `Security group rule for ethertype '${String(ethertype)}' not supported. Allowed values are ['IPv4', 'IPv6'].`);
  }
  const group = mustSecurityGroup(store, site, str(body['security_group_id'], ''));
  const protocol = checkProtocol(site, body['protocol']);
  const min = optionalPort(site, body, 'port_range_min');
  const max = optionalPort(site, body, 'port_range_max');
  checkRange(site, protocol, min, max);
  const remoteGroup = body['remote_group_id'] === undefined || body['remote_group_id'] === null
    ? null : mustSecurityGroup(store, site, str(body['remote_group_id'], '')).id;
  const rule = newRule(store, group, {
    direction, ethertype: ethertype as NeutronEthertype, protocol, port_range_min: min, port_range_max: max,
    remote_ip_prefix: typeof body['remote_ip_prefix'] === 'string' ? body['remote_ip_prefix'] : null,
    remote_group_id: remoteGroup, description: str(body['description'], ''),
  });
  const same = group.security_group_rules.find((r) => r.direction === rule.direction && r.ethertype === rule.ethertype &&
    r.protocol === rule.protocol && r.port_range_min === rule.port_range_min && r.port_range_max === rule.port_range_max &&
    r.remote_ip_prefix === rule.remote_ip_prefix && r.remote_group_id === rule.remote_group_id);
  if (same !== undefined) {
    throw fail(site, 409, 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${same.id}.`);
  }
  group.security_group_rules.push(rule);
  store.touch(group);
  return rule;
}

/**
 * A port's `security_groups` as Neutron checks them on POST/PUT: a list of distinct ids of existing groups,
 * and none at all on a port with port security disabled.
 */
export function checkPortSecurityGroups(store: Store, site: Site, raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.some((g) => typeof g !== 'string')) {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for security_groups. Reason: '${String(raw)}' is not a list of ids.`);
  }
  const ids = raw as string[];
  const dup = ids.find((g, i) => ids.indexOf(g) !== i);
  if (dup !== undefined) {
    throw fail(site, 400, 'HTTPBadRequest', `Invalid input for security_groups. Reason: Duplicate items in the list: '${dup}'.`);
  }
  for (const id of ids) mustSecurityGroup(store, site, id);
  return [...ids];
}
