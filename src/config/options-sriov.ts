// The [sriov] part of the option table (new in this plugin; upstream had no SR-IOV options). The device
// options use the Neutron SR-IOV agent's syntax so one host configuration serves both. Pure data.
import { opt } from './option-spec.ts';
import { types } from './option-types.ts';

export const SRIOV_OPTIONS = {
  sysfsRoot: opt({
    section: 'sriov', name: 'sysfs_root', type: types.str(), default: '/sys', field: 'sriov.sysfsRoot',
    help: 'Where sysfs is mounted (PF/VF discovery reads <root>/bus/pci/devices and <root>/class/net).',
    upstreamDiff: 'new',
  }),
  physicalDeviceMappings: opt({
    section: 'sriov', name: 'physical_device_mappings', type: types.list(), default: [],
    field: 'sriov.physicalDeviceMappings',
    help: 'physnet:PF pairs (Neutron SR-IOV agent syntax; a physnet may map to several PFs) the plugin allocates VFs from.',
    upstreamDiff: 'new: automatic VF allocation',
  }),
  excludeDevices: opt({
    section: 'sriov', name: 'exclude_devices', type: types.list(), default: [], field: 'sriov.excludeDevices',
    help: 'PF:pci;pci entries (Neutron SR-IOV agent syntax): VFs never handed out.',
    upstreamDiff: 'new',
  }),
} as const;
