// Unit tests for src/host/validate.ts: accepted/refused shapes, normalisation, and that every refusal is an
// InvalidRequestError carrying ERR_INVALID_NAME (ERR_INVALID_REQUEST for MTUs). Pure; no host access.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidRequestError } from '../../src/errors.ts';
import {
  assertCidr, assertIfName, assertMac, assertMtu, assertPciAddress, assertPlainId, assertUuid, parseCidr,
} from '../../src/host/validate.ts';

function refuses(fn: () => unknown, code: 'ERR_INVALID_NAME' | 'ERR_INVALID_REQUEST' = 'ERR_INVALID_NAME', re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidRequestError, `expected InvalidRequestError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (re !== undefined) assert.match(e.message, re);
    return true;
  });
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });

describe('assertIfName', () => {
  it('accepts names the kernel accepts', () => {
    for (const n of ['eth0', 'tap12345678-ab', 't_c12345678-ab', 'brq0123456789a', 'a', 'x'.repeat(15), 'vlan.100', 'é'.repeat(7)]) {
      assert.equal(assertIfName(n), n);
    }
  });
  it('refuses empty, too long (bytes), reserved and unsafe names with a clear reason', () => {
    refuses(() => assertIfName(''), 'ERR_INVALID_NAME', /empty/);
    refuses(() => assertIfName('x'.repeat(16)), 'ERR_INVALID_NAME', /16 bytes.*at most 15/);
    refuses(() => assertIfName('é'.repeat(8)), 'ERR_INVALID_NAME', /16 bytes/); // 8 chars, 16 bytes
    refuses(() => assertIfName('.'), 'ERR_INVALID_NAME', /reserved/);
    refuses(() => assertIfName('..'), 'ERR_INVALID_NAME', /reserved/);
    refuses(() => assertIfName('a/b'), 'ERR_INVALID_NAME', /'\/'/);
    refuses(() => assertIfName('eth0:1'), 'ERR_INVALID_NAME', /':'/);
    refuses(() => assertIfName('a b'), 'ERR_INVALID_NAME', /whitespace/);
    refuses(() => assertIfName('a\tb'), 'ERR_INVALID_NAME', /whitespace/);
    refuses(() => assertIfName('a\u0001b'), 'ERR_INVALID_NAME', /control/);
    refuses(() => assertIfName('-x'), 'ERR_INVALID_NAME', /'-'/);
    refuses(() => assertIfName(42), 'ERR_INVALID_NAME', /not a string/);
  });
  it('names the field in the message', () => {
    refuses(() => assertIfName('', 'bridge name'), 'ERR_INVALID_NAME', /invalid bridge name ""/);
  });
  it('property: anything accepted is 1..15 bytes and free of / : whitespace', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20, unit: 'binary' }), (s) => {
      let ok = true;
      try { assertIfName(s); } catch { ok = false; }
      if (ok) {
        const b = Buffer.byteLength(s);
        assert.ok(b >= 1 && b <= 15);
        assert.ok(!/[/:\s]/u.test(s));
      }
    }), { numRuns: 500 });
  });
});

describe('assertMac', () => {
  it('returns lower case', () => {
    assert.equal(assertMac('FA:16:3E:AA:bb:0C'), 'fa:16:3e:aa:bb:0c');
  });
  it('refuses other notations', () => {
    for (const m of ['fa16.3eaa.bb0c', 'fa-16-3e-aa-bb-0c', 'fa:16:3e:aa:bb', 'fa:16:3e:aa:bb:0c:00', 'g0:16:3e:aa:bb:0c', ' fa:16:3e:aa:bb:0c', 'fa:16:3e:aa:bb:0c\n', '']) {
      refuses(() => assertMac(m), 'ERR_INVALID_NAME', /MAC/);
    }
  });
  it('property: any six hex pairs round-trip to lower case', () => {
    fc.assert(fc.property(fc.array(hex(2), { minLength: 6, maxLength: 6 }), (pairs) => {
      const mac = pairs.join(':');
      assert.equal(assertMac(mac), mac.toLowerCase());
    }));
  });
});

describe('assertPciAddress', () => {
  it('accepts dddd:bb:dd.f and lower-cases it', () => {
    assert.equal(assertPciAddress('0000:03:10.1'), '0000:03:10.1');
    assert.equal(assertPciAddress('0000:AF:1F.7'), '0000:af:1f.7');
  });
  it('refuses short forms, out-of-range device/function, and path tricks', () => {
    for (const p of ['03:10.1', '0000:03:10', '0000:03:20.0', '0000:03:10.8', '0000:3:10.1', '0000:03:10.1/../x', '../0000:03:10.1', '0000:03:10.1 ']) {
      refuses(() => assertPciAddress(p), 'ERR_INVALID_NAME', /PCI address/);
    }
  });
  it('property: generated valid addresses are accepted', () => {
    fc.assert(fc.property(hex(4), hex(2), fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 }), (d, b, dev, fn) => {
      const pci = `${d}:${b}:${dev.toString(16).padStart(2, '0')}.${fn}`;
      assert.equal(assertPciAddress(pci), pci.toLowerCase());
    }));
  });
});

describe('assertUuid / assertPlainId / assertMtu', () => {
  it('uuid: lower-cases valid, refuses others', () => {
    fc.assert(fc.property(fc.uuid(), (u) => { assert.equal(assertUuid(u.toUpperCase()), u.toLowerCase()); }));
    for (const u of ['', 'not-a-uuid', '0123456789abcdef0123456789abcdef', '01234567-89ab-cdef-0123-456789abcdef0']) {
      refuses(() => assertUuid(u), 'ERR_INVALID_NAME', /UUID/);
    }
  });
  it('plain id: docker endpoint IDs pass; separators and spaces do not', () => {
    assert.equal(assertPlainId('a'.repeat(64)), 'a'.repeat(64));
    for (const v of ['', 'a b', 'a=b', 'a/b', '-a', 'a"b', 'x'.repeat(256)]) refuses(() => assertPlainId(v));
  });
  it('mtu: integers 68..65535, ERR_INVALID_REQUEST otherwise', () => {
    assert.equal(assertMtu(1450), 1450);
    assert.equal(assertMtu(68), 68);
    assert.equal(assertMtu(65535), 65535);
    for (const v of [67, 65536, 1500.5, Number.NaN, '1500', -1]) refuses(() => assertMtu(v), 'ERR_INVALID_REQUEST', /MTU/);
  });
});

describe('parseCidr / assertCidr', () => {
  it('parses IPv4 and IPv6, giving canonical forms and the network', () => {
    assert.deepEqual(parseCidr('10.1.2.3/24'), { family: 4, address: '10.1.2.3', prefixLength: 24, network: '10.1.2.0', cidr: '10.1.2.0/24' });
    assert.deepEqual(parseCidr('FD00:0:0::1/64'), { family: 6, address: 'fd00::1', prefixLength: 64, network: 'fd00::', cidr: 'fd00::/64' });
    assert.equal(assertCidr('0.0.0.0/0'), '0.0.0.0/0');
    assert.equal(assertCidr('2001:DB8::/32'), '2001:db8::/32');
  });
  it('strict mode refuses host bits', () => {
    assert.equal(assertCidr('10.0.0.0/8', { strict: true }), '10.0.0.0/8');
    refuses(() => assertCidr('10.0.0.1/8', { strict: true }), 'ERR_INVALID_NAME', /host bits.*10\.0\.0\.0\/8/);
  });
  it('refuses missing or bad prefixes, bad addresses, zones and leading zeros', () => {
    for (const c of ['10.0.0.0', '10.0.0.0/', '10.0.0.0/33', '10.0.0.0/024', '10.0.0.0/-1', '10.0.0.0/8/8', '256.0.0.0/8',
      '010.0.0.0/8', '10.0.0/8', 'fd00::/129', 'fd00::%eth0/64', 'fd00:::1/64', 'hello/8', ' 10.0.0.0/8', '']) {
      refuses(() => parseCidr(c), 'ERR_INVALID_NAME', /CIDR/);
    }
  });
  it('property: every generated v4/v6 address with a valid prefix parses, and the network is stable', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (a, p) => {
      const r = parseCidr(`${a}/${p}`);
      assert.equal(r.family, 4);
      assert.equal(parseCidr(r.cidr, { strict: true }).cidr, r.cidr);
    }));
    fc.assert(fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (a, p) => {
      const r = parseCidr(`${a}/${p}`);
      assert.equal(r.family, 6);
      assert.equal(parseCidr(r.cidr, { strict: true }).cidr, r.cidr);
    }));
  });
});
