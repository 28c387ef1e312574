// Assertion helpers shared by the configuration tests: run something that must fail with a ConfigError of a
// given code, and hand the error back for message checks.
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.ts';

export function configError(fn: () => unknown, code: ConfigError['code'] = 'ERR_CONFIG_VALUE'): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

export async function configErrorAsync(p: Promise<unknown>, code: ConfigError['code'] = 'ERR_CONFIG_VALUE'): Promise<ConfigError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}
