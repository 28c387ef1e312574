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

export interface BindingPreparation {
  /** attributes to send with the binding PUT (e.g. binding:profile naming the VF) */
  body: Record<string, unknown>;
  /** undo what prepare did (free an allocated VF) */
  undo(): Promise<void>;
}

export interface PortDriver {
  readonly kind: PortDriverName;
  readonly supportedBindings: readonly BindingDriverName[];
  /** before the port is bound to this host: choose host resources and say what Neutron must be told */
  prepareBinding?(req: { endpointId: string; port: NeutronPort | undefined; network: NeutronNetwork; vnicType: string }): Promise<BindingPreparation>;
  createHostIface(req: HostIfaceRequest): Promise<void>;
  /** idempotent: missing devices are success */
  deleteHostIface(req: { endpointId: string; port: NeutronPort }): Promise<void>;
  /** the host interface dockerd moves into the sandbox (Join's SrcName) */
  containerIfName(port: NeutronPort, endpointId: string): Promise<string>;
  /** Join: remember the sandbox the interface goes into (for crash recovery) */
  onJoin?(endpointId: string, sandboxKey: string): Promise<void>;
}
