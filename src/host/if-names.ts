// Deterministic host interface names derived from Neutron IDs, identical to upstream kuryr-lib so links made
// by the Python plugin are found again (tap/t_c + 11 chars of the port ID, brq + 11 chars of the network ID),
// plus random temporary names for create-then-rename. Naming only: never creates or inspects links.
import { randomBytes } from 'node:crypto';
import { assertIfName } from './validate.ts';

export const HOST_VETH_PREFIX = 'tap';
export const CONTAINER_VETH_PREFIX = 't_c';
export const LINUX_BRIDGE_PREFIX = 'brq';
export const TEMP_PREFIX = 'tmp';
/** upstream's NIC_NAME_LEN: prefix + ID, cut to 14 characters */
export const NIC_NAME_LEN = 14;

function derive(prefix: string, id: string, what: string): string {
  if (typeof id !== 'string' || id.length === 0) {
    // assertIfName produces the error with the code and message shape callers expect
    assertIfName(id, `${what} source ID`);
  }
  return assertIfName((prefix + id).slice(0, NIC_NAME_LEN), what);
}

/** Host end of the veth pair: `tap` + first 11 characters of the Neutron port ID. */
export function hostVethName(portId: string): string {
  return derive(HOST_VETH_PREFIX, portId, 'host veth name');
}

/** Container end of the veth pair (also the macvlan/ipvlan/vlan child name): `t_c` + first 11 chars. */
export function containerIfName(portId: string): string {
  return derive(CONTAINER_VETH_PREFIX, portId, 'container interface name');
}

/** Both ends, as upstream's get_veth_pair_names. */
export function vethPairNames(portId: string): { host: string; container: string } {
  return { host: hostVethName(portId), container: containerIfName(portId) };
}

/** Linux bridge the Neutron linuxbridge agent uses for a network: `brq` + first 11 chars of the network ID. */
export function linuxBridgeName(networkId: string): string {
  return derive(LINUX_BRIDGE_PREFIX, networkId, 'Linux bridge name');
}

/** `tmp` + 11 random hex characters: a name to create a device under before renaming it into place. */
export function tempIfName(random: () => string = () => randomBytes(6).toString('hex')): string {
  return assertIfName((TEMP_PREFIX + random()).slice(0, NIC_NAME_LEN), 'temporary interface name');
}
