import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  dockerIdFilter, dockerIdFromTags, dockerIdTags, endpointPortName, existingNetworkTag, networkName, poolName, subnetName,
} from '../../src/neutron/naming.ts';

const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);

test('a 64-hex Docker id becomes the upstream low/high tag pair', () => {
  const id = 'a'.repeat(32) + 'b'.repeat(32);
  assert.deepEqual(dockerIdTags(id), [`kuryr.net.uuid.lh:${'a'.repeat(32)}`, `kuryr.net.uuid.uh:${'b'.repeat(32)}`]);
  assert.equal(dockerIdFilter(id), `kuryr.net.uuid.lh:${'a'.repeat(32)},kuryr.net.uuid.uh:${'b'.repeat(32)}`);
});

test('a 25-char swarm id gets only the low tag', () => {
  assert.deepEqual(dockerIdTags('abcdefghijklmnopqrstuvwxy'), ['kuryr.net.uuid.lh:abcdefghijklmnopqrstuvwxy']);
});

test('tags round-trip to the Docker id, whatever other tags sit beside them', () => {
  fc.assert(fc.property(hex64, fc.array(fc.string()), (id, other) => {
    const tags = fc.sample(fc.shuffledSubarray([...dockerIdTags(id), ...other.filter((t) => !t.startsWith('kuryr.net.uuid'))]), 1)[0] ?? [];
    const all = [...dockerIdTags(id), ...tags.filter((t) => !t.startsWith('kuryr.net.uuid'))];
    assert.equal(dockerIdFromTags(all), id);
  }));
  assert.equal(dockerIdFromTags(['compute:kuryr']), undefined);
  assert.equal(dockerIdFromTags(null), undefined);
});

test('every tag fits Neutron\'s 64-character limit', () => {
  fc.assert(fc.property(hex64, (id) => dockerIdTags(id).every((t) => t.length <= 64) && existingNetworkTag(id).length <= 64));
});

test('upstream resource names', () => {
  const id = '0123456789abcdef'.repeat(4);
  assert.equal(networkName(id), 'kuryr-net-01234567');
  assert.equal(existingNetworkTag(id), 'kuryr.net.existing:0123456789ab');
  assert.equal(subnetName('10.0.0.0/24'), 'kuryr-subnet-10.0.0.0/24');
  assert.equal(poolName('kuryrPool', '10.0.0.0/24'), 'kuryrPool-10.0.0.0/24');
  assert.equal(endpointPortName(id), `${id}-port`);
});
