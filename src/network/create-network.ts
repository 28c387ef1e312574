// NetworkDriver.CreateNetwork: the Neutron network behind a Docker network — created and tagged with the Docker
// id, or an existing one named with neutron.net.uuid/name, tagged and marked `kuryr.net.existing:<id12>` — and
// per address family the subnet: an existing one (named with neutron.subnet.*, or with the pool's CIDR on the
// network), adopted by tagging it with the pool id, or a new `kuryr-subnet-<cidr>` allocated from the pool.
// Any failure undoes what this call did.
import type { HandlerContext } from '../context.ts';
import { ConflictError, InvalidRequestError, NotFoundError, PluginError, ignoreNotFound } from '../errors.ts';
import { findNetwork } from '../neutron/lookup.ts';
import { VNIC_TAG_PREFIX, dockerIdTags, existingNetworkTag, hasTag, poolName, subnetName } from '../neutron/naming.ts';
import { resolveNetwork, resolvePool, resolveSubnet } from '../neutron/resolve.ts';
import type { NeutronNetwork, NeutronSubnet, NeutronSubnetPool } from '../neutron/types.ts';
import { genericOptions, hasRef, parseNeutronOptions, type NeutronOptions } from '../protocol/options.ts';
import type { CreateNetworkRequest } from '../protocol/schemas.ts';
import { networkOf, overlaps, prefixLen, splitCidr } from '../util/ip.ts';
import { withRollback, type UndoStack } from '../util/undo-stack.ts';

interface FamilyData { Pool: string; Gateway?: string | undefined; AddressSpace: string }
type Family = 'v4' | 'v6';

export async function createNetwork(ctx: HandlerContext, req: CreateNetworkRequest): Promise<Record<string, never>> {
  const opts = parseNeutronOptions(genericOptions(req.Options));
  const families: [Family, FamilyData | undefined][] = [['v4', req.IPv4Data[0]], ['v6', req.IPv6Data[0]]];
  await ctx.locks.run(`net:${req.NetworkID}`, () => withRollback(async (undo) => {
    const network = (await findNetwork(ctx.neutron, ctx.identity, req.NetworkID))
      ?? (hasRef(opts.network)
        ? await adoptNetwork(ctx, req.NetworkID, opts, undo)
        : await createTaggedNetwork(ctx, req.NetworkID, opts.shared ?? false, undo));
    for (const [family, data] of families) {
      if (data !== undefined) await ensureSubnet(ctx, network, family, data, opts, undo);
    }
    if (opts.vnicType !== undefined && opts.vnicType !== 'normal') await markVnicType(ctx, network, opts.vnicType, undo);
  }, (label, error) => ctx.log.error({ networkId: req.NetworkID, step: label, err: error }, 'rollback step failed')));
  return {};
}

/** `-o kuryr.vnic_type=…`: refused now if no enabled driver serves it, remembered as a network tag */
async function markVnicType(ctx: HandlerContext, network: NeutronNetwork, vnicType: string, undo: UndoStack): Promise<void> {
  ctx.portDrivers.forVnicType(vnicType);
  ctx.identity.requireTags('the kuryr.vnic_type option');
  const tag = VNIC_TAG_PREFIX + vnicType;
  if (hasTag(network, tag)) return;
  await ctx.identity.tag(ctx.neutron, 'networks', network.id, tag);
  undo.push(`untag network ${network.id}`, () => ignoreNotFound(ctx.identity.untag(ctx.neutron, 'networks', network.id, tag)));
}

async function createTaggedNetwork(
  ctx: HandlerContext, dockerNetworkId: string, shared: boolean, undo: UndoStack,
): Promise<NeutronNetwork> {
  const network = await ctx.neutron.createNetwork({ name: ctx.identity.networkName(dockerNetworkId), admin_state_up: true, shared });
  undo.push(`delete network ${network.id}`, () => ctx.neutron.deleteNetwork(network.id));
  for (const tag of dockerIdTags(dockerNetworkId)) await ctx.identity.tag(ctx.neutron, 'networks', network.id, tag);
  ctx.log.info({ networkId: dockerNetworkId, neutronNetworkId: network.id }, 'created network');
  return network;
}

async function adoptNetwork(
  ctx: HandlerContext, dockerNetworkId: string, opts: NeutronOptions, undo: UndoStack,
): Promise<NeutronNetwork> {
  ctx.identity.requireTags('neutron.net.* options (adopting an existing network)');
  const network = await resolveNetwork(ctx.neutron, opts.network);
  // checked before anything is tagged (upstream tagged first and left the tags behind on this error)
  if (opts.shared !== undefined && network.shared !== opts.shared) {
    throw new ConflictError('ERR_OPTION_CONFLICT',
      `neutron.net.shared=${opts.shared} but network ${network.id} has shared=${network.shared}`);
  }
  for (const tag of [...dockerIdTags(dockerNetworkId), existingNetworkTag(dockerNetworkId)]) {
    if (hasTag(network, tag)) continue;
    await ctx.neutron.addTag('networks', network.id, tag);
    undo.push(`untag network ${network.id}`, () => ctx.neutron.removeTag('networks', network.id, tag));
  }
  ctx.log.info({ networkId: dockerNetworkId, neutronNetworkId: network.id }, 'adopted existing network');
  return network;
}

async function ensureSubnet(
  ctx: HandlerContext, network: NeutronNetwork, family: Family, data: FamilyData, opts: NeutronOptions, undo: UndoStack,
): Promise<void> {
  const cidr = networkOf(data.Pool);
  if (hasRef(opts.subnet[family])) ctx.identity.requireTags('neutron.subnet.* options');
  const named = hasRef(opts.subnet[family]) ? await resolveSubnet(ctx.neutron, opts.subnet[family]) : undefined;
  if (named !== undefined && named.network_id !== network.id) {
    throw new InvalidRequestError('ERR_INVALID_REQUEST',
      `subnet ${named.id} named by neutron.subnet.${family === 'v6' ? 'v6.' : ''}* is not on network ${network.id}`);
  }
  const pool = await poolForCidr(ctx, cidr, family, opts, named);
  let subnet: NeutronSubnet | undefined = named;
  if (subnet === undefined) {
    const existing = await ctx.neutron.listSubnets({ network_id: network.id, cidr });
    if (existing.length > 1) {
      throw new PluginError('ERR_DUPLICATE_RESOURCE', `several subnets with CIDR ${cidr} on network ${network.id}`);
    }
    subnet = existing[0];
  }
  if (subnet === undefined) {
    const gateway = data.Gateway ? splitCidr(data.Gateway).ip : undefined;
    const created = await ctx.neutron.createSubnet({
      name: subnetName(cidr),
      network_id: network.id,
      ip_version: family === 'v6' ? 6 : 4,
      cidr,
      enable_dhcp: ctx.config.neutron.enableDhcp,
      subnetpool_id: pool.id,
      // a placeholder gateway (0.0.0.0/0, ::/0) from RequestAddress means "no gateway"
      ...(gateway !== undefined && prefixLen(data.Gateway ?? '') !== 0 ? { gateway_ip: gateway } : {}),
    });
    undo.push(`delete subnet ${created.id}`, () => ctx.neutron.deleteSubnet(created.id));
    ctx.pendingCidrs.delete(`${pool.id}/${cidr}`);
    ctx.log.info({ subnetId: created.id, cidr, poolId: pool.id }, 'created subnet');
    subnet = created;
  }
  if (!hasTag(subnet, pool.id)) {
    const id = subnet.id;
    await ctx.identity.tag(ctx.neutron, 'subnets', id, pool.id);
    undo.push(`untag subnet ${id}`, () => ignoreNotFound(ctx.identity.untag(ctx.neutron, 'subnets', id, pool.id)));
  }
}

/**
 * Which subnetpool stands for the Docker pool with this CIDR: the pool named with neutron.pool.* (when its
 * prefix matches), our `<prefix>-<cidr>` pool (tagged with the subnet id when one was named), or the default
 * subnetpool the CIDR was carved from.
 */
async function poolForCidr(
  ctx: HandlerContext, cidr: string, family: Family, opts: NeutronOptions, named: NeutronSubnet | undefined,
): Promise<NeutronSubnetPool> {
  if (hasRef(opts.pool[family])) {
    const pool = await resolvePool(ctx.neutron, opts.pool[family]);
    if (pool.prefixes[0] !== undefined && networkOf(pool.prefixes[0]) === cidr) return pool;
  }
  const name = poolName(ctx.config.default.subnetpoolNamePrefix, cidr);
  const ours = await ctx.neutron.listSubnetPools({ name, ...(named === undefined ? {} : { tags: named.id }) });
  if (ours.length > 1) {
    throw new PluginError('ERR_DUPLICATE_RESOURCE', `Multiple subnetpools have the same pool name ${name}`);
  }
  if (ours[0] !== undefined) return ours[0];
  const defaultName = family === 'v6' ? ctx.config.neutron.defaultSubnetpoolV6 : ctx.config.neutron.defaultSubnetpoolV4;
  const defaults = await ctx.neutron.listSubnetPools({ name: defaultName });
  const carvedFrom = defaults.find((p) => p.prefixes.some((prefix) => overlaps(prefix, cidr) && prefixLen(prefix) <= prefixLen(cidr)));
  if (carvedFrom !== undefined) return carvedFrom;
  throw new NotFoundError('ERR_POOL_NOT_FOUND',
    `Specified pool name(${name}) does not exist: create the network with --ipam-driver kuryr so the pool exists`);
}
