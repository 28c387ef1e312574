// How option values may appear in messages: the `***` mask, the one builder of ERR_CONFIG_VALUE errors that
// quote a value (masking secrets), and redactConfig for logging a KuryrConfig. Must never let a secret
// option's value (or a value built from one by `$name` substitution) reach an error, a warning or a log line.
import { ConfigError } from '../errors.ts';
import type { AnyOptionSpec } from './option-spec.ts';
import type { KuryrConfig } from './types.ts';

export const SECRET_MASK = '***';

/** `masked`: print `***` instead of the value (secret options, and values that expanded a secret) */
export function valueError(
  section: string, o: AnyOptionSpec, value: string, reason: string, origin?: string, masked: boolean = o.secret,
): ConfigError {
  const from = origin === undefined ? '' : ` (from ${origin})`;
  return new ConfigError('ERR_CONFIG_VALUE', `[${section}] ${o.name} = ${masked ? SECRET_MASK : value}: ${reason}${from}`, {
    details: { section, option: o.name, ...(origin === undefined ? {} : { origin }) },
  });
}

/** A copy safe to log or print: secrets replaced by `***`. */
export function redactConfig(config: KuryrConfig): KuryrConfig {
  const auth = config.neutron.auth;
  return {
    ...config,
    neutron: {
      ...config.neutron,
      auth: auth.type === 'password' ? { ...auth, password: SECRET_MASK }
        : auth.type === 'v3applicationcredential' ? { ...auth, applicationCredentialSecret: SECRET_MASK }
        : { ...auth },
    },
  };
}
