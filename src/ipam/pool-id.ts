// The PoolID handed to dockerd. For a pool the plugin created (or one named with neutron.pool.*) it is the
// subnetpool UUID, as upstream. A network carved from a shared default subnetpool (`docker network create`
// without --subnet) gets `<default pool UUID>/<cidr>`, so later calls know which of the pool's subnets is meant.
import { InvalidRequestError } from '../errors.ts';

export interface PoolRef { poolId: string; cidr?: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodePoolId(ref: PoolRef): string {
  return ref.cidr === undefined ? ref.poolId : `${ref.poolId}/${ref.cidr}`;
}

export function parsePoolId(poolId: string): PoolRef {
  const uuid = poolId.slice(0, 36);
  const rest = poolId.slice(36);
  if (!UUID.test(uuid) || (rest !== '' && !rest.startsWith('/'))) {
    throw new InvalidRequestError('ERR_INVALID_REQUEST', `PoolID: ${poolId} is not a pool id this plugin issued`);
  }
  return rest === '' ? { poolId: uuid } : { poolId: uuid, cidr: rest.slice(1) };
}
