// Finding the Neutron resources that stand for Docker objects (by kuryr's tags) and the subnets behind a
// Docker pool. Read-only: nothing here changes Neutron.
import { NotFoundError, PluginError } from '../errors.ts';
import { parsePoolId } from '../ipam/pool-id.ts';
import type { NeutronClient } from './client.ts';
import type { Identity } from './identity.ts';
import { hasTag } from './naming.ts';
import type { NeutronNetwork, NeutronPort, NeutronSubnet, NeutronSubnetPool } from './types.ts';

function atMostOne<T extends { id: string }>(items: T[], what: string): T | undefined {
  if (items.length > 1) {
    throw new PluginError('ERR_DUPLICATE_RESOURCE',
      `${items.length} Neutron ${what} match where one is expected: ${items.map((i) => i.id).join(', ')}`);
  }
  return items[0];
}

export async function findNetwork(
  neutron: NeutronClient, identity: Identity, dockerNetworkId: string,
): Promise<NeutronNetwork | undefined> {
  return atMostOne(await neutron.listNetworks(identity.networkQuery(dockerNetworkId)),
    `networks tagged for Docker network ${dockerNetworkId}`);
}

export async function requireNetwork(
  neutron: NeutronClient, identity: Identity, dockerNetworkId: string,
): Promise<NeutronNetwork> {
  const net = await findNetwork(neutron, identity, dockerNetworkId);
  if (net === undefined) {
    throw new NotFoundError('ERR_NETWORK_NOT_FOUND',
      `Neutron net associated with identifier ${dockerNetworkId} doesn't exist.`);
  }
  return net;
}

export async function findEndpointPort(
  neutron: NeutronClient, identity: Identity, endpointId: string,
): Promise<NeutronPort | undefined> {
  return atMostOne(await neutron.listPorts(identity.endpointPortQuery(endpointId)),
    `ports tagged for Docker endpoint ${endpointId}`);
}

export async function requireEndpointPort(
  neutron: NeutronClient, identity: Identity, endpointId: string,
): Promise<NeutronPort> {
  const port = await findEndpointPort(neutron, identity, endpointId);
  if (port === undefined) {
    throw new NotFoundError('ERR_ENDPOINT_NOT_FOUND',
      `The port doesn't exist for the identifier ${endpointId}`);
  }
  return port;
}

export async function getPoolOrUndefined(neutron: NeutronClient, poolId: string): Promise<NeutronSubnetPool | undefined> {
  try {
    return await neutron.getSubnetPool(poolId);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/**
 * The subnets a Docker pool stands for: those allocated from the subnetpool (only the one with the PoolID's CIDR
 * for a network carved from a default pool), else — a pre-existing subnet adopted for the pool — the subnets
 * with the pool's CIDR carrying the pool id as a tag.
 */
export async function subnetsForPool(
  neutron: NeutronClient, identity: Identity, dockerPoolId: string,
): Promise<NeutronSubnet[]> {
  const ref = parsePoolId(dockerPoolId);
  const allocated = await neutron.listSubnets({ subnetpool_id: ref.poolId, ...(ref.cidr === undefined ? {} : { cidr: ref.cidr }) });
  if (allocated.length > 0 || ref.cidr !== undefined) return allocated;
  const cidr = (await getPoolOrUndefined(neutron, ref.poolId))?.prefixes[0];
  if (cidr === undefined) return [];
  const sameCidr = await neutron.listSubnets({ cidr });
  const tagged = sameCidr.filter((s) => hasTag(s, ref.poolId));
  // without tags (names mode) a pre-existing subnet can only be matched when its CIDR is unique, as upstream
  return identity.tags || sameCidr.length !== 1 ? tagged : sameCidr;
}

/** the CIDR a Docker pool id stands for: the carved CIDR, or the subnetpool's first prefix */
export async function poolCidr(neutron: NeutronClient, dockerPoolId: string): Promise<string | undefined> {
  const ref = parsePoolId(dockerPoolId);
  if (ref.cidr !== undefined) return ref.cidr;
  return (await getPoolOrUndefined(neutron, ref.poolId))?.prefixes[0];
}

/** the one subnet a RequestAddress on this pool allocates from, or undefined before CreateNetwork made it */
export async function subnetForPool(
  neutron: NeutronClient, identity: Identity, dockerPoolId: string,
): Promise<NeutronSubnet | undefined> {
  const subnets = await subnetsForPool(neutron, identity, dockerPoolId);
  if (subnets.length <= 1) return subnets[0];
  const cidr = await poolCidr(neutron, dockerPoolId);
  const exact = subnets.filter((s) => s.cidr === cidr);
  if (exact.length === 1) return exact[0];
  throw new PluginError('ERR_DUPLICATE_RESOURCE',
    `Several Neutron subnets belong to pool ${dockerPoolId}: ${subnets.map((s) => `${s.id} (${s.cidr})`).join(', ')}`);
}
