// IpamDriver.ReleasePool: delete the subnetpool the plugin created for this Docker pool (and the kuryr
// subnets allocated from it), and drop the pool-id tag from a pre-existing subnet adopted for it. Pre-existing
// pools and the operator's default pools are never deleted. dockerd calls this before DeleteNetwork, so a pool
// still in use is left for DeleteNetwork to retry.
import type { HandlerContext } from '../context.ts';
import type { KuryrConfig } from '../config/types.ts';
import { ConflictError, InvalidRequestError, NotFoundError, ignoreNotFound } from '../errors.ts';
import { getPoolOrUndefined } from '../neutron/lookup.ts';
import { SUBNET_NAME_PREFIX, TAG_POOL_EXISTING, hasTag } from '../neutron/naming.ts';
import type { NeutronSubnetPool } from '../neutron/types.ts';
import { parsePoolId } from './pool-id.ts';

export async function releasePool(ctx: HandlerContext, req: { PoolID: string }): Promise<Record<string, never>> {
  if (req.PoolID === '') return {};
  const ref = parsePoolId(req.PoolID);
  if (ref.cidr !== undefined) {
    // carved from a default pool: the pool is the operator's; the subnet goes with DeleteNetwork
    ctx.pendingCidrs.delete(req.PoolID);
    return {};
  }
  const pool = await getPoolOrUndefined(ctx.neutron, ref.poolId);
  if (pool === undefined) return {};
  await untagAdoptedSubnets(ctx, pool);
  if (hasTag(pool, TAG_POOL_EXISTING)) {
    await ignoreNotFound(ctx.identity.untag(ctx.neutron, 'subnetpools', pool.id, TAG_POOL_EXISTING));
    return {};
  }
  if (!isPoolOurs(ctx.config, pool)) return {};
  for (const subnet of await ctx.neutron.listSubnets({ subnetpool_id: pool.id })) {
    if (!subnet.name.startsWith(SUBNET_NAME_PREFIX)) continue;
    await ctx.neutron.deleteSubnet(subnet.id).catch((e: unknown) => {
      if (e instanceof NotFoundError) return;
      ctx.log.info({ subnetId: subnet.id, err: e }, 'subnet still in use; DeleteNetwork removes it later');
    });
  }
  await deletePoolIfUnused(ctx, pool.id);
  return {};
}

/** a subnet that existed before (not allocated from the pool) only carries the pool id as a tag: remove it */
async function untagAdoptedSubnets(ctx: HandlerContext, pool: NeutronSubnetPool): Promise<void> {
  const cidr = pool.prefixes[0];
  if (cidr === undefined) return;
  for (const subnet of await ctx.neutron.listSubnets({ cidr, tags: pool.id })) {
    if (subnet.subnetpool_id === pool.id) continue;
    await ignoreNotFound(ctx.identity.untag(ctx.neutron, 'subnets', subnet.id, pool.id));
  }
}

/** a pool the plugin created: our name prefix, not tagged pre-existing, not a configured default pool */
export function isPoolOurs(config: KuryrConfig, pool: NeutronSubnetPool): boolean {
  if (hasTag(pool, TAG_POOL_EXISTING)) return false;
  if (pool.name === config.neutron.defaultSubnetpoolV4 || pool.name === config.neutron.defaultSubnetpoolV6) return false;
  return pool.name.startsWith(`${config.default.subnetpoolNamePrefix}-`);
}

/** delete a pool; one still holding subnets (Neutron answers 400 or 409) is kept and reported as such */
export async function deletePoolIfUnused(ctx: HandlerContext, poolId: string): Promise<boolean> {
  try {
    await ctx.neutron.deleteSubnetPool(poolId);
    ctx.log.info({ poolId }, 'deleted subnetpool');
    return true;
  } catch (e) {
    if (e instanceof NotFoundError) return true;
    if (e instanceof ConflictError || e instanceof InvalidRequestError) {
      ctx.log.info({ poolId }, 'subnetpool still has allocations; kept');
      return false;
    }
    throw e;
  }
}
