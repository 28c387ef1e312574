// Unit tests for src/config/drivers.ts: driver-name parsing (short names and upstream module paths) and
// the start-up compatibility rules of spec §10.1, including a model-based fast-check property.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.ts';
import {
  BINDING_DRIVER_NAMES, PORT_DRIVER_NAMES, SUPPORTED_BINDINGS, checkDriverCompatibility, parseBindingDriverList,
  parseBindingDriverName, parsePortDriverList, parsePortDriverName,
} from '../../src/config/drivers.ts';
import { parseConfigText } from '../../src/config/load.ts';
import type { BindingDriverName, KuryrConfig, PortDriverName } from '../../src/config/types.ts';

function driverError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, 'ERR_CONFIG_DRIVER');
    return e;
  }
  assert.fail('expected ERR_CONFIG_DRIVER');
}

// a valid baseline config to vary (noauth, defaults)
const BASE: KuryrConfig = parseConfigText(
  '[neutron]\nauth_type = none\nendpoint_override = http://127.0.0.1:9696\n',
  'base.conf',
).config;

function withDrivers(d: {
  defaultPort?: PortDriverName;
  ports?: PortDriverName[];
  defaultBinding?: BindingDriverName;
  bindings?: BindingDriverName[];
}): KuryrConfig {
  return {
    ...BASE,
    default: {
      ...BASE.default,
      defaultPortDriver: d.defaultPort ?? 'veth',
      enabledPortDrivers: d.ports ?? ['veth'],
    },
    binding: { ...BASE.binding, defaultDriver: d.defaultBinding ?? 'veth', enabledDrivers: d.bindings ?? ['veth'] },
  };
}

describe('parsePortDriverName', () => {
  it('accepts every short name and its kuryr_libnetwork module path', () => {
    for (const name of PORT_DRIVER_NAMES) {
      assert.equal(parsePortDriverName(name), name);
      assert.equal(parsePortDriverName(`kuryr_libnetwork.port_driver.drivers.${name}`), name);
      assert.equal(parsePortDriverName(`  ${name} `), name);
    }
  });

  it('refuses unknown names, naming section, option and value', () => {
    const where = { section: 'DEFAULT', option: 'enabled_port_drivers' };
    for (const bad of [
      'macvlan', 'Veth', 'kuryr_libnetwork.port_driver.drivers.macvlan', 'kuryr.lib.binding.drivers.veth',
      'my.module.veth', 'kuryr_libnetwork.port_driver.drivers.',
    ]) {
      const err = driverError(() => parsePortDriverName(bad, where));
      assert.ok(err.message.startsWith(`[DEFAULT] enabled_port_drivers = ${bad}: unknown port driver`), err.message);
      assert.deepEqual(err.details, { section: 'DEFAULT', option: 'enabled_port_drivers', value: bad });
    }
  });

  it('refuses an empty name', () => {
    const err = driverError(() => parsePortDriverName(''));
    assert.match(err.message, /^\[DEFAULT\] default_port_driver = : no port driver provided/);
  });
});

describe('parseBindingDriverName', () => {
  it('accepts every short name and its kuryr.lib module path', () => {
    for (const name of BINDING_DRIVER_NAMES) {
      assert.equal(parseBindingDriverName(name), name);
      assert.equal(parseBindingDriverName(`kuryr.lib.binding.drivers.${name}`), name);
    }
  });

  it('refuses unknown names and port-driver paths', () => {
    for (const bad of ['sriov', 'kuryr_libnetwork.port_driver.drivers.veth', 'kuryr.lib.binding.drivers.tap', 'HW_VEB']) {
      const err = driverError(() => parseBindingDriverName(bad, { section: 'binding', option: 'enabled_drivers' }));
      assert.ok(err.message.startsWith(`[binding] enabled_drivers = ${bad}: unknown binding driver`), err.message);
    }
  });

  it('list parsing drops duplicates, keeping first-seen order', () => {
    const where = { section: 'binding', option: 'enabled_drivers' };
    assert.deepEqual(parseBindingDriverList(['hw_veb', 'kuryr.lib.binding.drivers.veth', 'veth'], where), ['hw_veb', 'veth']);
    assert.deepEqual(
      parsePortDriverList(['kuryr_libnetwork.port_driver.drivers.sriov', 'veth', 'sriov'], { section: 'DEFAULT', option: 'x' }),
      ['sriov', 'veth'],
    );
  });
});

describe('checkDriverCompatibility', () => {
  it('accepts the defaults and the SR-IOV combination', () => {
    checkDriverCompatibility(withDrivers({}));
    checkDriverCompatibility(withDrivers({ ports: ['veth', 'sriov'], bindings: ['veth', 'hw_veb'] }));
    checkDriverCompatibility(withDrivers({ defaultPort: 'nested', ports: ['nested'], defaultBinding: 'macvlan', bindings: ['macvlan'] }));
    checkDriverCompatibility(withDrivers({ defaultPort: 'vlan', ports: ['vlan'], defaultBinding: 'vlan', bindings: ['vlan'] }));
  });

  it('default_port_driver must be enabled', () => {
    const err = driverError(() => checkDriverCompatibility(withDrivers({ defaultPort: 'nested', ports: ['veth'] })));
    assert.match(err.message, /^\[DEFAULT\] default_port_driver = nested: not in \[DEFAULT\] enabled_port_drivers \(veth\)/);
  });

  it('each enabled port driver needs one of its bindings enabled', () => {
    const err = driverError(() => checkDriverCompatibility(withDrivers({ ports: ['veth', 'sriov'], bindings: ['veth'] })));
    assert.equal(
      err.message,
      '[DEFAULT] enabled_port_drivers = veth, sriov: port driver sriov is not compatible with binding drivers ' +
        '[veth] ([binding] enabled_drivers); it needs one of: hw_veb',
    );
  });

  it('refuses ipvlan in [binding] enabled_drivers, saying it is not supported', () => {
    const err = driverError(() =>
      checkDriverCompatibility(
        withDrivers({ defaultPort: 'nested', ports: ['nested'], defaultBinding: 'macvlan', bindings: ['macvlan', 'ipvlan'] }),
      ),
    );
    assert.match(err.message, /^\[binding\] enabled_drivers = macvlan, ipvlan: the ipvlan binding driver is not supported/);
    assert.match(err.message, /temporarily banned/);
  });

  it('[binding] default_driver must be enabled', () => {
    const err = driverError(() => checkDriverCompatibility(withDrivers({ defaultBinding: 'hw_veb', bindings: ['veth'] })));
    assert.match(err.message, /^\[binding\] default_driver = hw_veb: not in \[binding\] enabled_drivers \(veth\)/);
  });

  it('the default port driver must support [binding] default_driver (stricter than upstream)', () => {
    const err = driverError(() =>
      checkDriverCompatibility(
        withDrivers({ ports: ['veth', 'sriov'], defaultBinding: 'hw_veb', bindings: ['veth', 'hw_veb'] }),
      ),
    );
    assert.match(err.message, /^\[binding\] default_driver = hw_veb: the default port driver veth/);
  });

  it('refuses empty enabled lists', () => {
    assert.match(driverError(() => checkDriverCompatibility(withDrivers({ ports: [] }))).message, /no port driver enabled/);
    assert.match(driverError(() => checkDriverCompatibility(withDrivers({ bindings: [] }))).message, /no binding driver enabled/);
  });

  it('property: passes exactly when the §10.1 rules (plus the default-binding rule) hold', () => {
    const port = fc.constantFrom(...PORT_DRIVER_NAMES);
    const binding = fc.constantFrom(...BINDING_DRIVER_NAMES);
    fc.assert(
      fc.property(
        port, fc.uniqueArray(port, { maxLength: 4 }), binding, fc.uniqueArray(binding, { maxLength: 5 }),
        (defaultPort, ports, defaultBinding, bindings) => {
          const expectedOk =
            ports.length > 0 && bindings.length > 0 && !bindings.includes('ipvlan') && ports.includes(defaultPort) &&
            ports.every((p) => SUPPORTED_BINDINGS[p].some((b) => bindings.includes(b))) &&
            bindings.includes(defaultBinding) &&
            (defaultPort === 'sriov' || SUPPORTED_BINDINGS[defaultPort].includes(defaultBinding));
          let actualOk = true;
          try {
            checkDriverCompatibility(withDrivers({ defaultPort, ports, defaultBinding, bindings }));
          } catch (e) {
            assert.ok(e instanceof ConfigError && e.code === 'ERR_CONFIG_DRIVER', String(e));
            actualOk = false;
          }
          assert.equal(actualOk, expectedOk);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('driver options through the loader', () => {
  const NOAUTH = '[neutron]\nauth_type = none\nendpoint_override = http://127.0.0.1:9696\n';

  it('a bad name in a list names the option and the bad item', () => {
    const err = driverError(() => parseConfigText(`[DEFAULT]\nenabled_port_drivers = veth, macvtap\n${NOAUTH}`, 'a.conf'));
    assert.match(err.message, /^\[DEFAULT\] enabled_port_drivers = macvtap: unknown port driver/);
  });

  it('the deprecated [binding] driver name is used in messages when that is what was written', () => {
    const err = driverError(() => parseConfigText(`[binding]\ndriver = bogus\n${NOAUTH}`, 'a.conf'));
    assert.match(err.message, /^\[binding\] driver = bogus: unknown binding driver/);
  });

  it('sriov without hw_veb fails at load', () => {
    const err = driverError(() => parseConfigText(`[DEFAULT]\nenabled_port_drivers = veth, sriov\n${NOAUTH}`, 'a.conf'));
    assert.match(err.message, /port driver sriov is not compatible with binding drivers \[veth\]/);
  });
});
