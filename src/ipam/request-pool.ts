// IpamDriver.RequestPool: a Docker pool is a Neutron subnetpool `<subnetpool_name_prefix>-<cidr>`, found or
// created (find-or-create because with local scope every host asks for it, and dockerd may replay). With
// --ip-range the pool is the range (SubPool), as upstream.
import { PluginError } from '../errors.ts';
import type { HandlerContext } from '../context.ts';
import { poolName } from '../neutron/naming.ts';
import { parseNeutronOptions } from '../protocol/options.ts';
import type { RequestPoolRequest } from '../protocol/schemas.ts';
import { networkOf, prefixLen } from '../util/ip.ts';

export interface RequestPoolReply { PoolID: string; Pool: string; Data: Record<string, string> }

export async function requestPool(ctx: HandlerContext, req: RequestPoolRequest): Promise<RequestPoolReply> {
  const opts = parseNeutronOptions(req.Options);
  const requested = req.SubPool !== '' ? req.SubPool : req.Pool;
  if (requested === '') {
    throw new PluginError('ERR_UNSUPPORTED',
      'a network without --subnet (default subnetpools) is not supported by this build yet: pass --subnet');
  }
  const cidr = networkOf(requested);
  const name = poolName(ctx.config.default.subnetpoolNamePrefix, cidr);
  return ctx.locks.run(`pool:${name}`, async () => {
    const found = await ctx.neutron.listSubnetPools({ name });
    if (found.length > 1) {
      throw new PluginError('ERR_DUPLICATE_RESOURCE',
        `Multiple subnetpools have the same pool name ${name}: ${found.map((p) => p.id).join(', ')}`);
    }
    let pool = found[0];
    if (pool === undefined) {
      pool = await ctx.neutron.createSubnetPool({
        name, prefixes: [cidr], default_prefixlen: prefixLen(cidr), shared: opts.shared,
      });
      ctx.log.info({ poolId: pool.id, name, cidr }, 'created subnetpool');
    }
    return { PoolID: pool.id, Pool: cidr, Data: {} };
  });
}
