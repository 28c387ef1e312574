// The [neutron] part of the option table: kuryr-lib's Neutron options, keystoneauth session options and
// the keystoneauth auth-plugin options (read from `auth_section` when set), in docs/example-file order.
// Pure data: must not decide which auth settings are required or supported (auth.ts does that).
import { opt, type OptionSpec } from './option-spec.ts';
import { types } from './option-types.ts';

export const ENDPOINT_TYPES = ['public', 'admin', 'internal'] as const;

type AuthOptExtras = Partial<Pick<OptionSpec<string | undefined>, 'deprecatedNames' | 'secret' | 'upstreamDiff'>>;

/** A keystoneauth plugin option: an optional string in [neutron] (or the auth_section group), unset by default. */
function authOpt(
  name: string, field: string | null, help: string, extras: AuthOptExtras = {},
): OptionSpec<string | undefined> {
  return opt({
    section: 'neutron', name, type: types.optionalStr(), default: undefined, authPlugin: true, field, help, ...extras,
  });
}

export const NEUTRON_OPTIONS = {
  // [neutron] — kuryr-lib
  enableDhcp: opt({
    section: 'neutron', name: 'enable_dhcp', type: types.bool(), default: true, field: 'neutron.enableDhcp',
    help: 'enable_dhcp of the subnets the plugin creates.',
    upstreamDiff: 'parsed as a boolean (upstream: a string passed through, default "True")',
  }),
  defaultSubnetpoolV4: opt({
    section: 'neutron', name: 'default_subnetpool_v4', type: types.str(), default: 'kuryr',
    field: 'neutron.defaultSubnetpoolV4', help: 'Name of the default IPv4 subnetpool.',
  }),
  defaultSubnetpoolV6: opt({
    section: 'neutron', name: 'default_subnetpool_v6', type: types.str(), default: 'kuryr6',
    field: 'neutron.defaultSubnetpoolV6', help: 'Name of the default IPv6 subnetpool.',
  }),
  vifPluggingIsFatal: opt({
    section: 'neutron', name: 'vif_plugging_is_fatal', type: types.bool(), default: false,
    field: 'neutron.vifPluggingIsFatal', help: 'CreateEndpoint waits for the port to become ACTIVE and fails otherwise.',
  }),
  vifPluggingTimeout: opt({
    section: 'neutron', name: 'vif_plugging_timeout', type: types.int({ min: 0 }), default: 0,
    field: 'neutron.vifPluggingTimeout', help: 'Seconds to wait for ACTIVE when vif_plugging_is_fatal is set; 0 = forever.',
    upstreamDiff: 'negative values are refused',
  }),
  regionName: opt({
    section: 'neutron', name: 'region_name', type: types.optionalStr(), default: undefined,
    field: 'neutron.regionName', help: 'Keystone catalog region of the Neutron endpoint.',
  }),
  endpointType: opt({
    section: 'neutron', name: 'endpoint_type',
    type: types.enumOf(ENDPOINT_TYPES, { publicURL: 'public', internalURL: 'internal', adminURL: 'admin' }),
    default: 'public', field: 'neutron.endpointType',
    help: 'Keystone catalog interface of the Neutron endpoint (publicURL/internalURL/adminURL also accepted).',
    upstreamDiff: 'also accepts the old publicURL/internalURL/adminURL spellings',
  }),
  // [neutron] — this project
  endpointOverride: opt({
    section: 'neutron', name: 'endpoint_override', type: types.httpUrl(), default: undefined,
    field: 'neutron.auth.endpointOverride',
    help: 'Neutron URL to use instead of the catalog; required with auth_type = none.',
    upstreamDiff: 'new (keystoneauth adapter option; upstream has no Neutron URL option)',
  }),
  // [neutron] — keystoneauth session options
  cafile: opt({
    section: 'neutron', name: 'cafile', type: types.optionalStr(), default: undefined, field: 'neutron.cafile',
    help: 'PEM CA bundle to verify Keystone/Neutron TLS certificates.',
  }),
  certfile: opt({
    section: 'neutron', name: 'certfile', type: types.optionalStr(), default: undefined, field: 'neutron.certfile',
    help: 'PEM client certificate for Keystone/Neutron TLS.',
  }),
  keyfile: opt({
    section: 'neutron', name: 'keyfile', type: types.optionalStr(), default: undefined, field: 'neutron.keyfile',
    help: 'PEM client key for certfile.',
  }),
  insecure: opt({
    section: 'neutron', name: 'insecure', type: types.bool(), default: false, field: 'neutron.insecure',
    help: 'Do not verify TLS certificates (testing only).',
  }),
  timeout: opt({
    section: 'neutron', name: 'timeout', type: types.int({ min: 1 }), default: 30, field: 'neutron.timeout',
    help: 'Per-request timeout for Keystone and Neutron, seconds.',
    upstreamDiff: 'default 30 (keystoneauth: no timeout)',
  }),
  collectTiming: opt({
    section: 'neutron', name: 'collect_timing', type: types.bool(), default: false, field: null,
    help: 'keystoneauth per-request timing collection (accepted, no effect).',
    noEffect: 'keystoneauth timing collection is not implemented',
  }),
  splitLoggers: opt({
    section: 'neutron', name: 'split_loggers', type: types.bool(), default: false, field: null,
    help: 'keystoneauth split request/response loggers (accepted, no effect).',
    noEffect: 'keystoneauth split loggers are not implemented',
  }),
  // [neutron] — keystoneauth auth options
  authSection: opt({
    section: 'neutron', name: 'auth_section', type: types.optionalStr(), default: undefined, field: null,
    help: 'Read the auth_* / plugin options below from this section instead of [neutron].',
  }),
  cloud: opt({
    section: 'neutron', name: 'cloud', type: types.optionalStr(), default: undefined, field: null,
    help: 'clouds.yaml cloud whose auth, region_name, interface and TLS settings fill in what [neutron] leaves unset ' +
      '(default: $OS_CLOUD when auth_type is not set).',
    upstreamDiff: 'new (openstacksdk-style clouds.yaml lookup)',
  }),
  authType: authOpt('auth_type', 'neutron.auth.type',
    'How to authenticate: password / v3password or v3applicationcredential (Keystone v3), or none (use ' +
      'endpoint_override). When unset: from the clouds.yaml cloud, else from OS_* environment variables.', {
      deprecatedNames: ['auth_plugin'],
      upstreamDiff: 'only none, password, v3password and v3applicationcredential are supported; unset = clouds.yaml / OS_* environment',
    }),
  authUrl: opt({
    section: 'neutron', name: 'auth_url', type: types.httpUrl(), default: undefined, authPlugin: true,
    field: 'neutron.auth.authUrl', help: 'Keystone URL, e.g. http://controller:5000/v3.',
  }),
  username: authOpt('username', 'neutron.auth.username', 'Keystone user name.', { deprecatedNames: ['user_name'] }),
  userId: authOpt('user_id', 'neutron.auth.userId', 'Keystone user ID (instead of username).'),
  password: authOpt('password', 'neutron.auth.password', 'Keystone password (never logged).', { secret: true }),
  userDomainName: authOpt('user_domain_name', 'neutron.auth.userDomainName', 'Domain name of username.', {
    upstreamDiff: 'required with username unless default_domain_* is set (Keystone refuses it otherwise)',
  }),
  userDomainId: authOpt('user_domain_id', 'neutron.auth.userDomainId', 'Domain ID of username.'),
  projectName: authOpt('project_name', 'neutron.auth.projectName', 'Project to scope the token to.', {
    deprecatedNames: ['tenant_name'],
    upstreamDiff: 'a project (project_name or project_id) is required: only project-scoped tokens are supported',
  }),
  projectId: authOpt('project_id', 'neutron.auth.projectId', 'Project ID to scope the token to.', {
    deprecatedNames: ['tenant_id'],
  }),
  projectDomainName: authOpt('project_domain_name', 'neutron.auth.projectDomainName', 'Domain name of project_name.', {
    upstreamDiff: 'required with project_name unless default_domain_* is set (Keystone refuses it otherwise)',
  }),
  projectDomainId: authOpt('project_domain_id', 'neutron.auth.projectDomainId', 'Domain ID of project_name.'),
  defaultDomainName: authOpt('default_domain_name', null, 'Fallback for user_domain_name and project_domain_name.'),
  defaultDomainId: authOpt('default_domain_id', null, 'Fallback for user_domain_id and project_domain_id.'),
  // accepted so that upstream configs parse; auth.ts refuses them at start-up when set
  domainName: authOpt('domain_name', null, 'Domain-scoped token (not supported yet: start-up fails if set).'),
  domainId: authOpt('domain_id', null, 'Domain-scoped token by ID (not supported yet: start-up fails if set).'),
  systemScope: authOpt('system_scope', null, 'System-scoped token (not supported yet: start-up fails if set).'),
  trustId: authOpt('trust_id', null, 'Trust-scoped token (not supported yet: start-up fails if set).'),
  token: authOpt('token', null, 'Token for the token auth types (not supported yet).', { secret: true }),
  applicationCredentialId: authOpt('application_credential_id', 'neutron.auth.applicationCredentialId',
    'Application credential ID (auth_type v3applicationcredential).'),
  applicationCredentialName: authOpt('application_credential_name', 'neutron.auth.applicationCredentialName',
    'Application credential name (instead of the ID); needs user_id, or username + user domain.'),
  applicationCredentialSecret: authOpt('application_credential_secret', 'neutron.auth.applicationCredentialSecret',
    'Application credential secret (never logged).', { secret: true }),
} as const;
