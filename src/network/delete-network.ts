// NetworkDriver.DeleteNetwork. A network the plugin adopted (marked kuryr.net.existing) is handed back: our
// tags come off and only the kuryr-subnet-* subnets we created on it are deleted. A network the plugin created is
// deleted with its subnets, and any of our subnetpools left behind (ReleasePool runs before this and cannot
// delete a pool whose subnet still exists). Idempotent: an unknown network is success.
import type { HandlerContext } from '../context.ts';
import { ignoreNotFound } from '../errors.ts';
import { deletePoolIfUnused, isPoolOurs } from '../ipam/release-pool.ts';
import { findNetwork, getPoolOrUndefined } from '../neutron/lookup.ts';
import { SUBNET_NAME_PREFIX, VNIC_TAG_PREFIX, dockerIdTags, existingNetworkTag, hasTag } from '../neutron/naming.ts';
import type { NeutronNetwork } from '../neutron/types.ts';

export async function deleteNetwork(ctx: HandlerContext, req: { NetworkID: string }): Promise<Record<string, never>> {
  await ctx.locks.run(`net:${req.NetworkID}`, async () => {
    const network = await findNetwork(ctx.neutron, ctx.identity, req.NetworkID);
    if (network === undefined) {
      ctx.log.info({ networkId: req.NetworkID }, 'no Neutron network for this Docker network; nothing to delete');
      return;
    }
    if (hasTag(network, existingNetworkTag(req.NetworkID))) await releaseAdopted(ctx, req.NetworkID, network);
    else await deleteOwn(ctx, req.NetworkID, network);
  });
  return {};
}

async function releaseAdopted(ctx: HandlerContext, dockerNetworkId: string, network: NeutronNetwork): Promise<void> {
  const subnets = await ctx.neutron.listSubnets({ network_id: network.id });
  const poolIds = new Set<string>();
  for (const subnet of subnets) {
    if (!subnet.name.startsWith(SUBNET_NAME_PREFIX)) continue;
    try {
      await ignoreNotFound(ctx.neutron.deleteSubnet(subnet.id));
      if (subnet.subnetpool_id !== null) poolIds.add(subnet.subnetpool_id);
    } catch (err) {
      ctx.log.warn({ subnetId: subnet.id, err }, 'could not delete our subnet on an adopted network; left in place');
    }
  }
  const vnicTags = (network.tags ?? []).filter((t) => t.startsWith(VNIC_TAG_PREFIX));
  for (const tag of [...dockerIdTags(dockerNetworkId), existingNetworkTag(dockerNetworkId), ...vnicTags]) {
    await ignoreNotFound(ctx.identity.untag(ctx.neutron, 'networks', network.id, tag));
  }
  await deleteOurPools(ctx, poolIds);
  ctx.log.info({ networkId: dockerNetworkId, neutronNetworkId: network.id }, 'released adopted network (kept in Neutron)');
}

async function deleteOwn(ctx: HandlerContext, dockerNetworkId: string, network: NeutronNetwork): Promise<void> {
  const subnets = await ctx.neutron.listSubnets({ network_id: network.id });
  const poolIds = new Set(subnets.map((s) => s.subnetpool_id).filter((id): id is string => id !== null));
  for (const subnet of subnets) await ignoreNotFound(ctx.neutron.deleteSubnet(subnet.id));
  await ignoreNotFound(ctx.neutron.deleteNetwork(network.id));
  ctx.log.info({ networkId: dockerNetworkId, neutronNetworkId: network.id }, 'deleted network');
  await deleteOurPools(ctx, poolIds);
}

async function deleteOurPools(ctx: HandlerContext, poolIds: Set<string>): Promise<void> {
  for (const poolId of poolIds) {
    const pool = await getPoolOrUndefined(ctx.neutron, poolId);
    if (pool !== undefined && isPoolOurs(ctx.config, pool)) await deletePoolIfUnused(ctx, poolId);
  }
}
