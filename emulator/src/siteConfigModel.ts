/**
 * The sites/config/web model: default values, the implicit unmatched-rule of access restrictions,
 * and the merge/validation rules App Service applies on PUT/PATCH.
 */
import { checkServiceTag } from '../../src/reconciler/serviceTags';
import { errors } from './errors';
import { eqi, isIpOrCidr, isObject, parseSubnetId } from './ids';
import type { SiteRec, SubnetRec } from './state';

export const IMPLICIT_PRIORITY = 2147483647;
export const MAX_RULES = 512;

/** SiteConfig property names (Microsoft.Web 2025-05-01); anything else in a request is ignored, as App Service does. */
export const SITE_CONFIG_PROPERTIES = new Set([
  'numberOfWorkers', 'defaultDocuments', 'netFrameworkVersion', 'phpVersion', 'pythonVersion', 'nodeVersion',
  'powerShellVersion', 'linuxFxVersion', 'windowsFxVersion', 'requestTracingEnabled', 'requestTracingExpirationTime',
  'remoteDebuggingEnabled', 'remoteDebuggingVersion', 'httpLoggingEnabled', 'acrUseManagedIdentityCreds',
  'acrUserManagedIdentityID', 'logsDirectorySizeLimit', 'detailedErrorLoggingEnabled', 'publishingUsername',
  'appSettings', 'metadata', 'connectionStrings', 'handlerMappings', 'documentRoot', 'scmType',
  'use32BitWorkerProcess', 'webSocketsEnabled', 'alwaysOn', 'javaVersion', 'javaContainer', 'javaContainerVersion',
  'appCommandLine', 'managedPipelineMode', 'virtualApplications', 'loadBalancing', 'experiments', 'limits',
  'autoHealEnabled', 'autoHealRules', 'tracingOptions', 'vnetRouteAllEnabled', 'vnetPrivatePortsCount', 'cors',
  'push', 'apiDefinition', 'apiManagementConfig', 'autoSwapSlotName', 'localMySqlEnabled', 'managedServiceIdentityId',
  'xManagedServiceIdentityId', 'keyVaultReferenceIdentity', 'ipSecurityRestrictions', 'ipSecurityRestrictionsDefaultAction',
  'scmIpSecurityRestrictions', 'scmIpSecurityRestrictionsDefaultAction', 'scmIpSecurityRestrictionsUseMain',
  'http20Enabled', 'http20ProxyFlag', 'minTlsVersion', 'minTlsCipherSuite', 'scmMinTlsVersion', 'ftpsState',
  'preWarmedInstanceCount', 'functionAppScaleLimit', 'elasticWebAppScaleLimit', 'healthCheckPath',
  'functionsRuntimeScaleMonitoringEnabled', 'websiteTimeZone', 'minimumElasticInstanceCount', 'azureStorageAccounts',
  'publicNetworkAccess',
]);
/** read-only or derived: never taken from a request */
const NOT_WRITABLE = new Set(['vnetName', 'machineKey', 'publishingUsername']);

export const RULE_PROPERTIES = [
  'ipAddress', 'subnetMask', 'vnetSubnetResourceId', 'vnetTrafficTag', 'subnetTrafficTag', 'action', 'tag',
  'priority', 'name', 'description', 'headers',
];

export function defaultSiteConfig(kind: string): Record<string, unknown> {
  const isFunction = /functionapp/i.test(kind);
  return {
    numberOfWorkers: 1,
    defaultDocuments: ['Default.htm', 'Default.html', 'Default.asp', 'index.htm', 'index.html', 'iisstart.htm', 'default.aspx', 'index.php', 'hostingstart.html'],
    netFrameworkVersion: 'v4.0',
    phpVersion: '5.6',
    pythonVersion: '',
    nodeVersion: '',
    powerShellVersion: '',
    linuxFxVersion: '',
    requestTracingEnabled: false,
    remoteDebuggingEnabled: false,
    httpLoggingEnabled: false,
    acrUseManagedIdentityCreds: false,
    logsDirectorySizeLimit: 35,
    detailedErrorLoggingEnabled: false,
    publishingUsername: '$site',
    use32BitWorkerProcess: true,
    webSocketsEnabled: false,
    alwaysOn: false,
    appCommandLine: '',
    managedPipelineMode: 'Integrated',
    virtualApplications: [{ virtualPath: '/', physicalPath: 'site\\wwwroot', preloadEnabled: false }],
    loadBalancing: 'LeastRequests',
    autoHealEnabled: false,
    vnetPrivatePortsCount: 0,
    localMySqlEnabled: false,
    ipSecurityRestrictions: [],
    scmIpSecurityRestrictions: [],
    scmIpSecurityRestrictionsUseMain: false,
    http20Enabled: false,
    minTlsVersion: '1.2',
    scmMinTlsVersion: '1.2',
    ftpsState: 'AllAllowed',
    preWarmedInstanceCount: 0,
    functionAppScaleLimit: isFunction ? 200 : 0,
    functionsRuntimeScaleMonitoringEnabled: false,
    minimumElasticInstanceCount: isFunction ? 1 : 0,
    azureStorageAccounts: {},
  };
}

/** an access-restriction rule as stored and answered: its IpSecurityRestriction fields */
export type AccessRestriction = Record<string, unknown>;

export function isImplicitRule(rule: unknown): boolean {
  return (
    isObject(rule) &&
    Number(rule.priority) === IMPLICIT_PRIORITY &&
    eqi(rule.ipAddress as string, 'Any') &&
    (eqi(rule.name as string, 'Allow all') || eqi(rule.name as string, 'Deny all'))
  );
}

export function stripImplicitRules<T>(rules: T[]): T[] {
  return (rules ?? []).filter((rule) => !isImplicitRule(rule));
}

export const implicitRule = (action: 'Allow' | 'Deny') => ({
  ipAddress: 'Any',
  action,
  priority: IMPLICIT_PRIORITY,
  name: `${action} all`,
  description: `${action} all access`,
});

/**
 * What GET shows: the stored rules plus the implicit unmatched rule, always last. Its action is the
 * effective default: the explicit default action when one is set, otherwise "Deny all" after rules
 * and "Allow all" when there are none (learn.microsoft.com/azure/app-service/app-service-ip-restrictions,
 * "unmatched rule action").
 */
export function rulesWithImplicit(rules: AccessRestriction[] | undefined, defaultAction: unknown): AccessRestriction[] {
  const list: AccessRestriction[] = (rules ?? []).map((rule) => ({ ...rule }));
  const explicit = eqi(defaultAction as string, 'Deny') ? 'Deny' : eqi(defaultAction as string, 'Allow') ? 'Allow' : undefined;
  list.push(implicitRule(explicit ?? (list.length ? 'Deny' : 'Allow')));
  return list;
}

export interface SubnetLookup {
  (id: string): SubnetRec | undefined;
}

/** Normalizes and validates one access-restriction list; throws ArmError 400. */
export function normalizeRules(input: unknown, field: string, lookupSubnet: SubnetLookup): AccessRestriction[] {
  if (!Array.isArray(input)) throw errors.badRequest(`The parameter ${field} has an invalid value: an array of IpSecurityRestriction is expected.`);
  const rules = stripImplicitRules(input);
  if (rules.length > MAX_RULES)
    throw errors.badRequest(`The number of ${field} (${rules.length}) exceeds the maximum of ${MAX_RULES} rules.`);
  return rules.map((raw: unknown, i: number) => {
    if (!raw || typeof raw !== 'object') throw errors.badRequest(`${field}[${i}] is not an object.`);
    const sent = raw as Record<string, unknown>;
    const rule: AccessRestriction = {};
    for (const k of RULE_PROPERTIES) if (sent[k] !== undefined && sent[k] !== null) rule[k] = sent[k];
    const hasIp = typeof rule.ipAddress === 'string' && rule.ipAddress !== '';
    const hasVnet = typeof rule.vnetSubnetResourceId === 'string' && rule.vnetSubnetResourceId !== '';
    if (hasIp === hasVnet)
      throw errors.badRequest(
        `${field}[${i}]${rule.name ? ` ('${rule.name}')` : ''}: exactly one of IpAddress and VnetSubnetResourceId must be specified.`,
      );
    if (rule.action === undefined) rule.action = 'Allow';
    if (!eqi(rule.action as string, 'Allow') && !eqi(rule.action as string, 'Deny'))
      throw errors.badRequest(`${field}[${i}]: Action '${rule.action}' is invalid; valid values are 'Allow' and 'Deny'.`);
    if (rule.tag === undefined) rule.tag = 'Default';
    if (!['Default', 'XffProxy', 'ServiceTag'].some((t) => eqi(t, rule.tag as string)))
      throw errors.badRequest(`${field}[${i}]: Tag '${rule.tag}' is invalid.`);
    if (rule.priority !== undefined && (!Number.isInteger(rule.priority) || (rule.priority as number) < 0))
      throw errors.badRequest(`${field}[${i}]: Priority must be a non-negative 32-bit integer.`);
    if (hasIp && eqi(rule.tag as string, 'ServiceTag')) {
      // App Service answers rule errors with code BadRequest (hashicorp/terraform-provider-azurerm#13327:
      // "IpSecurityRestriction is in..."); the exact wording for an unknown tag is not documented
      const unknown = String(rule.ipAddress).split(',').map((s) => s.trim()).find((t) => !checkServiceTag(t).known);
      if (unknown !== undefined)
        throw errors.badRequest(`${field}[${i}]: IpSecurityRestriction is invalid: '${unknown}' is not a valid service tag.`);
    }
    if (hasIp && !eqi(rule.tag as string, 'ServiceTag')) {
      const ips = String(rule.ipAddress).split(',').map((s) => s.trim());
      if (!(ips.length === 1 && eqi(ips[0], 'Any')) && !ips.every(isIpOrCidr))
        throw errors.badRequest(`${field}[${i}]: '${rule.ipAddress}' is not a valid IP address or CIDR range.`);
    }
    if (hasVnet) {
      // A subnet rule is accepted whether or not the subnet has the Microsoft.Web service endpoint
      // yet: the endpoint check is the clients' (azure-cli `az webapp config access-restriction add`
      // checks the subnet itself unless --ignore-missing-endpoint, then sends the same rule with no
      // extra field; azure-powershell PR 14344 likewise; the portal's "Ignore missing Microsoft.Web
      // service endpoints" has no field in the 2025-05-01 model to send). The rule matches nothing
      // until the endpoint exists. `ignoreMissingVnetServiceEndpoint` is not in the model and is
      // not stored. The subnet must exist (stricter where unsure).
      const parsed = parseSubnetId(rule.vnetSubnetResourceId as string);
      if (!parsed)
        throw errors.badRequest(`${field}[${i}]: VnetSubnetResourceId '${rule.vnetSubnetResourceId}' is not a valid subnet resource id.`);
      if (!lookupSubnet(rule.vnetSubnetResourceId as string))
        throw errors.badRequest(
          `Subnet '${parsed.subnet}' of virtual network '${parsed.vnet}' in resource group '${parsed.resourceGroup}' could not be found.`,
        );
      delete rule.ignoreMissingVnetServiceEndpoint;
      rule.vnetTrafficTag = rule.vnetTrafficTag ?? 0;
      rule.subnetTrafficTag = rule.subnetTrafficTag ?? 0;
    }
    return rule;
  });
}

/** The result of applying a config PUT/PATCH body: new stored config + site-level side effects. */
export interface ConfigChange {
  config: Record<string, unknown>;
  vnetRouteAllEnabled?: boolean;
  publicNetworkAccess?: string;
}

/**
 * Merges a SiteConfig properties object into the stored config. App Service treats PUT on
 * config/web like a merge of the properties it is given (null = unchanged); arrays such as
 * ipSecurityRestrictions are replaced whole.
 */
export function applyConfig(site: SiteRec, props: unknown, lookupSubnet: SubnetLookup): ConfigChange {
  if (props === null || typeof props !== 'object' || Array.isArray(props))
    throw errors.badRequest("The 'properties' of a SiteConfigResource must be an object.");
  const config = structuredClone(site.config);
  const change: ConfigChange = { config };
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined) continue;
    if (!SITE_CONFIG_PROPERTIES.has(k) || NOT_WRITABLE.has(k)) continue;
    switch (k) {
      case 'ipSecurityRestrictions':
      case 'scmIpSecurityRestrictions':
        config[k] = normalizeRules(v, k, lookupSubnet);
        break;
      case 'ipSecurityRestrictionsDefaultAction':
      case 'scmIpSecurityRestrictionsDefaultAction':
        if (!eqi(v as string, 'Allow') && !eqi(v as string, 'Deny'))
          throw errors.badRequest(`The parameter ${k} has an invalid value '${v}'; valid values are 'Allow' and 'Deny'.`);
        config[k] = eqi(v as string, 'Allow') ? 'Allow' : 'Deny';
        break;
      case 'scmIpSecurityRestrictionsUseMain':
        if (typeof v !== 'boolean') throw errors.badRequest(`The parameter ${k} has an invalid value; a boolean is expected.`);
        config[k] = v;
        break;
      case 'vnetRouteAllEnabled':
        if (typeof v !== 'boolean') throw errors.badRequest(`The parameter ${k} has an invalid value; a boolean is expected.`);
        change.vnetRouteAllEnabled = v;
        break;
      case 'publicNetworkAccess':
        if (!['Enabled', 'Disabled', ''].some((x) => eqi(x, v as string)))
          throw errors.badRequest(`The parameter publicNetworkAccess has an invalid value '${v}'. Allowed values: 'Enabled', 'Disabled' or an empty string.`);
        change.publicNetworkAccess = v === '' ? '' : eqi(v as string, 'Enabled') ? 'Enabled' : 'Disabled';
        break;
      default:
        config[k] = structuredClone(v);
    }
  }
  return change;
}
