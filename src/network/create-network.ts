// NetworkDriver.CreateNetwork: a Neutron network tagged with the Docker network id, and per address family a
// subnet `kuryr-subnet-<cidr>` allocated from the Docker pool's subnetpool (or an existing subnet with that
// CIDR on the network, adopted by tagging it with the pool id). Any failure undoes what this call created.
import type { HandlerContext } from '../context.ts';
import { NotFoundError, PluginError } from '../errors.ts';
import { findNetwork } from '../neutron/lookup.ts';
import { dockerIdTags, hasTag, networkName, poolName, subnetName } from '../neutron/naming.ts';
import type { NeutronNetwork } from '../neutron/types.ts';
import { genericOptions, parseNeutronOptions } from '../protocol/options.ts';
import type { CreateNetworkRequest } from '../protocol/schemas.ts';
import { networkOf, splitCidr } from '../util/ip.ts';
import { withRollback, type UndoStack } from '../util/undo-stack.ts';

interface FamilyData { Pool: string; Gateway?: string | undefined; AddressSpace: string }

export async function createNetwork(ctx: HandlerContext, req: CreateNetworkRequest): Promise<Record<string, never>> {
  const opts = parseNeutronOptions(genericOptions(req.Options));
  const families = [req.IPv4Data[0], req.IPv6Data[0]].filter((d) => d !== undefined);
  await ctx.locks.run(`net:${req.NetworkID}`, () => withRollback(async (undo) => {
    const network = (await findNetwork(ctx.neutron, req.NetworkID)) ?? await createTaggedNetwork(ctx, req.NetworkID, opts.shared, undo);
    for (const data of families) await ensureSubnet(ctx, network, data, undo);
  }, (label, error) => ctx.log.error({ networkId: req.NetworkID, step: label, err: error }, 'rollback step failed')));
  return {};
}

async function createTaggedNetwork(
  ctx: HandlerContext, dockerNetworkId: string, shared: boolean, undo: UndoStack,
): Promise<NeutronNetwork> {
  const network = await ctx.neutron.createNetwork({ name: networkName(dockerNetworkId), admin_state_up: true, shared });
  undo.push(`delete network ${network.id}`, () => ctx.neutron.deleteNetwork(network.id));
  for (const tag of dockerIdTags(dockerNetworkId)) await ctx.neutron.addTag('networks', network.id, tag);
  ctx.log.info({ networkId: dockerNetworkId, neutronNetworkId: network.id }, 'created network');
  return network;
}

async function ensureSubnet(ctx: HandlerContext, network: NeutronNetwork, data: FamilyData, undo: UndoStack): Promise<void> {
  const cidr = networkOf(data.Pool);
  const name = poolName(ctx.config.default.subnetpoolNamePrefix, cidr);
  const pools = await ctx.neutron.listSubnetPools({ name });
  const pool = pools[0];
  if (pool === undefined) throw new NotFoundError('ERR_POOL_NOT_FOUND', `Specified pool name(${name}) does not exist.`);
  const existing = await ctx.neutron.listSubnets({ network_id: network.id, cidr });
  if (existing.length > 1) {
    throw new PluginError('ERR_DUPLICATE_RESOURCE', `several subnets with CIDR ${cidr} on network ${network.id}`);
  }
  let subnet = existing[0];
  if (subnet === undefined) {
    const gateway = data.Gateway ? splitCidr(data.Gateway).ip : undefined;
    subnet = await ctx.neutron.createSubnet({
      name: subnetName(cidr),
      network_id: network.id,
      ip_version: cidr.includes(':') ? 6 : 4,
      cidr,
      enable_dhcp: ctx.config.neutron.enableDhcp,
      subnetpool_id: pool.id,
      // a placeholder gateway (0.0.0.0/0, ::/0) from an earlier RequestAddress means "no gateway"
      ...(gateway !== undefined && !isPlaceholder(data.Gateway ?? '') ? { gateway_ip: gateway } : {}),
    });
    const id = subnet.id;
    undo.push(`delete subnet ${id}`, () => ctx.neutron.deleteSubnet(id));
    ctx.log.info({ subnetId: id, cidr, poolId: pool.id }, 'created subnet');
  }
  if (!hasTag(subnet, pool.id)) await ctx.neutron.addTag('subnets', subnet.id, pool.id);
}

function isPlaceholder(gateway: string): boolean {
  return gateway === '0.0.0.0/0' || gateway === '::/0';
}
