/**
 * `npm run deploy:template`: writes deploy/azuredeploy.json, the ARM template that stands up
 * Lockdown in a resource group. The operator role inside it is read from
 * deploy/lockdown-operator-role.json, so the two never differ (a test checks it).
 *
 * Resource group scope: identity, storage, monitoring, the Function app, the alert rule and
 * the Event Grid subscription. Subscription scope (the role definitions) and the role
 * assignments in other resource groups are nested deployments, as the ARM documentation
 * recommends for a template that reaches beyond its resource group.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const TEMPLATE_PATH = path.join('deploy', 'azuredeploy.json');
export const ROLE_PATH = path.join('deploy', 'lockdown-operator-role.json');

export interface RoleFile {
  Name: string;
  Description: string;
  Actions: string[];
  NotActions: string[];
  DataActions: string[];
  NotDataActions: string[];
}

/** Built-in role definition ids (the same in every tenant). */
const BUILT_IN_ROLES = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
};

const API = {
  identity: '2023-01-31',
  storage: '2023-05-01',
  workspace: '2023-09-01',
  components: '2020-02-02',
  web: '2025-05-01',
  authorization: '2022-04-01',
  actionGroups: '2023-01-01',
  scheduledQueryRules: '2023-12-01',
  eventGrid: '2022-06-15',
  deployments: '2022-09-01',
};

/** The state tables Lockdown keeps (see LOCKDOWN_STATE_TABLE_PREFIX). */
const STATE_TABLES = ['lockdowndrift', 'lockdownstatus', 'lockdownhistory'];

/** The writes and deletes Lockdown reacts to: the resources a policy locks. */
const EVENT_OPERATIONS = [
  'Microsoft.Web/sites',
  'Microsoft.Web/sites/config',
  'Microsoft.Web/sites/networkConfig',
  'Microsoft.Web/sites/slots',
  'Microsoft.Web/sites/slots/config',
  'Microsoft.Web/sites/slots/networkConfig',
  'Microsoft.Network/virtualNetworks',
  'Microsoft.Network/virtualNetworks/subnets',
].flatMap((type) => [`${type}/write`, `${type}/delete`]);

/** The query of the README's alert rule: one row per opened or re-notified alert. */
const ALERT_QUERY = `traces
| where message has '"event":"lockdown.alert"'
| extend alert = parse_json(message)
| where tostring(alert.event) == "lockdown.alert" and tostring(alert.alertKind) != "resolved"
| project timestamp, policy = tostring(alert.policy), resource = tostring(alert.resourceId), aspect = tostring(alert.aspect), field = tostring(alert.field), action = tostring(alert.action), actor = tostring(alert.actorCaller), policyRevision = tostring(alert.policyRevision), summary = tostring(alert.msg)`;

const userAssigned = "equals(parameters('identityType'), 'UserAssigned')";
const flex = "equals(parameters('hostingPlan'), 'FlexConsumption')";
/** reference() may not appear in variables, so the principal expression is inlined where it is used. */
const principalId = `if(${userAssigned}, reference(variables('identityId'), '${API.identity}').principalId, reference(variables('siteId'), '${API.web}', 'Full').identity.principalId)`;

function param(type: string, description: string, extra: Record<string, unknown> = {}) {
  return { type, ...extra, metadata: { description } };
}

function parameters() {
  return {
    appName: param('string', 'Name of the Function app (also names the other resources).', { defaultValue: "[format('lockdown-{0}', uniqueString(resourceGroup().id))]", maxLength: 40 }),
    location: param('string', 'Region of every regional resource.', { defaultValue: '[resourceGroup().location]' }),
    hostingPlan: param('string', 'FlexConsumption (Node 22, recommended), Consumption (Linux) or Premium (Elastic Premium EP1).', {
      defaultValue: 'FlexConsumption',
      allowedValues: ['FlexConsumption', 'Consumption', 'Premium'],
    }),
    identityType: param('string', 'UserAssigned: an identity created first, so its role assignments exist before the app runs. SystemAssigned: the app\'s own.', {
      defaultValue: 'UserAssigned',
      allowedValues: ['UserAssigned', 'SystemAssigned'],
    }),
    roleScopes: param('array', 'Resource groups the Lockdown Operator role is assigned at: the output of `lockdown scopes --output json`, [{ "subscriptionId", "resourceGroup" }].', { defaultValue: [] }),
    roleName: param('string', 'Name of the custom role (unique in the tenant).', { defaultValue: 'Lockdown Operator' }),
    alertEmail: param('string', 'Email address the drift alert rule notifies.'),
    keyVaultName: param('string', 'A Key Vault in this resource group holding the webhook secrets; empty: no secret settings.', { defaultValue: '' }),
    vaultSecrets: param('array', 'App settings read from the vault, [{ "setting": "LOCKDOWN_TEAMS_WEBHOOK_URL", "secretName": "lockdown-teams" }]: each becomes a Key Vault reference.', { defaultValue: [] }),
    dryRun: param('bool', 'LOCKDOWN_DRY_RUN: plan and report, write nothing.', { defaultValue: false }),
    schedule: param('string', 'LOCKDOWN_SCHEDULE: NCRONTAB schedule of the timer.', { defaultValue: '0 */5 * * * *' }),
    enableEvents: param('bool', 'Subscribe the lockdownEvents function to the subscription\'s writes and deletes of sites, site config, VNet integration, virtual networks and subnets.', { defaultValue: true }),
  };
}

function variables() {
  return {
    identityName: "[format('{0}-id', parameters('appName'))]",
    identityId: "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('identityName'))]",
    storageName: "[take(format('lockdown{0}', uniqueString(resourceGroup().id, parameters('appName'))), 24)]",
    storageId: "[resourceId('Microsoft.Storage/storageAccounts', variables('storageName'))]",
    packageContainer: 'app-package',
    planName: "[format('{0}-plan', parameters('appName'))]",
    siteId: "[resourceId('Microsoft.Web/sites', parameters('appName'))]",
    workspaceName: "[format('{0}-logs', parameters('appName'))]",
    insightsName: "[format('{0}-insights', parameters('appName'))]",
    insightsId: "[resourceId('Microsoft.Insights/components', variables('insightsName'))]",
    planSku: "[if(equals(parameters('hostingPlan'), 'FlexConsumption'), createObject('name', 'FC1', 'tier', 'FlexConsumption'), if(equals(parameters('hostingPlan'), 'Consumption'), createObject('name', 'Y1', 'tier', 'Dynamic'), createObject('name', 'EP1', 'tier', 'ElasticPremium')))]",
    packageUrl: "[format('https://{0}.blob.{1}/{2}', variables('storageName'), environment().suffixes.storage, variables('packageContainer'))]",
    stateTables: STATE_TABLES,
    eventOperations: EVENT_OPERATIONS,
    identitySettings: `[if(${userAssigned}, createArray(createObject('name', 'AzureWebJobsStorage__credential', 'value', 'managedidentity'), createObject('name', 'AzureWebJobsStorage__clientId', 'value', reference(variables('identityId'), '${API.identity}').clientId), createObject('name', 'LOCKDOWN_MANAGED_IDENTITY_CLIENT_ID', 'value', reference(variables('identityId'), '${API.identity}').clientId)), createArray())]`,
  };
}

/** Settings the non-Flex plans need; on Flex the runtime lives in functionAppConfig instead. */
const classicSettings = `if(${flex}, createArray(), createArray(createObject('name', 'FUNCTIONS_EXTENSION_VERSION', 'value', '~4'), createObject('name', 'FUNCTIONS_WORKER_RUNTIME', 'value', 'node'), createObject('name', 'WEBSITE_RUN_FROM_PACKAGE', 'value', format('{0}/lockdown.zip', variables('packageUrl'))), createObject('name', 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', 'value', if(${userAssigned}, variables('identityId'), 'SystemAssigned'))))`;
const vaultSettings = "if(empty(parameters('keyVaultName')), createArray(), map(parameters('vaultSecrets'), lambda('secret', createObject('name', lambdaVariables('secret').setting, 'value', format('@Microsoft.KeyVault(VaultName={0};SecretName={1})', parameters('keyVaultName'), lambdaVariables('secret').secretName)))))";
const baseSettings = `createArray(createObject('name', 'AzureWebJobsStorage__accountName', 'value', variables('storageName')), createObject('name', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'value', reference(variables('insightsId'), '${API.components}').ConnectionString), createObject('name', 'LOCKDOWN_SCHEDULE', 'value', parameters('schedule')), createObject('name', 'LOCKDOWN_DRY_RUN', 'value', string(parameters('dryRun'))))`;


/** `createObject(...)` from a record of template expressions (strings are quoted with `lit`). */
function obj(fields: Record<string, string>): string {
  return `createObject(${Object.entries(fields).map(([key, value]) => `'${key}', ${value}`).join(', ')})`;
}
const lit = (text: string) => `'${text}'`;

const flexConfig = obj({
  deployment: obj({
    storage: obj({
      type: lit('blobContainer'),
      value: "variables('packageUrl')",
      authentication: `if(${userAssigned}, ${obj({ type: lit('UserAssignedIdentity'), userAssignedIdentityResourceId: "variables('identityId')" })}, ${obj({ type: lit('SystemAssignedIdentity') })})`,
    }),
  }),
  runtime: obj({ name: lit('node'), version: lit('22') }),
  scaleAndConcurrency: obj({ maximumInstanceCount: '40', instanceMemoryMB: '2048' }),
});
const siteConfig = `union(${obj({ minTlsVersion: lit('1.2'), ftpsState: lit('Disabled'), appSettings: `concat(${baseSettings}, variables('identitySettings'), ${classicSettings}, ${vaultSettings})` })}, if(${flex}, createObject(), ${obj({ linuxFxVersion: lit('Node|22') })}))`;
const siteProperties = `union(${obj({
  serverFarmId: "resourceId('Microsoft.Web/serverfarms', variables('planName'))",
  httpsOnly: 'true()',
  keyVaultReferenceIdentity: `if(${userAssigned}, variables('identityId'), 'SystemAssigned')`,
  siteConfig,
})}, if(${flex}, ${obj({ functionAppConfig: flexConfig })}, createObject()))`;

function identityBlock() {
  return `[if(${userAssigned}, createObject('type', 'UserAssigned', 'userAssignedIdentities', createObject(variables('identityId'), createObject())), createObject('type', 'SystemAssigned'))]`;
}

const STORAGE_DATA_ROLES = ['Storage Blob Data Owner', 'Storage Table Data Contributor'] as const;
const storageRoleAssignmentName = (name: string) => `guid(variables('storageId'), parameters('appName'), '${name}')`;

function storageRoleAssignment(name: (typeof STORAGE_DATA_ROLES)[number], roleId: string) {
  return {
    type: 'Microsoft.Authorization/roleAssignments',
    apiVersion: API.authorization,
    name: `[${storageRoleAssignmentName(name)}]`,
    scope: "[format('Microsoft.Storage/storageAccounts/{0}', variables('storageName'))]",
    dependsOn: ["[variables('storageId')]", `[if(${userAssigned}, variables('identityId'), variables('siteId'))]`],
    properties: {
      roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${roleId}')]`,
      principalId: `[${principalId}]`,
      principalType: 'ServicePrincipal',
      description: `Lockdown's Functions host and state: ${name}`,
    },
  };
}

/**
 * The subscription-scope part: both custom roles, the Activity Log read at every subscription
 * of the scopes, and the operator role at every resource group (nested again, per group).
 */
function rbacDeployment(role: RoleFile) {
  const activityLogActions = role.Actions.filter((action) => action.toLowerCase().startsWith('microsoft.insights/eventtypes/'));
  const subscriptions = "union(map(parameters('roleScopes'), lambda('scope', lambdaVariables('scope').subscriptionId)), createArray(subscription().subscriptionId))";
  const inner = {
    $schema: 'https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      principalId: { type: 'string' },
      roleScopes: { type: 'array' },
      roleName: { type: 'string' },
    },
    variables: {
      subscriptionIds: `[${subscriptions}]`,
      operatorRoleId: "[guid(subscription().id, parameters('roleName'))]",
      activityLogRoleId: "[guid(subscription().id, parameters('roleName'), 'activity-log')]",
    },
    resources: [
      customRole("variables('operatorRoleId')", "parameters('roleName')", role.Description, { actions: role.Actions, notActions: role.NotActions, dataActions: role.DataActions, notDataActions: role.NotDataActions }),
      customRole("variables('activityLogRoleId')", "format('{0} (Activity Log)', parameters('roleName'))", 'Read the Activity Log, to name who changed a resource a Lockdown policy locks.', {
        actions: activityLogActions,
        notActions: [],
        dataActions: [],
        notDataActions: [],
      }),
      assignmentDeployment({
        name: 'activitylog',
        target: { subscriptionId: "[variables('subscriptionIds')[copyIndex()]]", location: '[deployment().location]' },
        count: "length(variables('subscriptionIds'))",
        roleIdVariable: 'activityLogRoleId',
        template: assignmentTemplate('https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#', 'subscription().id', 'Activity Log read: who changed a locked resource'),
      }),
      assignmentDeployment({
        name: 'operator',
        target: { subscriptionId: "[parameters('roleScopes')[copyIndex()].subscriptionId]", resourceGroup: "[parameters('roleScopes')[copyIndex()].resourceGroup]" },
        count: "length(parameters('roleScopes'))",
        roleIdVariable: 'operatorRoleId',
        template: assignmentTemplate('https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#', 'resourceGroup().id', 'Lockdown Operator: the apps, plans and subnets its policies name'),
      }),
    ],
  };
  return {
    type: 'Microsoft.Resources/deployments',
    apiVersion: API.deployments,
    name: "[format('{0}-rbac', parameters('appName'))]",
    subscriptionId: '[subscription().subscriptionId]',
    location: "[parameters('location')]",
    dependsOn: [`[if(${userAssigned}, variables('identityId'), variables('siteId'))]`],
    properties: {
      mode: 'Incremental',
      expressionEvaluationOptions: { scope: 'inner' },
      parameters: {
        principalId: { value: `[${principalId}]` },
        roleScopes: { value: "[parameters('roleScopes')]" },
        roleName: { value: "[parameters('roleName')]" },
      },
      template: inner,
    },
  };
}

/** A custom role assignable at the subscriptions of the scopes. */
function customRole(nameExpression: string, roleNameExpression: string, description: string, permissions: Record<string, string[]>) {
  return {
    type: 'Microsoft.Authorization/roleDefinitions',
    apiVersion: API.authorization,
    name: `[${nameExpression}]`,
    properties: {
      roleName: `[${roleNameExpression}]`,
      description,
      type: 'CustomRole',
      permissions: [permissions],
      assignableScopes: "[map(variables('subscriptionIds'), lambda('id', format('/subscriptions/{0}', lambdaVariables('id'))))]",
    },
  };
}

/** One nested deployment per target (a copy loop), each assigning one role to the principal there. */
function assignmentDeployment(options: { name: string; target: Record<string, string>; count: string; roleIdVariable: string; template: Record<string, unknown> }) {
  const roleDefinitionId = `subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('${options.roleIdVariable}'))`;
  // The inner template names the role by its id in its own subscription (it may be another one).
  const roleDefinitionName = `variables('${options.roleIdVariable}')`;
  return {
    type: 'Microsoft.Resources/deployments',
    apiVersion: API.deployments,
    name: `[format('{0}-${options.name}-{1}', deployment().name, copyIndex())]`,
    ...options.target,
    copy: { name: options.name, count: `[${options.count}]` },
    dependsOn: [`[${roleDefinitionId}]`],
    properties: {
      mode: 'Incremental',
      expressionEvaluationOptions: { scope: 'inner' },
      parameters: { principalId: { value: "[parameters('principalId')]" }, roleDefinitionName: { value: `[${roleDefinitionName}]` } },
      template: options.template,
    },
  };
}

/**
 * One role assignment at the deployment's own scope (a subscription or a resource group). Its
 * name depends only on scope, principal and role, so a redeployment finds the same assignment.
 */
function assignmentTemplate(schema: string, scopeIdExpression: string, description: string) {
  return {
    $schema: schema,
    contentVersion: '1.0.0.0',
    parameters: { principalId: { type: 'string' }, roleDefinitionName: { type: 'string' } },
    resources: [
      {
        type: 'Microsoft.Authorization/roleAssignments',
        apiVersion: API.authorization,
        name: `[guid(${scopeIdExpression}, parameters('principalId'), parameters('roleDefinitionName'))]`,
        properties: {
          roleDefinitionId: "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', parameters('roleDefinitionName'))]",
          principalId: "[parameters('principalId')]",
          principalType: 'ServicePrincipal',
          description,
        },
      },
    ],
  };
}

function resources(role: RoleFile) {
  return [
    {
      condition: `[${userAssigned}]`,
      type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      apiVersion: API.identity,
      name: "[variables('identityName')]",
      location: "[parameters('location')]",
    },
    {
      type: 'Microsoft.Storage/storageAccounts',
      apiVersion: API.storage,
      name: "[variables('storageName')]",
      location: "[parameters('location')]",
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS' },
      properties: {
        // Identity-based access only: no account key can reach the state or the host's blobs.
        allowSharedKeyAccess: false,
        defaultToOAuthAuthentication: true,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
        supportsHttpsTrafficOnly: true,
      },
    },
    {
      type: 'Microsoft.Storage/storageAccounts/blobServices/containers',
      apiVersion: API.storage,
      name: "[format('{0}/default/{1}', variables('storageName'), variables('packageContainer'))]",
      dependsOn: ["[variables('storageId')]"],
      properties: { publicAccess: 'None' },
    },
    {
      type: 'Microsoft.Storage/storageAccounts/tableServices/tables',
      apiVersion: API.storage,
      name: "[format('{0}/default/{1}', variables('storageName'), variables('stateTables')[copyIndex()])]",
      copy: { name: 'stateTables', count: "[length(variables('stateTables'))]" },
      dependsOn: ["[variables('storageId')]"],
      properties: {},
    },
    {
      type: 'Microsoft.OperationalInsights/workspaces',
      apiVersion: API.workspace,
      name: "[variables('workspaceName')]",
      location: "[parameters('location')]",
      properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 },
    },
    {
      type: 'Microsoft.Insights/components',
      apiVersion: API.components,
      name: "[variables('insightsName')]",
      location: "[parameters('location')]",
      kind: 'web',
      dependsOn: ["[resourceId('Microsoft.OperationalInsights/workspaces', variables('workspaceName'))]"],
      properties: { Application_Type: 'web', WorkspaceResourceId: "[resourceId('Microsoft.OperationalInsights/workspaces', variables('workspaceName'))]" },
    },
    {
      type: 'Microsoft.Web/serverfarms',
      apiVersion: API.web,
      name: "[variables('planName')]",
      location: "[parameters('location')]",
      kind: 'functionapp',
      sku: "[variables('planSku')]",
      properties: { reserved: true },
    },
    {
      type: 'Microsoft.Web/sites',
      apiVersion: API.web,
      name: "[parameters('appName')]",
      location: "[parameters('location')]",
      kind: 'functionapp,linux',
      identity: identityBlock(),
      dependsOn: [
        "[resourceId('Microsoft.Web/serverfarms', variables('planName'))]",
        "[variables('insightsId')]",
        "[variables('storageId')]",
        `[if(${userAssigned}, variables('identityId'), variables('storageId'))]`,
        // A user-assigned identity has its data roles before the host first starts (a system-assigned one cannot).
        ...STORAGE_DATA_ROLES.map(
          (name) => `[if(${userAssigned}, extensionResourceId(variables('storageId'), 'Microsoft.Authorization/roleAssignments', ${storageRoleAssignmentName(name)}), variables('storageId'))]`,
        ),
      ],
      // One expression, so that functionAppConfig (Flex) and linuxFxVersion (the others) are left out, not sent as null.
      properties: `[${siteProperties}]`,
    },
    storageRoleAssignment('Storage Blob Data Owner', BUILT_IN_ROLES.storageBlobDataOwner),
    storageRoleAssignment('Storage Table Data Contributor', BUILT_IN_ROLES.storageTableDataContributor),
    {
      condition: "[not(empty(parameters('keyVaultName')))]",
      type: 'Microsoft.Authorization/roleAssignments',
      apiVersion: API.authorization,
      name: "[guid(resourceGroup().id, parameters('keyVaultName'), parameters('appName'), 'Key Vault Secrets User')]",
      scope: "[format('Microsoft.KeyVault/vaults/{0}', parameters('keyVaultName'))]",
      dependsOn: [`[if(${userAssigned}, variables('identityId'), variables('siteId'))]`],
      properties: {
        roleDefinitionId: `[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '${BUILT_IN_ROLES.keyVaultSecretsUser}')]`,
        principalId: `[${principalId}]`,
        principalType: 'ServicePrincipal',
        description: 'Lockdown reads its webhook secrets through Key Vault references',
      },
    },
    rbacDeployment(role),
    {
      type: 'Microsoft.Insights/actionGroups',
      apiVersion: API.actionGroups,
      name: "[format('{0}-owners', parameters('appName'))]",
      location: 'Global',
      properties: {
        groupShortName: 'lockdown',
        enabled: true,
        emailReceivers: [{ name: 'owners', emailAddress: "[parameters('alertEmail')]", useCommonAlertSchema: true }],
      },
    },
    {
      type: 'Microsoft.Insights/scheduledQueryRules',
      apiVersion: API.scheduledQueryRules,
      name: "[format('{0}-drift', parameters('appName'))]",
      location: "[parameters('location')]",
      kind: 'LogAlert',
      dependsOn: ["[variables('insightsId')]", "[resourceId('Microsoft.Insights/actionGroups', format('{0}-owners', parameters('appName')))]"],
      properties: {
        displayName: 'Lockdown: drift on a locked resource',
        description: 'One row per Lockdown alert (opened or re-notified) in the app\'s traces.',
        severity: 2,
        enabled: true,
        scopes: ["[variables('insightsId')]"],
        evaluationFrequency: 'PT5M',
        windowSize: 'PT5M',
        criteria: {
          allOf: [
            {
              query: ALERT_QUERY,
              timeAggregation: 'Count',
              operator: 'GreaterThan',
              threshold: 0,
              dimensions: [{ name: 'policy', operator: 'Include', values: ['*'] }],
              failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
            },
          ],
        },
        autoMitigate: false,
        actions: { actionGroups: ["[resourceId('Microsoft.Insights/actionGroups', format('{0}-owners', parameters('appName')))]"] },
      },
    },
    // Events: the subscription's resource writes and deletes, delivered to the lockdownEvents function.
    {
      condition: "[parameters('enableEvents')]",
      type: 'Microsoft.EventGrid/systemTopics',
      apiVersion: API.eventGrid,
      name: "[format('{0}-events', parameters('appName'))]",
      location: 'global',
      properties: { source: '[subscription().id]', topicType: 'Microsoft.Resources.Subscriptions' },
    },
    {
      condition: "[parameters('enableEvents')]",
      type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
      apiVersion: API.eventGrid,
      name: "[format('{0}-events/lockdown', parameters('appName'))]",
      dependsOn: ["[resourceId('Microsoft.EventGrid/systemTopics', format('{0}-events', parameters('appName')))]", "[variables('siteId')]"],
      properties: {
        destination: { endpointType: 'AzureFunction', properties: { resourceId: "[format('{0}/functions/lockdownEvents', variables('siteId'))]", maxEventsPerBatch: 1 } },
        eventDeliverySchema: 'EventGridSchema',
        filter: {
          includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess'],
          advancedFilters: [{ operatorType: 'StringIn', key: 'data.operationName', values: "[variables('eventOperations')]" }],
        },
        retryPolicy: { maxDeliveryAttempts: 10, eventTimeToLiveInMinutes: 60 },
      },
    },
  ];
}

export function buildTemplate(role: RoleFile): Record<string, unknown> {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    metadata: { description: 'Lockdown: a timer-triggered Function that keeps App Service caller/callee traffic locked to a VNet subnet. Generated by `npm run deploy:template` from scripts/deploy-template.ts and deploy/lockdown-operator-role.json.' },
    parameters: parameters(),
    variables: variables(),
    resources: resources(role),
    outputs: {
      appName: { type: 'string', value: "[parameters('appName')]" },
      principalId: { type: 'string', value: `[${principalId}]` },
      clientId: { type: 'string', value: `[if(${userAssigned}, reference(variables('identityId'), '${API.identity}').clientId, '')]` },
      storageAccountName: { type: 'string', value: "[variables('storageName')]" },
      packageUrl: { type: 'string', value: "[format('{0}/lockdown.zip', variables('packageUrl'))]" },
    },
  };
}

export function renderTemplate(root: string): string {
  const role = JSON.parse(readFileSync(path.join(root, ROLE_PATH), 'utf8')) as RoleFile;
  return `${JSON.stringify(buildTemplate(role), null, 2)}\n`;
}

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  writeFileSync(path.join(root, TEMPLATE_PATH), renderTemplate(root));
  process.stdout.write(`wrote ${TEMPLATE_PATH}\n`);
}
