// The sriov port driver (vnic_type direct, direct-physical, macvtap). Selecting it works today — the vnic_type
// mapping is built from kuryr.conf — but VF programming through the PF (hw_veb) is not in this build: every
// call fails with ERR_UNSUPPORTED so an SR-IOV port is refused cleanly instead of half-plumbed.
import { PluginError } from '../errors.ts';
import type { PortDriver } from './types.ts';

function unsupported(): never {
  throw new PluginError('ERR_UNSUPPORTED',
    'SR-IOV ports (hw_veb binding) are not supported by this build yet; use a normal vnic_type port');
}

export function createSriovPortDriver(): PortDriver {
  return {
    kind: 'sriov',
    supportedBindings: ['hw_veb'],
    keepsDockerMac: true,
    createHostIface: async () => unsupported(),
    // nothing can have been plumbed by this driver, so there is nothing to remove
    deleteHostIface: async () => {},
    containerIfName: async () => unsupported(),
  };
}
