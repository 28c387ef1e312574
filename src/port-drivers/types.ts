// The PortDriver contract: host-side plumbing for one family of vnic types. The Neutron-side update of a port
// (binding host, device owner) is common to all drivers and lives in endpoints/; a driver only creates and
// removes host interfaces and names the interface dockerd moves into the container.
import type { BindingDriverName, PortDriverName } from '../config/types.ts';
import type { NeutronNetwork, NeutronPort, NeutronSubnet } from '../neutron/types.ts';

export interface HostIfaceRequest {
  endpointId: string;
  port: NeutronPort;
  network: NeutronNetwork;
  subnets: NeutronSubnet[];
}

export interface PortDriver {
  readonly kind: PortDriverName;
  readonly supportedBindings: readonly BindingDriverName[];
  /** true when dockerd must keep the MAC it has (SR-IOV); CreateEndpoint then never returns a MAC */
  readonly keepsDockerMac: boolean;
  createHostIface(req: HostIfaceRequest): Promise<void>;
  /** idempotent: missing devices are success */
  deleteHostIface(req: { endpointId: string; port: NeutronPort }): Promise<void>;
  /** the host interface dockerd moves into the sandbox (Join's SrcName) */
  containerIfName(port: NeutronPort): Promise<string>;
}
