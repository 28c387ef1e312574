// Resolving the Neutron resources a user names in Docker options (neutron.net.*, neutron.subnet.*,
// neutron.pool.*): by UUID or by (unique) name. Read-only.
import { NotFoundError, PluginError } from '../errors.ts';
import type { ResourceRef } from '../protocol/options.ts';
import type { NeutronClient } from './client.ts';
import type { NeutronNetwork, NeutronSubnet, NeutronSubnetPool } from './types.ts';

function one<T extends { id: string }>(found: T[], what: string, ref: ResourceRef): T {
  const label = ref.uuid !== undefined ? `id(${ref.uuid})` : `name(${ref.name ?? ''})`;
  if (found.length === 0) throw new NotFoundError(notFoundCode(what), `Specified ${what} ${label} does not exist.`);
  if (found.length > 1) {
    throw new PluginError('ERR_DUPLICATE_RESOURCE',
      `Several Neutron ${what}s match ${label}: ${found.map((f) => f.id).join(', ')}; use neutron.*.uuid instead`);
  }
  return found[0]!;
}

function notFoundCode(what: string): 'ERR_NETWORK_NOT_FOUND' | 'ERR_SUBNET_NOT_FOUND' | 'ERR_POOL_NOT_FOUND' {
  if (what === 'network') return 'ERR_NETWORK_NOT_FOUND';
  if (what === 'subnet') return 'ERR_SUBNET_NOT_FOUND';
  return 'ERR_POOL_NOT_FOUND';
}

export async function resolveNetwork(neutron: NeutronClient, ref: ResourceRef): Promise<NeutronNetwork> {
  const q = ref.uuid !== undefined ? { id: ref.uuid } : { name: ref.name ?? '' };
  return one(await neutron.listNetworks(q), 'network', ref);
}

export async function resolveSubnet(neutron: NeutronClient, ref: ResourceRef): Promise<NeutronSubnet> {
  const q = ref.uuid !== undefined ? { id: ref.uuid } : { name: ref.name ?? '' };
  return one(await neutron.listSubnets(q), 'subnet', ref);
}

export async function resolvePool(neutron: NeutronClient, ref: ResourceRef): Promise<NeutronSubnetPool> {
  const q = ref.uuid !== undefined ? { id: ref.uuid } : { name: ref.name ?? '' };
  return one(await neutron.listSubnetPools(q), 'subnetpool', ref);
}
