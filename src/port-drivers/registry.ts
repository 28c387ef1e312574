// Chooses the port driver for a Neutron port from its binding:vnic_type. Built after the configuration is
// loaded (upstream built it at import time, so SR-IOV never loaded from kuryr.conf); a static table, no
// reflection. Only enabled drivers are instantiated.
import { ConfigError, PluginError } from '../errors.ts';
import type { KuryrConfig, PortDriverName } from '../config/types.ts';
import type { NeutronPort } from '../neutron/types.ts';
import type { PortDriver } from './types.ts';

export type PortDriverFactories = Partial<Record<PortDriverName, () => PortDriver>>;

export interface PortDriverRegistry {
  forVnicType(vnicType: string): PortDriver;
  forPort(port: NeutronPort): PortDriver;
  enabled(): PortDriver[];
}

/** vnic types Neutron's SR-IOV mechanism driver binds, handled by the sriov port driver */
export const SRIOV_VNIC_TYPES = ['direct', 'direct-physical', 'macvtap'] as const;

export function createPortDriverRegistry(config: KuryrConfig, factories: PortDriverFactories): PortDriverRegistry {
  const instances = new Map<PortDriverName, PortDriver>();
  for (const name of config.default.enabledPortDrivers) {
    const make = factories[name];
    if (make === undefined) {
      throw new ConfigError('ERR_CONFIG_DRIVER',
        `[DEFAULT] enabled_port_drivers lists '${name}', which this build does not implement`);
    }
    instances.set(name, make());
  }
  const defaultDriver = instances.get(config.default.defaultPortDriver);
  if (defaultDriver === undefined) {
    throw new ConfigError('ERR_CONFIG_DRIVER',
      `[DEFAULT] default_port_driver = ${config.default.defaultPortDriver} is not in enabled_port_drivers`);
  }

  function forVnicType(vnicType: string): PortDriver {
    if (vnicType === 'normal') return defaultDriver!;
    if ((SRIOV_VNIC_TYPES as readonly string[]).includes(vnicType)) {
      const sriov = instances.get('sriov');
      if (sriov !== undefined) return sriov;
      throw new PluginError('ERR_NO_PORT_DRIVER',
        `No port driver available for VNIC type ${vnicType}: add sriov to [DEFAULT] enabled_port_drivers ` +
        'and hw_veb to [binding] enabled_drivers');
    }
    throw new PluginError('ERR_NO_PORT_DRIVER',
      `No port driver available for VNIC type ${vnicType}: the plugin handles normal, ${SRIOV_VNIC_TYPES.join(', ')}`);
  }

  return {
    forVnicType,
    forPort: (port) => forVnicType(port['binding:vnic_type'] ?? 'normal'),
    enabled: () => [...instances.values()],
  };
}
