// Neutron authentication assembly: `[neutron] auth_section` lookup, then auth_type none (endpoint_override),
// password/v3password (Keystone v3, project-scoped, default_domain_* fallbacks) or v3applicationcredential
// into NeutronAuthConfig, each value from the files, else the clouds.yaml cloud, else OS_* (auth-sources.ts).
// Decides what is required or unsupported; must not read files or the environment directly (the Resolver
// and the layers do) and must never quote a secret (password, token, application credential secret).
import { ConfigError } from '../errors.ts';
import type { LayeredLookup } from './auth-sources.ts';
import { normalizeSectionName } from './ini.ts';
import type { AnyOptionSpec } from './option-spec.ts';
import { OPTIONS } from './options.ts';
import { createResolver, type MergedDoc, type ResolveContext } from './resolver.ts';
import { valueError } from './secrets.ts';
import type { NeutronAuthConfig } from './types.ts';

/** `[neutron] auth_section`, normalized, or undefined when unset; the section it names must exist. */
export function resolveAuthSection(merged: MergedDoc, ctx: ResolveContext): string | undefined {
  const bootstrap = createResolver(merged, ctx, undefined);
  const authSectionRaw = bootstrap.get(OPTIONS.authSection);
  const authSection = authSectionRaw === undefined ? undefined : normalizeSectionName(authSectionRaw);
  if (authSectionRaw !== undefined && authSection !== undefined && !merged.has(authSection)) {
    throw valueError('neutron', OPTIONS.authSection, authSectionRaw,
      `there is no [${authSection}] section in the configuration`, undefined, bootstrap.isMasked(OPTIONS.authSection));
  }
  return authSection;
}

function compact<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

const SUPPORTED_AUTH_TYPES = ['none', 'password', 'v3password', 'v3applicationcredential'] as const;

export interface BuiltAuth {
  auth: NeutronAuthConfig;
  /** start-up warnings (option names and origins, never values) */
  warnings: string[];
}

/**
 * The `auth` part of KuryrConfig.neutron; throws ERR_CONFIG_VALUE on a missing or unsupported setting.
 * Without auth_type anywhere, the first layer holding auth options decides: v3applicationcredential when it
 * has an application credential, password otherwise (the OpenStack CLI's default).
 */
export function buildAuth(l: LayeredLookup): BuiltAuth {
  const at = (o: AnyOptionSpec): string => `[${l.sectionOf(o)}] ${o.name}`;
  const missing = (o: AnyOptionSpec, reason: string): ConfigError => {
    const elsewhere = l.elsewhere(o);
    const also = elsewhere.length === 0 ? '' : ` (nor ${elsewhere.join(' nor ')})`;
    return new ConfigError('ERR_CONFIG_VALUE', `${at(o)} is not set${also}: ${reason}`, {
      details: { section: l.sectionOf(o), option: o.name },
    });
  };
  const origin = (o: AnyOptionSpec): string => {
    const from = l.layerOrigin(o);
    return from === undefined ? '' : ` (from ${from})`;
  };
  const warnings: string[] = [];

  let authType = l.get(OPTIONS.authType);
  if (authType === undefined) {
    const primary = l.layers.find((layer) => layer.hasAuth);
    if (primary === undefined) {
      throw missing(
        OPTIONS.authType,
        `set [neutron] auth_type = password (Keystone v3: auth_url, username, password, project_name, ...), ` +
          `auth_type = v3applicationcredential (auth_url, application_credential_id, application_credential_secret) ` +
          `or auth_type = none (no Keystone; endpoint_override = <Neutron URL>); or name a clouds.yaml cloud ` +
          `([neutron] cloud = NAME or $OS_CLOUD), or export the OpenStack CLI's OS_AUTH_URL, OS_USERNAME, ... variables`,
      );
    }
    authType = primary.hasApplicationCredential ? 'v3applicationcredential' : 'password';
  }
  const endpointOverride = l.get(OPTIONS.endpointOverride);

  if (authType === 'none') {
    if (endpointOverride === undefined) {
      throw missing(OPTIONS.endpointOverride, 'required when auth_type = none (the Neutron URL, e.g. http://127.0.0.1:9696)');
    }
    return { auth: { type: 'none', endpointOverride }, warnings };
  }

  if (authType !== 'password' && authType !== 'v3password' && authType !== 'v3applicationcredential') {
    const from = l.layerOrigin(OPTIONS.authType);
    throw valueError(
      l.sectionOf(OPTIONS.authType),
      OPTIONS.authType,
      authType,
      `auth type not supported yet (supported: ${SUPPORTED_AUTH_TYPES.join(', ')})`,
      from,
      l.isMasked(OPTIONS.authType),
    );
  }

  const needed = `required when auth_type = ${authType}`;
  const authUrl = l.get(OPTIONS.authUrl);
  if (authUrl === undefined) throw missing(OPTIONS.authUrl, `${needed} (e.g. http://controller:5000/v3)`);
  const username = l.get(OPTIONS.username);
  const userId = l.get(OPTIONS.userId);
  // keystoneauth's generic plugins: default_domain_* fills in the user and project domains
  const defaultDomainName = l.get(OPTIONS.defaultDomainName);
  const defaultDomainId = l.get(OPTIONS.defaultDomainId);
  const userDomainName = l.get(OPTIONS.userDomainName) ?? defaultDomainName;
  const userDomainId = l.get(OPTIONS.userDomainId) ?? defaultDomainId;
  const needUserDomain = (): void => {
    // Keystone v3 refuses a user given by name without its domain; say so at start-up.
    if (userId === undefined && userDomainName === undefined && userDomainId === undefined) {
      throw missing(OPTIONS.userDomainName,
        'username needs user_domain_name or user_domain_id (or default_domain_name / default_domain_id)');
    }
  };

  if (authType === 'v3applicationcredential') {
    const applicationCredentialSecret = l.get(OPTIONS.applicationCredentialSecret);
    if (applicationCredentialSecret === undefined) throw missing(OPTIONS.applicationCredentialSecret, needed);
    const applicationCredentialId = l.get(OPTIONS.applicationCredentialId);
    const applicationCredentialName = l.get(OPTIONS.applicationCredentialName);
    if (applicationCredentialId === undefined) {
      if (applicationCredentialName === undefined) {
        throw missing(OPTIONS.applicationCredentialId, `${needed} (or application_credential_name with the user that owns it)`);
      }
      if (username === undefined && userId === undefined) {
        throw missing(OPTIONS.username,
          'application_credential_name needs the user that owns the credential: username (with its domain) or user_id');
      }
      needUserDomain();
    }
    // An application credential carries its own project scope; Keystone refuses a second one.
    for (const o of [
      OPTIONS.projectName, OPTIONS.projectId, OPTIONS.projectDomainName, OPTIONS.projectDomainId,
      OPTIONS.domainName, OPTIONS.domainId, OPTIONS.systemScope, OPTIONS.trustId,
    ]) {
      if (l.get(o) !== undefined) {
        warnings.push(`${at(o)} is ignored with auth_type = v3applicationcredential: an application credential ` +
          `is always scoped to the project it was created in${origin(o)}`);
      }
    }
    return {
      auth: {
        type: 'v3applicationcredential',
        authUrl,
        applicationCredentialSecret,
        ...compact({
          applicationCredentialId,
          // by id, the name and user are not sent (keystoneauth does the same)
          ...(applicationCredentialId === undefined
            ? { applicationCredentialName, username, userId, userDomainName, userDomainId }
            : {}),
          endpointOverride,
        }),
      },
      warnings,
    };
  }

  const password = l.get(OPTIONS.password);
  if (password === undefined) throw missing(OPTIONS.password, needed);
  if (username === undefined && userId === undefined) {
    throw missing(OPTIONS.username, `${needed} (or set user_id)`);
  }

  for (const [o, kind] of [
    [OPTIONS.domainName, 'domain-scoped'],
    [OPTIONS.domainId, 'domain-scoped'],
    [OPTIONS.systemScope, 'system-scoped'],
    [OPTIONS.trustId, 'trust-scoped'],
  ] as const) {
    const v = l.get(o);
    if (v !== undefined) {
      throw valueError(l.sectionOf(o), o, v,
        `${kind} tokens are not supported yet; scope to a project with project_name or project_id`,
        l.layerOrigin(o), l.isMasked(o));
    }
  }

  const projectName = l.get(OPTIONS.projectName);
  const projectId = l.get(OPTIONS.projectId);
  if (projectName === undefined && projectId === undefined) {
    throw missing(OPTIONS.projectName, `${needed} (or set project_id): the plugin needs a project-scoped token`);
  }
  const projectDomainName = l.get(OPTIONS.projectDomainName) ?? defaultDomainName;
  const projectDomainId = l.get(OPTIONS.projectDomainId) ?? defaultDomainId;

  needUserDomain();
  if (projectId === undefined && projectDomainName === undefined && projectDomainId === undefined) {
    throw missing(OPTIONS.projectDomainName,
      'project_name needs project_domain_name or project_domain_id (or default_domain_name / default_domain_id)');
  }

  return {
    auth: {
      type: 'password',
      authUrl,
      password,
      ...compact({
        username, userId, projectName, projectId, userDomainName, userDomainId, projectDomainName, projectDomainId,
        endpointOverride,
      }),
    },
    warnings,
  };
}
