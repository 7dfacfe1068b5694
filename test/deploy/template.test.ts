/**
 * deploy/azuredeploy.json, offline: every resource's type and api-version is in the vendored
 * specs, every request body (parameters substituted) validates against its PUT schema, and the
 * role it creates is deploy/lockdown-operator-role.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderTemplate, ROLE_PATH, TEMPLATE_PATH } from '../../scripts/deploy-template';
import { deploy, type DeployedResource, type DeploymentContext } from '../support/armTemplate';
import { putOperations, requestValidator } from '../support/armSpecs';

const root = path.resolve(__dirname, '../..');
const template = JSON.parse(readFileSync(path.join(root, TEMPLATE_PATH), 'utf8'));
const role = JSON.parse(readFileSync(path.join(root, ROLE_PATH), 'utf8'));

const SUB = '11111111-1111-1111-1111-111111111111';
const OTHER_SUB = '22222222-2222-2222-2222-222222222222';
const context: DeploymentContext = { scope: 'resourceGroup', subscriptionId: SUB, resourceGroup: 'lockdown', location: 'westeurope', deploymentName: 'azuredeploy' };
const PRINCIPAL = '99999999-0000-0000-0000-000000000001';
const CLIENT = '99999999-0000-0000-0000-000000000002';

/** Offline stand-ins for reference(): only the resources the template reads, only the fields it reads. */
function references(resourceId: string, full: boolean): unknown {
  if (/\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\//i.test(resourceId)) return { principalId: PRINCIPAL, clientId: CLIENT, tenantId: 'tenant' };
  if (/\/providers\/Microsoft\.Web\/sites\/[^/]+$/i.test(resourceId) && full) return { identity: { type: 'SystemAssigned', principalId: PRINCIPAL } };
  if (/\/providers\/Microsoft\.Insights\/components\//i.test(resourceId)) return { ConnectionString: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/' };
  throw new Error(`reference(${resourceId}${full ? ", 'Full'" : ''}) has no offline stand-in`);
}

const scopes = [
  { subscriptionId: SUB, resourceGroup: 'fn' },
  { subscriptionId: SUB, resourceGroup: 'net' },
  { subscriptionId: OTHER_SUB, resourceGroup: 'web' },
];
const PARAMETER_SETS: Record<string, Record<string, unknown>> = {
  defaults: { alertEmail: 'owners@example.com', roleScopes: scopes },
  'system-assigned on Premium with a vault': {
    alertEmail: 'owners@example.com',
    roleScopes: scopes,
    identityType: 'SystemAssigned',
    hostingPlan: 'Premium',
    keyVaultName: 'lockdown-kv',
    vaultSecrets: [{ setting: 'LOCKDOWN_TEAMS_WEBHOOK_URL', secretName: 'lockdown-teams' }],
    enableEvents: false,
    dryRun: true,
  },
  'Consumption with a vault': { alertEmail: 'owners@example.com', hostingPlan: 'Consumption', keyVaultName: 'kv', vaultSecrets: [{ setting: 'LOCKDOWN_WEBHOOK_SECRET', secretName: 'hmac' }] },
};

/**
 * Types whose spec is not among the vendored files. Each is still evaluated (every
 * expression in it must evaluate); only the schema check is missing, and it is listed here.
 */
const NOT_VENDORED: Record<string, string> = {
  'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01': 'blob.json (2023-05-01) is not vendored',
  // Its inner templates' resources are checked one by one like the others.
  'Microsoft.Resources/deployments@2022-09-01': 'resources.json (2022-09-01) is not vendored',
};

function deployAll(name: string): DeployedResource[] {
  return deploy(template, PARAMETER_SETS[name], context, references).resources;
}

function settingsOf(resources: DeployedResource[]): Record<string, string> {
  const site = resources.find((resource) => resource.type === 'Microsoft.Web/sites')!;
  const appSettings = ((site.body.properties as any).siteConfig.appSettings as Array<{ name: string; value: string }>);
  return Object.fromEntries(appSettings.map((setting) => [setting.name, setting.value]));
}

describe('deploy/azuredeploy.json', () => {
  it('is what npm run deploy:template generates from the role file (run it after changing either)', () => {
    expect(readFileSync(path.join(root, TEMPLATE_PATH), 'utf8')).toBe(renderTemplate(root));
  });

  it.each(Object.keys(PARAMETER_SETS))('uses only types and api-versions of the vendored specs (%s)', (name) => {
    const missing = deployAll(name)
      .map((resource) => `${resource.type}@${resource.apiVersion}`)
      .filter((key) => !putOperations().has(key.replace(/^[^@]+/, (type) => type.toLowerCase())) && !NOT_VENDORED[key]);
    expect(missing).toEqual([]);
  });

  it.each(Object.keys(PARAMETER_SETS))('sends request bodies that validate against their PUT schema (%s)', (name) => {
    const problems: string[] = [];
    for (const resource of deployAll(name)) {
      const validate = requestValidator(resource.type, resource.apiVersion);
      if (!validate) continue; // listed in NOT_VENDORED (checked above)
      if (!validate(resource.body)) problems.push(`${resource.type} ${resource.name}: ${JSON.stringify(validate.errors)}`);
    }
    expect(problems).toEqual([]);
  });

  it('validates every resource of the template under at least one parameter set', () => {
    const seen = new Set(Object.keys(PARAMETER_SETS).flatMap((name) => deployAll(name).map((resource) => resource.type)));
    const declared = new Set<string>();
    const collect = (resources: Array<Record<string, any>>) => {
      for (const resource of resources) {
        if (resource.type === 'Microsoft.Resources/deployments') collect(resource.properties.template.resources);
        else declared.add(resource.type);
      }
    };
    collect(template.resources);
    expect([...declared].filter((type) => !seen.has(type))).toEqual([]);
  });

  it('creates the operator role with exactly the actions of deploy/lockdown-operator-role.json', () => {
    const definitions = deployAll('defaults').filter((resource) => resource.type === 'Microsoft.Authorization/roleDefinitions');
    const operator = definitions.find((definition) => (definition.body.properties as any).roleName === 'Lockdown Operator')!;
    const [permissions] = (operator.body.properties as any).permissions;
    expect(permissions).toEqual({ actions: role.Actions, notActions: role.NotActions, dataActions: role.DataActions, notDataActions: role.NotDataActions });
    expect((operator.body.properties as any).description).toBe(role.Description);
    expect((operator.body.properties as any).assignableScopes).toEqual([`/subscriptions/${SUB}`, `/subscriptions/${OTHER_SUB}`]);
  });

  it('assigns the operator role at every scope given and the Activity Log read at their subscriptions, to the identity', () => {
    const resources = deployAll('defaults');
    const assignments = resources.filter((resource) => resource.type === 'Microsoft.Authorization/roleAssignments' && !resource.scope);
    const at = (resource: DeployedResource) => (resource.context.resourceGroup ? `${resource.context.subscriptionId}/${resource.context.resourceGroup}` : resource.context.subscriptionId);
    const operatorRoleId = resources.find((resource) => resource.type === 'Microsoft.Authorization/roleDefinitions' && (resource.body.properties as any).roleName === 'Lockdown Operator')!.name;
    expect(assignments.filter((a) => (a.body.properties as any).roleDefinitionId.endsWith(operatorRoleId)).map(at)).toEqual([`${SUB}/fn`, `${SUB}/net`, `${OTHER_SUB}/web`]);
    const activityLog = definitionsNamed(resources, 'Lockdown Operator (Activity Log)');
    expect((activityLog.body.properties as any).permissions[0].actions).toEqual(role.Actions.filter((action: string) => action.startsWith('Microsoft.Insights/eventtypes/')));
    expect(assignments.filter((a) => (a.body.properties as any).roleDefinitionId.endsWith(activityLog.name)).map(at)).toEqual([SUB, OTHER_SUB]);
    for (const assignment of assignments) {
      expect((assignment.body.properties as any).principalId).toBe(PRINCIPAL);
      // A role is named through the subscription the assignment is in.
      expect((assignment.body.properties as any).roleDefinitionId).toMatch(new RegExp(`^/subscriptions/${assignment.context.subscriptionId}/providers/Microsoft\\.Authorization/roleDefinitions/`));
    }
  });

  it('keeps the storage account key-less and gives the identity the data roles the host and the state need', () => {
    const resources = deployAll('defaults');
    const storage = resources.find((resource) => resource.type === 'Microsoft.Storage/storageAccounts')!;
    expect(storage.body.properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false });
    expect(storage.name).toMatch(/^[a-z0-9]{3,24}$/); // storage account names: 3-24 lower-case letters and digits
    const dataRoles = resources.filter((resource) => resource.type === 'Microsoft.Authorization/roleAssignments' && resource.scope?.startsWith('Microsoft.Storage/'));
    expect(dataRoles.map((assignment) => (assignment.body.properties as any).roleDefinitionId.split('/').pop())).toEqual(['b7e6dc6d-f1e8-4753-8033-0f276bb0955b', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3']);
    expect(resources.filter((resource) => resource.type.endsWith('/tables')).map((table) => table.name.split('/').pop())).toEqual(['lockdowndrift', 'lockdownstatus', 'lockdownhistory']);
    const settings = settingsOf(resources);
    expect(settings).toMatchObject({ AzureWebJobsStorage__accountName: storage.name, AzureWebJobsStorage__credential: 'managedidentity', AzureWebJobsStorage__clientId: CLIENT, LOCKDOWN_MANAGED_IDENTITY_CLIENT_ID: CLIENT });
    expect(Object.keys(settings).some((name) => name === 'AzureWebJobsStorage' || /key/i.test(settings[name]) && /AccountKey=/.test(settings[name]))).toBe(false);
  });

  it('runs Node 22 on Flex Consumption by default, and on Consumption or Premium through run-from-package with the identity', () => {
    const flex = deployAll('defaults').find((resource) => resource.type === 'Microsoft.Web/sites')!;
    expect((flex.body.properties as any).functionAppConfig.runtime).toEqual({ name: 'node', version: '22' });
    expect((flex.body.properties as any).functionAppConfig.deployment.storage.authentication.type).toBe('UserAssignedIdentity');
    expect(settingsOf([flex]).FUNCTIONS_WORKER_RUNTIME).toBeUndefined();
    const premium = deployAll('system-assigned on Premium with a vault');
    const site = premium.find((resource) => resource.type === 'Microsoft.Web/sites')!;
    expect((site.body.properties as any).functionAppConfig).toBeUndefined();
    expect((site.body.properties as any).siteConfig.linuxFxVersion).toBe('Node|22');
    expect(site.body.identity).toEqual({ type: 'SystemAssigned' });
    expect(premium.find((resource) => resource.type === 'Microsoft.Web/serverfarms')!.body.sku).toEqual({ name: 'EP1', tier: 'ElasticPremium' });
    expect(settingsOf(premium)).toMatchObject({ FUNCTIONS_WORKER_RUNTIME: 'node', WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID: 'SystemAssigned', LOCKDOWN_DRY_RUN: 'true' });
  });

  it('turns vault secrets into Key Vault references and lets the identity read them', () => {
    const resources = deployAll('system-assigned on Premium with a vault');
    expect(settingsOf(resources).LOCKDOWN_TEAMS_WEBHOOK_URL).toBe('@Microsoft.KeyVault(VaultName=lockdown-kv;SecretName=lockdown-teams)');
    const vaultRole = resources.find((resource) => resource.scope === 'Microsoft.KeyVault/vaults/lockdown-kv')!;
    expect((vaultRole.body.properties as any).roleDefinitionId).toMatch(/4633458b-17de-408a-b874-0445c86b69e6$/);
    expect(Object.keys(settingsOf(deployAll('defaults'))).filter((name) => name.includes('WEBHOOK'))).toEqual([]);
  });

  it('alerts the email given on the README\'s log query, and sends resource events to lockdownEvents when enabled', () => {
    const resources = deployAll('defaults');
    const rule = resources.find((resource) => resource.type === 'Microsoft.Insights/scheduledQueryRules')!;
    expect((rule.body.properties as any).criteria.allOf[0].query).toContain('"event":"lockdown.alert"');
    expect((resources.find((resource) => resource.type === 'Microsoft.Insights/actionGroups')!.body.properties as any).emailReceivers[0].emailAddress).toBe('owners@example.com');
    const subscription = resources.find((resource) => resource.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions')!;
    expect((subscription.body.properties as any).destination.properties.resourceId).toMatch(/\/providers\/Microsoft\.Web\/sites\/[^/]+\/functions\/lockdownEvents$/);
    expect((subscription.body.properties as any).filter.includedEventTypes).toEqual(['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess']);
    expect(deployAll('system-assigned on Premium with a vault').some((resource) => resource.type.startsWith('Microsoft.EventGrid/'))).toBe(false);
    // The filter's key is a field of the vendored ResourceWriteSuccess example, and its values have that field's shape.
    const [filter] = (subscription.body.properties as any).filter.advancedFilters;
    const example = JSON.parse(readFileSync(path.join(root, 'vendor/azure-specs/specification/eventgrid/data-plane/Microsoft.Resources/stable/2018-01-01/examples/event-grid-schema/resource_write_success.json'), 'utf8'));
    const event = Array.isArray(example) ? example[0] : example;
    expect(filter.key).toBe('data.operationName');
    expect(event.data.operationName).toBe(`${event.data.resourceProvider}/storageAccounts/write`);
    expect(filter.values).toEqual(expect.arrayContaining(['Microsoft.Web/sites/config/write', 'Microsoft.Network/virtualNetworks/subnets/write', 'Microsoft.Web/sites/slots/delete']));
    expect(filter.values).not.toContain(event.data.operationName);
    expect(filter.values.length).toBeLessThanOrEqual(25); // Event Grid's limit of values per StringIn filter
  });

  it('outputs the app name and the identity\'s principal and client ids', () => {
    expect(deploy(template, PARAMETER_SETS.defaults, context, references).outputs).toMatchObject({ principalId: PRINCIPAL, clientId: CLIENT });
  });
});

function definitionsNamed(resources: DeployedResource[], roleName: string): DeployedResource {
  return resources.find((resource) => resource.type === 'Microsoft.Authorization/roleDefinitions' && (resource.body.properties as any).roleName === roleName)!;
}

describe('the offline checks themselves', () => {
  it.each([
    ['a misspelled property', 'Microsoft.Storage/storageAccounts', { location: 'x', kind: 'StorageV2', sku: { name: 'Standard_LRS' }, properties: { allowSharedKeyAcess: false } }],
    ['a value outside an enum', 'Microsoft.Web/sites', { location: 'x', properties: { functionAppConfig: { runtime: { name: 'nodejs' } } } }],
    ['an unknown field of a derived type', 'Microsoft.EventGrid/systemTopics/eventSubscriptions', { properties: { destination: { endpointType: 'AzureFunction', properties: { resourceId: 'x', bogus: 1 } } } }],
    ['an unknown discriminator value', 'Microsoft.EventGrid/systemTopics/eventSubscriptions', { properties: { filter: { advancedFilters: [{ operatorType: 'StringLike', key: 'k' }] } } }],
  ])('reject %s', (_what, type, body) => {
    const apiVersion = type.startsWith('Microsoft.Web') ? '2025-05-01' : type.startsWith('Microsoft.EventGrid') ? '2022-06-15' : '2023-05-01';
    expect(requestValidator(type, apiVersion)!(body)).toBe(false);
  });

  it('fail on a dependsOn that names no resource of the template', () => {
    const dangling = {
      resources: [
        { type: 'Microsoft.Insights/actionGroups', apiVersion: '2023-01-01', name: 'owners' },
        { type: 'Microsoft.Insights/actionGroups', apiVersion: '2023-01-01', name: 'others', dependsOn: ["[resourceId('Microsoft.Insights/actionGroups', 'owner')]"] },
      ],
    };
    expect(() => deploy(dangling, {}, context, references)).toThrow(/depends on .*actionGroups\/owner, which the template does not declare/);
    dangling.resources[1].dependsOn = ["[resourceId('Microsoft.Insights/actionGroups', 'owners')]"];
    expect(deploy(dangling, {}, context, references).resources).toHaveLength(2);
  });

  it('fail on a template function the evaluator does not know', () => {
    const unknown = { resources: [{ type: 'Microsoft.Insights/actionGroups', apiVersion: '2023-01-01', name: "[toUpper('x')]" }] };
    expect(() => deploy(unknown, {}, context, references)).toThrow(/does not know the function toupper/);
  });
});
