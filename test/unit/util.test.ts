import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { cidrEquals, firstHost, networkOf, prefixLen, sameIp } from '../../src/util/ip.ts';
import { createKeyedMutex } from '../../src/util/keyed-mutex.ts';
import { withRollback } from '../../src/util/undo-stack.ts';

test('networkOf and firstHost agree with Neutron\'s defaults', () => {
  assert.equal(networkOf('10.20.0.7/24'), '10.20.0.0/24');
  assert.equal(networkOf('2001:db8:0:0::9/64'), '2001:db8::/64');
  assert.equal(firstHost('10.20.0.0/24'), '10.20.0.1');
  assert.equal(firstHost('fd00:1::/64'), 'fd00:1::1');
  assert.equal(prefixLen('10.0.0.0/16'), 16);
  assert.ok(sameIp('fd00::1', 'fd00:0:0::1'));
  assert.ok(!sameIp('10.0.0.1', '10.0.0.2'));
  assert.ok(cidrEquals('10.0.0.5/24', '10.0.0.0/24'));
});

test('the network of any address in a /24 is that /24', () => {
  fc.assert(fc.property(fc.ipV4(), (ip) => {
    const net = networkOf(`${ip}/24`);
    return net === `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  }));
});

test('keyed mutex serialises one key and lets other keys run', async () => {
  const m = createKeyedMutex();
  const order: string[] = [];
  let inside = 0;
  let maxInside = 0;
  const job = (key: string, label: string) => m.run(key, async () => {
    inside += 1; maxInside = Math.max(maxInside, inside);
    order.push(`${label}+`);
    await new Promise((r) => setTimeout(r, 5));
    order.push(`${label}-`);
    inside -= 1;
  });
  await Promise.all([job('a', 'a1'), job('a', 'a2'), job('a', 'a3')]);
  assert.deepEqual(order, ['a1+', 'a1-', 'a2+', 'a2-', 'a3+', 'a3-']);
  assert.equal(maxInside, 1);
  // a failing holder releases the key
  await assert.rejects(m.run('b', async () => { throw new Error('boom'); }));
  assert.equal(await m.run('b', async () => 42), 42);
  // different keys overlap
  let overlap = false;
  let running = 0;
  await Promise.all(['x', 'y'].map((k) => m.run(k, async () => {
    running += 1; if (running === 2) overlap = true;
    await new Promise((r) => setTimeout(r, 5)); running -= 1;
  })));
  assert.ok(overlap);
});

test('withRollback undoes completed steps in reverse and keeps the original error', async () => {
  const undone: string[] = [];
  const failures: string[] = [];
  const err = await withRollback(async (undo) => {
    undo.push('one', async () => { undone.push('one'); });
    undo.push('two', async () => { throw new Error('undo two failed'); });
    undo.push('three', async () => { undone.push('three'); });
    throw new Error('original');
  }, (label) => failures.push(label)).catch((e: unknown) => e as Error & { rollbackFailures?: string[] });
  assert.equal(err.message, 'original');
  assert.deepEqual(undone, ['three', 'one']);
  assert.deepEqual(failures, ['two']);
  assert.deepEqual(err.rollbackFailures, ['two']);
  assert.equal(await withRollback(async () => 'ok'), 'ok');
});
