// NetworkDriver.CreateEndpoint: make the endpoint's Neutron port (the one RequestAddress reserved, an adopted
// one, or a new one), bind it to this host, tag it with the endpoint id, then let the port driver chosen by the
// port's vnic_type build the host interface. Every step is undone if a later one fails.
import type { HandlerContext } from '../context.ts';
import { ConflictError, InvalidRequestError, PluginError } from '../errors.ts';
import { portUpdateBody } from '../endpoints/port-update.ts';
import { requireNetwork } from '../neutron/lookup.ts';
import {
  DEVICE_OWNER, TAG_PORT_CREATED, TAG_PORT_EXISTING, UNBOUND_PORT_NAME, VNIC_TAG_PREFIX, dockerIdTags, endpointPortName, hasTag,
} from '../neutron/naming.ts';
import type { NeutronNetwork, NeutronPort, NeutronSubnet } from '../neutron/types.ts';
import type { PortDriver } from '../port-drivers/types.ts';
import type { CreateEndpointRequest } from '../protocol/schemas.ts';
import { ipVersion, networkOf, splitCidr } from '../util/ip.ts';
import { withRollback, type UndoStack } from '../util/undo-stack.ts';

export interface CreateEndpointReply { Interface: { MacAddress?: string } }

export async function createEndpoint(ctx: HandlerContext, req: CreateEndpointRequest): Promise<CreateEndpointReply> {
  const network = await requireNetwork(ctx.neutron, ctx.identity, req.NetworkID);
  const addresses = [req.Interface.Address, req.Interface.AddressIPv6].filter((a) => a !== '');
  if (addresses.length === 0) {
    throw new InvalidRequestError('ERR_INVALID_REQUEST', 'Interface address v4 or v6 not provided.');
  }
  const dockerMac = req.Interface.MacAddress === '' ? undefined : req.Interface.MacAddress.toLowerCase();
  return ctx.locks.run(`ep:${req.EndpointID}`, () => withRollback(async (undo) => {
    const subnets = await endpointSubnets(ctx, network, addresses);
    const { port: bound, driver } = await endpointPort(ctx, req, network, subnets, addresses, dockerMac, undo);
    let port = bound;
    await driver.createHostIface({ endpointId: req.EndpointID, port, network, subnets });
    undo.push('delete host interface', () => driver.deleteHostIface({ endpointId: req.EndpointID, port }));
    for (const f of port.fixed_ips) ctx.adoptedAddresses.delete(`${port.id}/${f.subnet_id}`);
    if (ctx.config.neutron.vifPluggingIsFatal) port = await waitForActive(ctx, port);
    ctx.log.info({ endpointId: req.EndpointID, portId: port.id, vifType: port['binding:vif_type'] }, 'endpoint created');
    // dockerd already has a MAC when the user gave --mac-address (and we applied it to the port); otherwise
    // the Neutron port's MAC becomes the container's — for a VF too, where it equals the admin MAC set on the PF
    if (dockerMac === undefined) return { Interface: { MacAddress: port.mac_address } };
    return { Interface: {} };
  }, (label, error) => ctx.log.error({ endpointId: req.EndpointID, step: label, err: error }, 'rollback step failed')));
}

async function endpointSubnets(ctx: HandlerContext, network: NeutronNetwork, addresses: string[]): Promise<NeutronSubnet[]> {
  const subnets: NeutronSubnet[] = [];
  for (const address of addresses) {
    const found = await ctx.neutron.listSubnets({ network_id: network.id, cidr: networkOf(address) });
    subnets.push(...found);
  }
  if (subnets.length === 0) {
    throw new PluginError('ERR_SUBNET_NOT_FOUND',
      `No subnet on Neutron network ${network.id} contains ${addresses.join(', ')}`);
  }
  return subnets;
}

async function endpointPort(
  ctx: HandlerContext, req: CreateEndpointRequest, network: NeutronNetwork, subnets: NeutronSubnet[],
  addresses: string[], dockerMac: string | undefined, undo: UndoStack,
): Promise<{ port: NeutronPort; driver: PortDriver }> {
  const tags = dockerIdTags(req.EndpointID);
  const ips = addresses.map((a) => splitCidr(a).ip);
  const fixedIps = subnets.map((s) => ({
    subnet_id: s.id,
    ip_address: ips.find((ip) => ipVersion(ip) === s.ip_version && networkOf(`${ip}/${splitCidr(s.cidr).prefixLen}`) === s.cidr),
  }));
  const subnetIds = new Set(subnets.map((s) => s.id));
  const filter = [...subnets.map((s) => `subnet_id=${s.id}`), ...ips.map((ip) => `ip_address=${ip}`)];
  const candidates = (await ctx.neutron.listPorts({ fixed_ips: filter }))
    .filter((p) => p.fixed_ips.some((f) => subnetIds.has(f.subnet_id) && ips.includes(f.ip_address)));

  // dual stack: RequestAddress reserved one placeholder port per family; keep user ports, drop our placeholders
  const survivors: NeutronPort[] = [];
  for (const p of candidates) {
    if (candidates.length > 1 && hasTag(p, TAG_PORT_CREATED) && p.name === UNBOUND_PORT_NAME) {
      await ctx.neutron.deletePort(p.id);
    } else {
      survivors.push(p);
    }
  }
  if (survivors.length > 1) {
    throw new PluginError('ERR_DUPLICATE_RESOURCE',
      `${survivors.length} Neutron ports hold the addresses ${ips.join(', ')}: ${survivors.map((p) => p.id).join(', ')}`);
  }
  const existing = survivors[0];
  // the vnic type: the port's own, or for a port the plugin makes, the network's kuryr.vnic_type
  const ours = existing === undefined || hasTag(existing, TAG_PORT_CREATED);
  const portVnic = existing?.['binding:vnic_type'] ?? 'normal';
  const vnicType = ours && portVnic === 'normal' ? networkVnicType(network) ?? portVnic : portVnic;
  const driver = ctx.portDrivers.forVnicType(vnicType);
  const prepared = await driver.prepareBinding?.({ endpointId: req.EndpointID, port: existing, network, vnicType });
  if (prepared !== undefined) undo.push('release host resources', () => prepared.undo());
  const extra: Record<string, unknown> = { ...(prepared?.body ?? {}), ...(vnicType !== portVnic ? { 'binding:vnic_type': vnicType } : {}) };
  if (existing === undefined) {
    const port = await ctx.neutron.createPort({
      name: endpointPortName(req.EndpointID),
      admin_state_up: true,
      network_id: network.id,
      device_owner: DEVICE_OWNER,
      device_id: req.EndpointID,
      'binding:host_id': ctx.config.default.host,
      fixed_ips: fixedIps.map((f) => (f.ip_address === undefined ? { subnet_id: f.subnet_id } : f)),
      ...(dockerMac === undefined ? {} : { mac_address: dockerMac }),
      ...extra,
    });
    undo.push(`delete port ${port.id}`, () => ctx.neutron.deletePort(port.id));
    for (const tag of [...tags, TAG_PORT_CREATED]) await ctx.identity.tag(ctx.neutron, 'ports', port.id, tag);
    return { port: { ...port, tags: [...(port.tags ?? []), ...tags, TAG_PORT_CREATED] }, driver };
  }
  if (dockerMac !== undefined && hasTag(existing, TAG_PORT_EXISTING) && dockerMac !== existing.mac_address.toLowerCase()) {
    // a pre-existing port keeps its MAC (upstream overwrote it with dockerd's and never restored it)
    throw new ConflictError('ERR_OPTION_CONFLICT',
      `--mac-address ${dockerMac} differs from the MAC ${existing.mac_address} of pre-existing port ${existing.id}; ` +
      'leave --mac-address out and the container gets the port\'s MAC');
  }
  const body = { ...portUpdateBody(existing, req.EndpointID, ctx.config.default.host, dockerMac), ...extra };
  // without tags the endpoint is found by the port's name, as upstream
  if (!ctx.identity.tags && existing.name !== endpointPortName(req.EndpointID)) body['name'] = endpointPortName(req.EndpointID);
  let port = existing;
  if (Object.keys(body).length > 0) {
    port = await ctx.neutron.updatePort(existing.id, body);
    undo.push(`restore port ${existing.id}`, () => ctx.neutron.updatePort(existing.id, restoreBody(existing, body)));
  }
  for (const tag of tags) {
    if (hasTag(existing, tag)) continue;
    await ctx.identity.tag(ctx.neutron, 'ports', existing.id, tag);
    undo.push(`untag port ${existing.id}`, () => ctx.identity.untag(ctx.neutron, 'ports', existing.id, tag));
  }
  return { port: { ...port, tags: [...new Set([...(existing.tags ?? []), ...tags])] }, driver };
}

/** the vnic type a network asks for with `-o kuryr.vnic_type=…` (kept as a tag on the Neutron network) */
function networkVnicType(network: NeutronNetwork): string | undefined {
  const tag = network.tags?.find((t) => t.startsWith(VNIC_TAG_PREFIX));
  return tag === undefined ? undefined : tag.slice(VNIC_TAG_PREFIX.length);
}

/** the PUT that reverts `body` on `before` (binding attributes are reset before the MAC can change back) */
function restoreBody(before: NeutronPort, body: Record<string, unknown>): Record<string, unknown> {
  const restore: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    if (key === 'mac_address') continue; // cannot change while bound; a created port is deleted anyway
    if (key === 'binding:profile') restore[key] = before[key] ?? {};
    else if (key === 'binding:vnic_type') restore[key] = before[key] ?? 'normal';
    else restore[key] = before[key] ?? '';
  }
  return restore;
}

async function waitForActive(ctx: HandlerContext, port: NeutronPort): Promise<NeutronPort> {
  const timeoutS = ctx.config.neutron.vifPluggingTimeout;
  const deadline = ctx.clock.now() + timeoutS * 1000;
  let current = port;
  while (current.status !== 'ACTIVE') {
    if (timeoutS > 0 && ctx.clock.now() >= deadline) {
      throw new PluginError('ERR_PORT_NOT_ACTIVE',
        `Neutron port ${port.id} did not become active on time (status ${current.status} after ${timeoutS} s; ` +
        '[neutron] vif_plugging_timeout)');
    }
    await ctx.clock.sleep(1000);
    current = { ...(await ctx.neutron.getPort(port.id)), tags: port.tags ?? [] };
  }
  return current;
}
