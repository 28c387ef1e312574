// NetworkDriver.DeleteNetwork: remove the Neutron network the plugin created for a Docker network, its
// subnets, and any of our subnetpools left behind (ReleasePool runs before this and cannot delete a pool whose
// subnet still exists). Idempotent: an unknown network is success.
import type { HandlerContext } from '../context.ts';
import { ignoreNotFound } from '../errors.ts';
import { isPoolOurs, deletePoolIfUnused } from '../ipam/release-pool.ts';
import { findNetwork, getPoolOrUndefined } from '../neutron/lookup.ts';

export async function deleteNetwork(ctx: HandlerContext, req: { NetworkID: string }): Promise<Record<string, never>> {
  await ctx.locks.run(`net:${req.NetworkID}`, async () => {
    const network = await findNetwork(ctx.neutron, req.NetworkID);
    if (network === undefined) {
      ctx.log.info({ networkId: req.NetworkID }, 'no Neutron network for this Docker network; nothing to delete');
      return;
    }
    const subnets = await ctx.neutron.listSubnets({ network_id: network.id });
    const poolIds = new Set(subnets.map((s) => s.subnetpool_id).filter((id): id is string => id !== null));
    for (const subnet of subnets) await ignoreNotFound(ctx.neutron.deleteSubnet(subnet.id));
    await ignoreNotFound(ctx.neutron.deleteNetwork(network.id));
    ctx.log.info({ networkId: req.NetworkID, neutronNetworkId: network.id }, 'deleted network');
    for (const poolId of poolIds) {
      const pool = await getPoolOrUndefined(ctx.neutron, poolId);
      if (pool !== undefined && isPoolOurs(ctx.config, pool)) await deletePoolIfUnused(ctx, poolId);
    }
  });
  return {};
}

