// The [binding] part of the option table (kuryr-lib binding drivers), in docs/example-file order.
// Pure data: must not parse driver names or check compatibility (drivers.ts does that).
import { opt } from './option-spec.ts';
import { types } from './option-types.ts';

const VETH_BINDING_DRIVER = 'kuryr.lib.binding.drivers.veth';

export const BINDING_OPTIONS = {
  // [binding] — kuryr-lib
  vethDstPrefix: opt({
    section: 'binding', name: 'veth_dst_prefix', type: types.str(), default: 'eth', field: 'binding.vethDstPrefix',
    help: 'Container interface name prefix returned by Join (DstPrefix).',
  }),
  bindingDefaultDriver: opt({
    section: 'binding', name: 'default_driver', deprecatedNames: ['driver'], type: types.str(),
    default: VETH_BINDING_DRIVER, field: 'binding.defaultDriver',
    help: 'Binding driver used by the veth, nested and vlan port drivers (short name or module path).',
  }),
  bindingEnabledDrivers: opt({
    section: 'binding', name: 'enabled_drivers', type: types.list(), default: [VETH_BINDING_DRIVER],
    field: 'binding.enabledDrivers',
    help: 'Binding drivers allowed (comma-separated): veth, hw_veb, macvlan, vlan (ipvlan is refused).',
  }),
  linkIface: opt({
    section: 'binding', name: 'link_iface', type: types.str(), default: '', field: 'binding.linkIface',
    help: 'VM interface nested drivers attach to; empty = the interface whose MAC is the VM port\'s MAC.',
  }),
} as const;
