// Neutron authentication assembly: `[neutron] auth_section` lookup, then auth_type none (endpoint_override)
// or password/v3password (Keystone v3, project-scoped, default_domain_* fallbacks) into NeutronAuthConfig.
// Decides what is required or unsupported; must not read files or the environment directly (the Resolver
// does, including deprecated names) and must never quote a secret (password, token) in an error.
import { ConfigError } from '../errors.ts';
import { normalizeSectionName } from './ini.ts';
import type { AnyOptionSpec } from './option-spec.ts';
import { OPTIONS } from './options.ts';
import { createResolver, type MergedDoc, type ResolveContext, type Resolver } from './resolver.ts';
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

const SUPPORTED_AUTH_TYPES = ['none', 'password', 'v3password'] as const;

/** The `auth` part of KuryrConfig.neutron; throws ERR_CONFIG_VALUE on a missing or unsupported setting. */
export function buildAuth(r: Resolver): NeutronAuthConfig {
  const at = (o: AnyOptionSpec): string => `[${r.sectionOf(o)}] ${o.name}`;
  const missing = (o: AnyOptionSpec, reason: string): ConfigError =>
    new ConfigError('ERR_CONFIG_VALUE', `${at(o)} is not set: ${reason}`, {
      details: { section: r.sectionOf(o), option: o.name },
    });

  const authType = r.get(OPTIONS.authType);
  if (authType === undefined) {
    throw missing(
      OPTIONS.authType,
      `set [neutron] auth_type = password (Keystone v3: auth_url, username, password, project_name, ...) ` +
        `or auth_type = none (no Keystone; endpoint_override = <Neutron URL>)`,
    );
  }
  const endpointOverride = r.get(OPTIONS.endpointOverride);

  if (authType === 'none') {
    if (endpointOverride === undefined) {
      throw missing(OPTIONS.endpointOverride, 'required when auth_type = none (the Neutron URL, e.g. http://127.0.0.1:9696)');
    }
    return { type: 'none', endpointOverride };
  }

  if (authType !== 'password' && authType !== 'v3password') {
    throw valueError(
      r.sectionOf(OPTIONS.authType),
      OPTIONS.authType,
      authType,
      `auth type not supported yet (supported: ${SUPPORTED_AUTH_TYPES.join(', ')})`,
      undefined,
      r.isMasked(OPTIONS.authType),
    );
  }

  const needed = `required when auth_type = ${authType}`;
  const authUrl = r.get(OPTIONS.authUrl);
  if (authUrl === undefined) throw missing(OPTIONS.authUrl, `${needed} (e.g. http://controller:5000/v3)`);
  const password = r.get(OPTIONS.password);
  if (password === undefined) throw missing(OPTIONS.password, needed);
  const username = r.get(OPTIONS.username);
  const userId = r.get(OPTIONS.userId);
  if (username === undefined && userId === undefined) {
    throw missing(OPTIONS.username, `${needed} (or set user_id)`);
  }

  for (const [o, kind] of [
    [OPTIONS.domainName, 'domain-scoped'],
    [OPTIONS.domainId, 'domain-scoped'],
    [OPTIONS.systemScope, 'system-scoped'],
    [OPTIONS.trustId, 'trust-scoped'],
  ] as const) {
    const v = r.get(o);
    if (v !== undefined) {
      throw valueError(r.sectionOf(o), o, v,
        `${kind} tokens are not supported yet; scope to a project with project_name or project_id`,
        undefined, r.isMasked(o));
    }
  }

  const projectName = r.get(OPTIONS.projectName);
  const projectId = r.get(OPTIONS.projectId);
  if (projectName === undefined && projectId === undefined) {
    throw missing(OPTIONS.projectName, `${needed} (or set project_id): the plugin needs a project-scoped token`);
  }

  // keystoneauth's generic password plugin: default_domain_* fills in the user and project domains
  const defaultDomainName = r.get(OPTIONS.defaultDomainName);
  const defaultDomainId = r.get(OPTIONS.defaultDomainId);
  const userDomainName = r.get(OPTIONS.userDomainName) ?? defaultDomainName;
  const userDomainId = r.get(OPTIONS.userDomainId) ?? defaultDomainId;
  const projectDomainName = r.get(OPTIONS.projectDomainName) ?? defaultDomainName;
  const projectDomainId = r.get(OPTIONS.projectDomainId) ?? defaultDomainId;

  // Keystone v3 refuses a user or project given by name without its domain; say so at start-up.
  if (userId === undefined && userDomainName === undefined && userDomainId === undefined) {
    throw missing(OPTIONS.userDomainName,
      'username needs user_domain_name or user_domain_id (or default_domain_name / default_domain_id)');
  }
  if (projectId === undefined && projectDomainName === undefined && projectDomainId === undefined) {
    throw missing(OPTIONS.projectDomainName,
      'project_name needs project_domain_name or project_domain_id (or default_domain_name / default_domain_id)');
  }

  return {
    type: 'password',
    authUrl,
    password,
    ...compact({
      username, userId, projectName, projectId, userDomainName, userDomainId, projectDomainName, projectDomainId,
      endpointOverride,
    }),
  };
}
