// The veth port driver (bare metal, vnic_type normal): a veth pair per endpoint whose container end dockerd
// moves into the sandbox, the host end wired according to the port's binding:vif_type by the veth binding.
import type { NeutronPort } from '../neutron/types.ts';
import { containerIfName as containerVethName } from '../host/if-names.ts';
import type { PortDriver } from './types.ts';

export interface VethPlugger {
  plug(req: {
    portId: string; endpointId: string; networkId: string; projectId: string; mac: string; mtu: number;
    vifType: string; vifDetails: Record<string, unknown>;
  }): Promise<unknown>;
  unplug(req: {
    portId: string; endpointId: string; networkId: string; mac: string; vifType: string; vifDetails: Record<string, unknown>;
  }): Promise<void>;
}

const DEFAULT_MTU = 1500;

export function createVethPortDriver(binding: VethPlugger): PortDriver {
  return {
    kind: 'veth',
    supportedBindings: ['veth'],
    async createHostIface({ endpointId, port, network }) {
      await binding.plug({
        portId: port.id,
        endpointId,
        networkId: port.network_id,
        projectId: port.project_id ?? '',
        mac: port.mac_address.toLowerCase(),
        mtu: network.mtu ?? DEFAULT_MTU,
        vifType: port['binding:vif_type'] ?? 'unbound',
        vifDetails: port['binding:vif_details'] ?? {},
      });
    },
    async deleteHostIface({ endpointId, port }) {
      await binding.unplug({
        portId: port.id,
        endpointId,
        networkId: port.network_id,
        mac: port.mac_address.toLowerCase(),
        vifType: port['binding:vif_type'] ?? 'unbound',
        vifDetails: port['binding:vif_details'] ?? {},
      });
    },
    async containerIfName(port: NeutronPort) {
      return containerVethName(port.id);
    },
  };
}
