// IpamDriver.ReleaseAddress: give an address back. A port the plugin created is deleted; an adopted port is
// handed back (binding, owner and our tag cleared, the port kept). Idempotent: nothing found is success.
import type { HandlerContext } from '../context.ts';
import { ignoreNotFound } from '../errors.ts';
import { subnetsForPool } from '../neutron/lookup.ts';
import { TAG_PORT_CREATED, TAG_PORT_EXISTING, UNBOUND_PORT_NAME, endpointPortName, hasTag } from '../neutron/naming.ts';
import type { NeutronPort } from '../neutron/types.ts';
import type { ReleaseAddressRequest } from '../protocol/schemas.ts';
import { sameIp } from '../util/ip.ts';

export async function releaseAddress(ctx: HandlerContext, req: ReleaseAddressRequest): Promise<Record<string, never>> {
  const subnets = await subnetsForPool(ctx.neutron, ctx.identity, req.PoolID);
  if (subnets.length === 0) {
    ctx.log.debug({ poolId: req.PoolID, address: req.Address }, 'release: subnet already deleted');
    return {};
  }
  const subnetIds = new Set(subnets.map((s) => s.id));
  // IPs are not unique across networks: only ports whose matching address lies in this pool's subnets count
  const ports = (await ctx.neutron.listPorts({ fixed_ips: [`ip_address=${req.Address}`] }))
    .filter((p) => p.fixed_ips.some((f) => subnetIds.has(f.subnet_id) && sameIp(f.ip_address, req.Address)));
  for (const port of ports) {
    for (const f of port.fixed_ips) ctx.adoptedAddresses.delete(`${port.id}/${f.subnet_id}`);
    if (createdByUs(port)) {
      await ignoreNotFound(ctx.neutron.deletePort(port.id));
      ctx.log.info({ portId: port.id, address: req.Address }, 'deleted port');
    } else if (hasTag(port, TAG_PORT_EXISTING)) {
      // adoption requires an empty device_id, so whatever is there now is the endpoint id we set: clear it
      // (upstream cleared it only for ports it had renamed, so a user-named port could never be reused)
      await ignoreNotFound(ctx.neutron.updatePort(port.id, { device_owner: '', 'binding:host_id': '', device_id: '' }));
      await ignoreNotFound(ctx.identity.untag(ctx.neutron, 'ports', port.id, TAG_PORT_EXISTING));
      ctx.log.info({ portId: port.id, address: req.Address }, 'handed back adopted port');
    }
  }
  return {};
}

function createdByUs(port: NeutronPort): boolean {
  if (hasTag(port, TAG_PORT_CREATED)) return true;
  if ((port.tags ?? []).length > 0) return false;
  // without tag support ports are recognised by name, as the Python plugin does: <device_id>-port once an
  // endpoint claimed it, kuryr-unbound-port while only RequestAddress has
  if (port.device_id !== '' && port.name === endpointPortName(port.device_id)) return true;
  return port.name === UNBOUND_PORT_NAME && port.device_id === '' && port.device_owner === '';
}

