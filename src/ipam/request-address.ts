// IpamDriver.RequestAddress: reserve an address as a Neutron port. The gateway request only reports the
// subnet's gateway (nothing is reserved). A container address adopts an existing port that has the requested
// IP (or MAC) in the pool's subnet — refusing ports that belong to someone else — or creates an unbound port.
import { ConflictError, PluginError } from '../errors.ts';
import type { HandlerContext } from '../context.ts';
import { poolCidr, subnetForPool } from '../neutron/lookup.ts';
import { DEVICE_OWNER, TAG_PORT_CREATED, TAG_PORT_EXISTING, UNBOUND_PORT_NAME, hasTag } from '../neutron/naming.ts';
import type { NeutronPort, NeutronSubnet } from '../neutron/types.ts';
import type { RequestAddressRequest } from '../protocol/schemas.ts';
import { firstHost, prefixLen, sameIp } from '../util/ip.ts';

export const GATEWAY_REQUEST = 'com.docker.network.gateway';
export const MAC_OPTION = 'com.docker.network.endpoint.macaddress';

export interface RequestAddressReply { Address: string; Data: Record<string, string> }

/** Docker sends the MAC as text, or base64 of the 6 bytes when it went through a generic-option map */
export function macFromOption(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(value)) return value.toLowerCase();
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 6 && bytes.toString('base64') === value) {
    return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
  }
  return undefined;
}

export async function requestAddress(ctx: HandlerContext, req: RequestAddressRequest): Promise<RequestAddressReply> {
  const subnet = await subnetForPool(ctx.neutron, ctx.identity, req.PoolID);
  if (req.Options['RequestAddressType'] === GATEWAY_REQUEST) return gatewayAddress(ctx, req, subnet);
  if (subnet === undefined) {
    throw new PluginError('ERR_SUBNET_NOT_FOUND', `Subnet with pool ${req.PoolID} does not exist.`);
  }
  const mac = macFromOption(req.Options[MAC_OPTION]);
  const port = await ctx.locks.run(`subnet:${subnet.id}`, async () =>
    (await adoptExistingPort(ctx, subnet, req.Address, mac)) ?? createUnboundPort(ctx, subnet, req.Address, mac));
  const ip = port.fixed_ips.find((f) => f.subnet_id === subnet.id)?.ip_address;
  if (ip === undefined) {
    throw new PluginError('ERR_INTERNAL', `port ${port.id} has no address in subnet ${subnet.id}`);
  }
  return { Address: `${ip}/${prefixLen(subnet.cidr)}`, Data: {} };
}

async function gatewayAddress(
  ctx: HandlerContext, req: RequestAddressRequest, subnet: NeutronSubnet | undefined,
): Promise<RequestAddressReply> {
  if (subnet !== undefined) {
    const len = prefixLen(subnet.cidr);
    if (req.Address === '') {
      // an existing subnet without a gateway: a placeholder default route keeps dockerd happy (bug 1881910)
      if (subnet.gateway_ip === null) return { Address: subnet.ip_version === 4 ? '0.0.0.0/0' : '::/0', Data: {} };
      return { Address: `${subnet.gateway_ip}/${len}`, Data: {} };
    }
    if (subnet.gateway_ip !== null && sameIp(subnet.gateway_ip, req.Address)) {
      return { Address: `${subnet.gateway_ip}/${len}`, Data: {} };
    }
    throw new ConflictError('ERR_GATEWAY_CONFLICT',
      `Requested gateway ${req.Address} does not match with gateway ${subnet.gateway_ip ?? '(none)'} in existed network.`);
  }
  // No subnet yet (a new network): CreateNetwork creates it with this gateway. Without --gateway, answer the
  // address Neutron itself would choose (upstream answered nothing, which dockerd rejects).
  const cidr = await poolCidr(ctx.neutron, req.PoolID);
  if (cidr === undefined) throw new PluginError('ERR_POOL_NOT_FOUND', `Subnetpool ${req.PoolID} does not exist.`);
  const gateway = req.Address !== '' ? req.Address : firstHost(cidr);
  return { Address: `${gateway}/${prefixLen(cidr)}`, Data: {} };
}

async function adoptExistingPort(
  ctx: HandlerContext, subnet: NeutronSubnet, address: string, mac: string | undefined,
): Promise<NeutronPort | undefined> {
  let ports: NeutronPort[] = [];
  if (address !== '') {
    ports = await ctx.neutron.listPorts({ fixed_ips: [`subnet_id=${subnet.id}`, `ip_address=${address}`] });
  }
  if (ports.length === 0 && mac !== undefined) {
    ports = await ctx.neutron.listPorts({ fixed_ips: [`subnet_id=${subnet.id}`], mac_address: mac });
  }
  const port = ports[0];
  if (port === undefined) return undefined;
  ctx.identity.requireTags(`adopting pre-existing port ${port.id} (--ip or --mac-address of an existing port)`);
  const claim = `${port.id}/${subnet.id}`;
  // the other address of a dual-stack port this plugin adopted a moment ago for the same container
  const secondFamily = hasTag(port, TAG_PORT_EXISTING) && port.device_id === '' && !ctx.adoptedAddresses.has(claim) &&
    [...ctx.adoptedAddresses].some((c) => c.startsWith(`${port.id}/`));
  if (!secondFamily) assertAdoptable(ctx, port);
  if (!hasTag(port, TAG_PORT_EXISTING)) await ctx.identity.tag(ctx.neutron, 'ports', port.id, TAG_PORT_EXISTING);
  ctx.adoptedAddresses.add(claim);
  ctx.log.info({ portId: port.id, ip: address, mac }, 'adopted existing port');
  return port;
}

/** refuse a port already reserved or in use, bound to another host, or owned by a VM, router, DHCP agent, ... */
function assertAdoptable(ctx: HandlerContext, port: NeutronPort): void {
  const host = port['binding:host_id'] ?? '';
  if (host !== '' && host !== ctx.config.default.host) {
    throw new ConflictError('ERR_ADDRESS_IN_USE',
      `port ${port.id} with this address is bound to host ${host}; unbind it or pick another address`);
  }
  if (port.device_owner !== '' && port.device_owner !== DEVICE_OWNER) {
    throw new ConflictError('ERR_ADDRESS_IN_USE',
      `port ${port.id} with this address is in use by ${port.device_owner} (device ${port.device_id || '-'})`);
  }
  if (hasTag(port, TAG_PORT_CREATED) || hasTag(port, TAG_PORT_EXISTING) || port.device_id !== '') {
    throw new ConflictError('ERR_ADDRESS_IN_USE',
      `address already in use: port ${port.id} is reserved${port.device_id ? ` by endpoint ${port.device_id}` : ''}`);
  }
}

async function createUnboundPort(
  ctx: HandlerContext, subnet: NeutronSubnet, address: string, mac: string | undefined,
): Promise<NeutronPort> {
  const port = await ctx.neutron.createPort({
    name: UNBOUND_PORT_NAME,
    admin_state_up: true,
    network_id: subnet.network_id,
    fixed_ips: [address === '' ? { subnet_id: subnet.id } : { subnet_id: subnet.id, ip_address: address }],
    ...(mac === undefined ? {} : { mac_address: mac }),
  });
  try {
    await ctx.identity.tag(ctx.neutron, 'ports', port.id, TAG_PORT_CREATED);
  } catch (err) {
    await ctx.neutron.deletePort(port.id).catch((e: unknown) =>
      ctx.log.error({ portId: port.id, err: e }, 'could not delete a port after tagging it failed'));
    throw err;
  }
  ctx.log.info({ portId: port.id, subnetId: subnet.id }, 'created port for address');
  return port;
}
