// NetworkDriver.ProgramExternalConnectivity / RevokeExternalConnectivity: `docker run --expose` / `-p` become
// ingress rules in a security group `<port id>-exposed_ports` put in front of the endpoint's port groups, and
// are taken away again. The pure half (option parsing, range grouping, rule shapes) is separate from the
// Neutron half. The port is found by the endpoint's identity (tags), not upstream's `<EndpointID>-port` name,
// which never matched in tags mode and made --expose a silent no-op.
import type { HandlerContext } from '../context.ts';
import { ignoreNotFound, InvalidRequestError, isNotFound } from '../errors.ts';
import type { NeutronBody } from '../neutron/client.ts';
import { findEndpointPort, requireEndpointPort } from '../neutron/lookup.ts';
import { EXPOSED_PORTS_GROUP_DESCRIPTION, exposedPortsGroupName } from '../neutron/naming.ts';
import type { NeutronEthertype, NeutronPort } from '../neutron/types.ts';
import type { EndpointRequest } from '../protocol/schemas.ts';
import { withRollback } from '../util/undo-stack.ts';

export const EXPOSED_PORTS_OPTION = 'com.docker.network.endpoint.exposedports';
export const PORT_MAP_OPTION = 'com.docker.network.portmap';

export type ExposedProtocol = 'icmp' | 'tcp' | 'udp';

export interface ExposedPort {
  protocol: ExposedProtocol;
  /** tcp/udp: the container port; icmp: the ICMP type */
  port: number;
}

export interface PortRange { min: number; max: number }

/** one security group rule to create, in domain terms */
export interface ExposureRule {
  protocol: ExposedProtocol;
  ethertype: NeutronEthertype;
  portRangeMin: number;
  /** null for icmp: any code of the type */
  portRangeMax: number | null;
}

/** libnetwork's types.Protocol numbers (IANA protocol numbers) that can become a Neutron rule */
const PROTOCOLS: ReadonlyMap<number, ExposedProtocol> = new Map([[1, 'icmp'], [6, 'tcp'], [17, 'udp']]);
const PROTOCOL_ORDER: readonly ExposedProtocol[] = ['icmp', 'tcp', 'udp'];
/** what the numbers Docker might also send are, for a readable refusal */
const KNOWN_UNSUPPORTED: ReadonlyMap<number, string> = new Map([[58, 'icmpv6'], [132, 'sctp']]);

// -- pure helpers -----------------------------------------------------------------------------------------

export function protocolName(proto: number): ExposedProtocol {
  const name = PROTOCOLS.get(proto);
  if (name !== undefined) return name;
  const known = KNOWN_UNSUPPORTED.get(proto);
  throw new InvalidRequestError('ERR_UNSUPPORTED',
    `cannot expose protocol number ${proto}${known === undefined ? '' : ` (${known})`}: ` +
    'only 1 (icmp), 6 (tcp) and 17 (udp) can become security group rules');
}

function entriesOf(options: Record<string, unknown>, key: string): unknown[] {
  const v = options[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidRequestError('ERR_INVALID_REQUEST', `Options["${key}"] must be a list`);
  return v;
}

function integerField(entry: Record<string, unknown>, field: string, where: string): number {
  const v = entry[field];
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new InvalidRequestError('ERR_INVALID_REQUEST', `${where}.${field} must be an integer, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return v;
}

/**
 * The container ports a Program request asks to open: Options[exposedports] (`{Proto, Port}`) plus the
 * container side of Options[portmap] (`{Proto, Port, HostPort, ...}`), deduplicated and sorted by protocol
 * then port. dockerd lists a `-p` port in both. Throws InvalidRequestError on a malformed entry, a protocol
 * other than icmp/tcp/udp, or a port out of range (tcp/udp 1-65535, ICMP type 0-255).
 */
export function parseExposedPorts(options: Record<string, unknown>): ExposedPort[] {
  const seen = new Map<string, ExposedPort>();
  for (const key of [EXPOSED_PORTS_OPTION, PORT_MAP_OPTION]) {
    entriesOf(options, key).forEach((raw, i) => {
      const where = `Options["${key}"][${i}]`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new InvalidRequestError('ERR_INVALID_REQUEST', `${where} must be an object with Proto and Port`);
      }
      const entry = raw as Record<string, unknown>;
      const protocol = protocolName(integerField(entry, 'Proto', where));
      const port = integerField(entry, 'Port', where);
      const [lo, hi] = protocol === 'icmp' ? [0, 255] : [1, 65535];
      if (port < lo || port > hi) {
        throw new InvalidRequestError('ERR_INVALID_REQUEST',
          `${where}: ${protocol} ${protocol === 'icmp' ? 'type' : 'port'} ${port} is not in ${lo}-${hi}`);
      }
      seen.set(`${protocol}/${port}`, { protocol, port });
    });
  }
  return [...seen.values()].sort((a, b) =>
    PROTOCOL_ORDER.indexOf(a.protocol) - PROTOCOL_ORDER.indexOf(b.protocol) || a.port - b.port);
}

/** Group port numbers into maximal runs of consecutive numbers: [80, 81, 82, 90] → 80-82, 90-90. */
export function portRanges(ports: readonly number[]): PortRange[] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const out: PortRange[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && p === last.max + 1) last.max = p;
    else out.push({ min: p, max: p });
  }
  return out;
}

/**
 * The rules that open exactly `ports`: per ethertype, one per consecutive tcp/udp range, and one per ICMP type
 * (IPv4 only: protocol number 1 is ICMP for IPv4; ICMPv6 is another protocol with other type numbers).
 */
export function exposureRules(ports: readonly ExposedPort[], ethertypes: readonly NeutronEthertype[]): ExposureRule[] {
  const rules: ExposureRule[] = [];
  for (const ethertype of ethertypes) {
    for (const protocol of PROTOCOL_ORDER) {
      const numbers = ports.filter((p) => p.protocol === protocol).map((p) => p.port);
      if (protocol === 'icmp') {
        if (ethertype !== 'IPv4') continue;
        for (const type of [...new Set(numbers)].sort((a, b) => a - b)) {
          rules.push({ protocol, ethertype, portRangeMin: type, portRangeMax: null });
        }
        continue;
      }
      for (const r of portRanges(numbers)) rules.push({ protocol, ethertype, portRangeMin: r.min, portRangeMax: r.max });
    }
  }
  return rules;
}

/** IPv4 always (as upstream), plus IPv6 when the port has an IPv6 address */
export function portEthertypes(port: Pick<NeutronPort, 'fixed_ips'>): NeutronEthertype[] {
  return port.fixed_ips.some((f) => f.ip_address.includes(':')) ? ['IPv4', 'IPv6'] : ['IPv4'];
}

export function ruleBody(securityGroupId: string, rule: ExposureRule): NeutronBody {
  return {
    security_group_id: securityGroupId,
    direction: 'ingress',
    ethertype: rule.ethertype,
    protocol: rule.protocol,
    port_range_min: rule.portRangeMin,
    port_range_max: rule.portRangeMax,
  };
}

// -- Neutron I/O ------------------------------------------------------------------------------------------

export async function programExternalConnectivity(ctx: HandlerContext, req: EndpointRequest): Promise<Record<string, never>> {
  if (!ctx.config.default.processExternalConnectivity) return {};
  // parsed before any Neutron call, so a bad request changes nothing
  const exposed = parseExposedPorts(req.Options);
  if (exposed.length === 0) return {};
  await ctx.locks.run(`ep:${req.EndpointID}`, async () => {
    const port = await requireEndpointPort(ctx.neutron, ctx.identity, req.EndpointID);
    const log = { endpointId: req.EndpointID, portId: port.id };
    if (port.port_security_enabled === false) {
      // no security groups apply to the port: every port is already open
      ctx.log.info(log, 'port security is disabled on the port; nothing to expose');
      return;
    }
    const name = exposedPortsGroupName(port.id);
    // a group from an earlier Program (dockerd may send it twice) is replaced, not added to
    const stale = await ctx.neutron.listSecurityGroups({ name });
    const staleIds = new Set(stale.map((g) => g.id));
    const previous = port.security_groups ?? [];
    const kept = previous.filter((id) => !staleIds.has(id));
    const rules = exposureRules(exposed, portEthertypes(port));

    const groupId = await withRollback(async (undo) => {
      const group = await ctx.neutron.createSecurityGroup({
        name, description: EXPOSED_PORTS_GROUP_DESCRIPTION,
        ...(typeof port.project_id === 'string' && port.project_id !== '' ? { project_id: port.project_id } : {}),
      });
      // deleting the group takes its rules with it
      undo.push(`delete security group ${group.id}`, () => ignoreNotFound(ctx.neutron.deleteSecurityGroup(group.id)));
      for (const rule of rules) await ctx.neutron.createSecurityGroupRule(ruleBody(group.id, rule));
      // pushed before the PUT: a PUT that timed out may still have been applied, and restoring is harmless
      undo.push(`restore security groups of port ${port.id}`,
        () => ctx.neutron.updatePort(port.id, { security_groups: previous }));
      await ctx.neutron.updatePort(port.id, { security_groups: [group.id, ...kept] });
      return group.id;
    }, (label, error) => ctx.log.warn({ ...log, err: error, undo: label }, 'rollback step failed'));

    // the port no longer names the old groups: removing them is clean-up, and Revoke retries what fails here
    for (const g of stale) {
      try {
        await ignoreNotFound(ctx.neutron.deleteSecurityGroup(g.id));
      } catch (err) {
        ctx.log.warn({ ...log, securityGroupId: g.id, err }, 'could not delete the replaced exposed-ports security group');
      }
    }
    ctx.log.info({ ...log, securityGroupId: groupId, rules: rules.length,
      ports: exposed.map((p) => `${p.port}/${p.protocol}`) }, 'exposed ports programmed');
  });
  return {};
}

export async function revokeExternalConnectivity(ctx: HandlerContext, req: EndpointRequest): Promise<Record<string, never>> {
  if (!ctx.config.default.processExternalConnectivity) return {};
  await ctx.locks.run(`ep:${req.EndpointID}`, async () => {
    const port = await findEndpointPort(ctx.neutron, ctx.identity, req.EndpointID);
    if (port === undefined) {
      ctx.log.debug({ endpointId: req.EndpointID }, 'no port for this endpoint; nothing to revoke');
      return;
    }
    await removeExposedGroups(ctx, req.EndpointID, port);
  });
  return {};
}

/**
 * Take our `<port>-exposed_ports` groups off the port and delete them. Also run by DeleteEndpoint, so a group
 * is not left behind when dockerd never sent Revoke (a crash, a daemon restart).
 */
export async function removeExposedGroups(ctx: HandlerContext, endpointId: string, port: NeutronPort): Promise<void> {
  const ours = await ctx.neutron.listSecurityGroups({ name: exposedPortsGroupName(port.id) });
  if (ours.length === 0) return;
  const ids = new Set(ours.map((g) => g.id));
  const current = port.security_groups ?? [];
  if (current.some((id) => ids.has(id))) {
    try {
      await ctx.neutron.updatePort(port.id, { security_groups: current.filter((id) => !ids.has(id)) });
    } catch (err) {
      // a port deleted meanwhile names no group any more
      if (!isNotFound(err)) throw err;
    }
  }
  for (const g of ours) await ignoreNotFound(ctx.neutron.deleteSecurityGroup(g.id));
  ctx.log.info({ endpointId, portId: port.id, securityGroupIds: [...ids] }, 'exposed ports revoked');
}
