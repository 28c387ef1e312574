// IpamDriver.RequestPool. With --subnet the Docker pool is a Neutron subnetpool `<prefix>-<cidr>`, found or
// created (find-or-create: with local scope every host asks, and dockerd may replay), tagged with the subnet id
// when the user pinned a subnet (neutron.subnet.*) so overlapping CIDRs on different networks stay apart. A
// pool named with neutron.pool.* is used when its prefix matches, and marked pre-existing. Without --subnet a
// free CIDR is carved from the operator's default subnetpool (`kuryr` / `kuryr6`). --ip-range narrows the pool
// to the range, as upstream.
import type { HandlerContext } from '../context.ts';
import { ConflictError, NotFoundError, PluginError } from '../errors.ts';
import { TAG_POOL_EXISTING, hasTag, poolName } from '../neutron/naming.ts';
import { resolvePool, resolveSubnet } from '../neutron/resolve.ts';
import type { NeutronSubnetPool } from '../neutron/types.ts';
import { hasRef, parseNeutronOptions, type NeutronOptions } from '../protocol/options.ts';
import type { RequestPoolRequest } from '../protocol/schemas.ts';
import { firstFreeSubnet, networkOf, prefixLen } from '../util/ip.ts';
import { encodePoolId } from './pool-id.ts';

export interface RequestPoolReply { PoolID: string; Pool: string; Data: Record<string, string> }

export async function requestPool(ctx: HandlerContext, req: RequestPoolRequest): Promise<RequestPoolReply> {
  const opts = parseNeutronOptions(req.Options);
  const family = req.V6 ? 'v6' : 'v4';
  const requested = req.SubPool !== '' ? req.SubPool : req.Pool;
  if (requested === '') return carveFromDefaultPool(ctx, req.V6);
  const cidr = networkOf(requested);

  const subnetRef = opts.subnet[family];
  if (hasRef(subnetRef)) ctx.identity.requireTags(`neutron.subnet.${family === 'v6' ? 'v6.' : ''}* options`);
  const subnetId = hasRef(subnetRef) ? (await resolveSubnet(ctx.neutron, subnetRef)).id : undefined;

  const poolRef = opts.pool[family];
  if (hasRef(poolRef)) {
    const pool = await resolvePool(ctx.neutron, poolRef);
    if (pool.prefixes[0] !== undefined && networkOf(pool.prefixes[0]) === cidr) {
      checkShared(opts, pool);
      if (!hasTag(pool, TAG_POOL_EXISTING)) await ctx.identity.tag(ctx.neutron, 'subnetpools', pool.id, TAG_POOL_EXISTING);
      return { PoolID: pool.id, Pool: cidr, Data: {} };
    }
    // a named pool whose prefix differs from --subnet is not used (upstream bug 1695678): a pool of our own is
    ctx.log.info({ poolId: pool.id, prefixes: pool.prefixes, cidr }, 'named subnetpool does not match --subnet; using a kuryr pool');
  }
  return findOrCreateKuryrPool(ctx, cidr, subnetId, opts);
}

function checkShared(opts: NeutronOptions, pool: NeutronSubnetPool): void {
  if (opts.shared !== undefined && pool.shared !== opts.shared) {
    throw new ConflictError('ERR_OPTION_CONFLICT',
      `neutron.net.shared=${opts.shared} but subnetpool ${pool.id} has shared=${pool.shared}`);
  }
}

async function findOrCreateKuryrPool(
  ctx: HandlerContext, cidr: string, subnetId: string | undefined, opts: NeutronOptions,
): Promise<RequestPoolReply> {
  const name = poolName(ctx.config.default.subnetpoolNamePrefix, cidr);
  return ctx.locks.run(`pool:${name}`, async () => {
    const found = await ctx.neutron.listSubnetPools({ name, ...(subnetId === undefined ? {} : { tags: subnetId }) });
    if (found.length > 1) {
      throw new PluginError('ERR_DUPLICATE_RESOURCE',
        `Multiple subnetpools have the same pool name ${name}: ${found.map((p) => p.id).join(', ')}`);
    }
    let pool = found[0];
    if (pool === undefined) {
      pool = await ctx.neutron.createSubnetPool({
        name, prefixes: [cidr], default_prefixlen: prefixLen(cidr), shared: opts.shared ?? false,
      });
      ctx.log.info({ poolId: pool.id, name, cidr }, 'created subnetpool');
      if (subnetId !== undefined) {
        try {
          await ctx.neutron.addTag('subnetpools', pool.id, subnetId);
        } catch (err) {
          await ctx.neutron.deleteSubnetPool(pool.id).catch(() => undefined);
          throw err;
        }
      }
    }
    return { PoolID: pool.id, Pool: cidr, Data: {} };
  });
}

/**
 * No --subnet: take the next free CIDR of the default pool's default prefix length. Upstream answered the whole
 * default pool prefix here, which then broke CreateNetwork; handing out one subnet-sized CIDR per network is
 * what `openstack subnet create --subnet-pool` does.
 */
async function carveFromDefaultPool(ctx: HandlerContext, v6: boolean): Promise<RequestPoolReply> {
  const name = v6 ? ctx.config.neutron.defaultSubnetpoolV6 : ctx.config.neutron.defaultSubnetpoolV4;
  let pool: NeutronSubnetPool;
  try {
    pool = await resolvePool(ctx.neutron, { name });
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    throw new NotFoundError('ERR_POOL_NOT_FOUND',
      `no --subnet given and there is no default subnetpool named ${name} ([neutron] default_subnetpool_${v6 ? 'v6' : 'v4'}): ` +
      `create it (openstack subnet pool create --pool-prefix <cidr> --default-prefix-length <n> ${name}) or pass --subnet`, { cause: e });
  }
  return ctx.locks.run(`pool:${pool.id}`, async () => {
    const used = (await ctx.neutron.listSubnets({ subnetpool_id: pool.id })).map((s) => s.cidr);
    const pending = [...ctx.pendingCidrs].filter((k) => k.startsWith(`${pool.id}/`)).map((k) => k.slice(pool.id.length + 1));
    const len = Number(pool.default_prefixlen);
    const cidr = firstFreeSubnet(pool.prefixes, len, [...used, ...pending]);
    if (cidr === undefined) {
      throw new PluginError('ERR_POOL_NOT_FOUND', `default subnetpool ${name} (${pool.prefixes.join(', ')}) has no free /${len} left`);
    }
    ctx.pendingCidrs.add(`${pool.id}/${cidr}`);
    ctx.log.info({ poolId: pool.id, cidr }, 'carved a subnet from the default subnetpool');
    return { PoolID: encodePoolId({ poolId: pool.id, cidr }), Pool: cidr, Data: {} };
  });
}
