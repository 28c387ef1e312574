// Every Neutron name and tag the plugin writes or looks for, in one place. These are interface facts shared
// with the Python kuryr-libnetwork: existing Neutron state made by it must be recognised, so do not change
// a string here without a migration story.

export const DEVICE_OWNER = 'compute:kuryr';
/** tag on ports the plugin created (RequestAddress); same string as the device owner, as upstream */
export const TAG_PORT_CREATED = 'compute:kuryr';
export const TAG_PORT_EXISTING = 'kuryr.port.existing';
export const TAG_POOL_EXISTING = 'kuryr.subnetpool.existing';
export const UNBOUND_PORT_NAME = 'kuryr-unbound-port';
export const SUBNET_NAME_PREFIX = 'kuryr-subnet-';
/** network tag recording `-o kuryr.vnic_type=<type>`: ports the plugin makes on it get that vnic type */
export const VNIC_TAG_PREFIX = 'kuryr.vnic_type:';
const LOW_HALF = 'kuryr.net.uuid.lh:';
const HIGH_HALF = 'kuryr.net.uuid.uh:';
const NET_EXISTING = 'kuryr.net.existing:';

/**
 * A 64-hex Docker id does not fit in one Neutron tag (64 bytes max with the prefix), so upstream stores it as two
 * tags: the low and the high half. 25-char swarm ids give only the low half.
 */
export function dockerIdTags(dockerId: string): string[] {
  const tags = [LOW_HALF + dockerId.slice(0, 32)];
  if (dockerId.length > 32) tags.push(HIGH_HALF + dockerId.slice(32, 64));
  return tags;
}

/** the `tags=` filter value that finds a resource carrying all the id tags */
export function dockerIdFilter(dockerId: string): string {
  return dockerIdTags(dockerId).join(',');
}

/** rebuild a Docker id from a resource's tags; undefined when the low half is missing */
export function dockerIdFromTags(tags: readonly string[] | null | undefined): string | undefined {
  const low = tags?.find((t) => t.startsWith(LOW_HALF));
  if (low === undefined) return undefined;
  const high = tags?.find((t) => t.startsWith(HIGH_HALF));
  return low.slice(LOW_HALF.length) + (high === undefined ? '' : high.slice(HIGH_HALF.length));
}

export function existingNetworkTag(dockerNetworkId: string): string {
  return NET_EXISTING + dockerNetworkId.slice(0, 12);
}

export function networkName(dockerNetworkId: string): string {
  return `kuryr-net-${dockerNetworkId.slice(0, 8)}`;
}

export function subnetName(cidr: string): string {
  return SUBNET_NAME_PREFIX + cidr;
}

export function poolName(prefix: string, cidr: string): string {
  return `${prefix}-${cidr}`;
}

/** port name upstream uses for ports it creates in CreateEndpoint / renames to in no-tag mode */
export function endpointPortName(endpointId: string): string {
  return `${endpointId}-port`;
}

/** the security group holding a port's `--expose`/`-p` rules (one per port, replaced on each program) */
export function exposedPortsGroupName(portId: string): string {
  return `${portId}-exposed_ports`;
}

export const EXPOSED_PORTS_GROUP_DESCRIPTION = 'Docker exposed ports created by Kuryr.';

export function hasTag(resource: { tags?: readonly string[] | null | undefined }, tag: string): boolean {
  return resource.tags?.includes(tag) ?? false;
}
