// What CreateEndpoint changes on a Neutron port so it becomes this endpoint's port (upstream's update_port):
// bind it to this host with our device owner (both in one request — Neutron's DVR scheduling needs that),
// enable it, claim it for the endpoint, and apply the MAC dockerd insists on. Pure: computes the PUT body.
import { DEVICE_OWNER } from '../neutron/naming.ts';
import type { NeutronPort } from '../neutron/types.ts';

export function portUpdateBody(
  port: NeutronPort, endpointId: string, host: string, mac: string | undefined,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if ((port['binding:host_id'] ?? '') !== host) {
    body['binding:host_id'] = host;
    body['device_owner'] = DEVICE_OWNER;
  }
  if (!port.admin_state_up) body['admin_state_up'] = true;
  if (port.device_id === '') body['device_id'] = endpointId;
  if (mac !== undefined && mac !== port.mac_address.toLowerCase()) body['mac_address'] = mac;
  return body;
}
