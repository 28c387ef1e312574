// Unit tests for src/host/if-names.ts: upstream-compatible names (tap/t_c/brq + 11 chars, 14 total) and
// temporary names; bad IDs fail validation instead of producing unusable names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidRequestError } from '../../src/errors.ts';
import { containerIfName, hostVethName, linuxBridgeName, tempIfName, vethPairNames } from '../../src/host/if-names.ts';

const PORT = '3d1a5c9e-7f0b-4a4e-9a55-0c1d2e3f4a5b';
const NET = 'a2b4c6d8-e0f1-4a3b-8c5d-6e7f8091a2b3';

describe('if-names', () => {
  it('derives upstream names from the first 11 characters of the IDs', () => {
    assert.equal(hostVethName(PORT), 'tap3d1a5c9e-7f');
    assert.equal(containerIfName(PORT), 't_c3d1a5c9e-7f');
    assert.deepEqual(vethPairNames(PORT), { host: 'tap3d1a5c9e-7f', container: 't_c3d1a5c9e-7f' });
    assert.equal(linuxBridgeName(NET), 'brqa2b4c6d8-e0');
  });
  it('property: names are 14 chars for any UUID and distinct for host/container', () => {
    fc.assert(fc.property(fc.uuid(), (id) => {
      const { host, container } = vethPairNames(id);
      assert.equal(host.length, 14);
      assert.equal(container.length, 14);
      assert.equal(host.slice(3), id.slice(0, 11));
      assert.notEqual(host, container);
      assert.equal(linuxBridgeName(id), `brq${id.slice(0, 11)}`);
    }));
  });
  it('short IDs give short names, like upstream', () => {
    assert.equal(hostVethName('abc'), 'tapabc');
  });
  it('refuses IDs that would make an invalid interface name', () => {
    for (const bad of ['', 'ab/cd', 'ab cd', 'ab:cd']) {
      assert.throws(() => hostVethName(bad), (e: unknown) => e instanceof InvalidRequestError && e.code === 'ERR_INVALID_NAME');
    }
  });
  it('temporary names are tmp + 11 hex chars and differ', () => {
    const a = tempIfName();
    const b = tempIfName();
    assert.match(a, /^tmp[0-9a-f]{11}$/);
    assert.notEqual(a, b);
    assert.equal(tempIfName(() => 'deadbeef'), 'tmpdeadbeef');
  });
});
