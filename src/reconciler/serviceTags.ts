/**
 * Azure service tag names, for access rules that admit a service tag. App Service refuses a tag
 * Azure does not know, and the callee would then never lock: the policy validator and the emulator
 * both check names against this list.
 *
 * Source: the "Available service tags" table of Microsoft's "Virtual network service tags" page,
 * https://learn.microsoft.com/azure/virtual-network/service-tags-overview (MicrosoftDocs/azure-docs,
 * articles/virtual-network/service-tags-overview.md, commit 17341f4516c69aa9aa882cac74a208108e3967fd,
 * ms.date 2023-01-26; read 2026-12-01). The weekly ServiceTags_Public_<date>.json download
 * (https://www.microsoft.com/download/details.aspx?id=56519) carries the same names, with the regional
 * variants (e.g. AppService.WestEurope) of the tags the table marks "Can be regional".
 * To update: replace the two lists below from a newer copy of that table and record its date here.
 */

/** Tags the table marks "Can be regional? No". */
const GLOBAL_TAGS = [
  'ActionGroup', 'ApplicationInsightsAvailability', 'AppConfiguration', 'AppServiceManagement', 'AzureActiveDirectory',
  'AzureActiveDirectoryDomainServices', 'AzureAdvancedThreatProtection', 'AzureArcInfrastructure', 'AzureAttestation',
  'AzureBackup', 'AzureBotService', 'AzureCognitiveSearch', 'AzureDatabricks', 'AzureDataExplorerManagement',
  'AzureDataLake', 'AzureDeviceUpdate', 'AzureDevSpaces', 'AzureDigitalTwins', 'AzureEventGrid', 'AzureHealthcareAPIs',
  'AzureInformationProtection', 'AzureLoadBalancer', 'AzureLoadTestingInstanceManagement', 'AzureMachineLearning',
  'AzureMachineLearningInference', 'AzureManagedGrafana', 'AzureMonitor', 'AzureOpenDatasets', 'AzurePlatformDNS',
  'AzurePlatformIMDS', 'AzurePlatformLKM', 'AzureResourceManager', 'AzureSentinel', 'AzureSignalR', 'AzureSiteRecovery',
  'AzureSphere', 'AzureSpringCloud', 'AzureStack', 'AzureTrafficManager', 'AzureUpdateDelivery', 'ChaosStudio',
  'CognitiveServicesFrontend', 'CognitiveServicesManagement', 'DataFactoryManagement', 'Dynamics365BusinessCentral',
  'EOPExternalPublishedIPs', 'GatewayManager', 'GuestAndHybridManagement', 'Internet', 'KustoAnalytics', 'LogicApps',
  'LogicAppsManagement', 'Marketplace', 'MicrosoftAzureFluidRelay', 'MicrosoftCloudAppSecurity',
  'MicrosoftDefenderForEndpoint', 'MicrosoftPurviewPolicyDistribution', 'PowerBI', 'PowerQueryOnline', 'SqlManagement',
  'StorageSyncService', 'WindowsAdminCenter', 'WindowsVirtualDesktop', 'VirtualNetwork', 'ServiceFabric',
] as const;

/** Tags the table marks "Can be regional? Yes": also valid as `<tag>.<region>`. */
const REGIONAL_TAGS = [
  'ApiManagement', 'AppService', 'AutonomousDevelopmentPlatform', 'AzureCloud', 'AzureConnectors',
  'AzureContainerAppsService', 'AzureContainerRegistry', 'AzureCosmosDB', 'AzureDevOps', 'AzureFrontDoor.Frontend',
  'AzureFrontDoor.Backend', 'AzureFrontDoor.FirstParty', 'AzureIoTHub', 'AzureKeyVault', 'AzureWebPubSub',
  'BatchNodeManagement', 'DataFactory', 'Dynamics365ForMarketingEmail', 'EventHub', 'HDInsight',
  'M365ManagementActivityApi', 'M365ManagementActivityApiWebhook', 'MicrosoftContainerRegistry', 'PowerPlatformInfra',
  'PowerPlatformPlex', 'ServiceBus', 'Sql', 'Storage',
] as const;

/**
 * Region suffixes of regional tags: the public Azure regions by their short name (as in
 * `az account list-locations`), and the AzureCloud names the same page lists as irregular.
 */
const REGIONS = [
  'australiacentral', 'australiacentral2', 'australiaeast', 'australiasoutheast', 'austriaeast', 'belgiumcentral',
  'brazilsouth', 'brazilsoutheast', 'canadacentral', 'canadaeast', 'centralindia', 'centralus', 'chilecentral',
  'denmarkeast', 'eastasia', 'eastus', 'eastus2', 'francecentral', 'francesouth', 'germanynorth', 'germanywestcentral',
  'indonesiacentral', 'israelcentral', 'italynorth', 'japaneast', 'japanwest', 'jioindiacentral', 'jioindiawest',
  'koreacentral', 'koreasouth', 'malaysiawest', 'mexicocentral', 'newzealandnorth', 'northcentralus', 'northeurope',
  'norwayeast', 'norwaywest', 'polandcentral', 'qatarcentral', 'southafricanorth', 'southafricawest', 'southcentralus',
  'southeastasia', 'southindia', 'spaincentral', 'swedencentral', 'swedensouth', 'switzerlandnorth', 'switzerlandwest',
  'uaecentral', 'uaenorth', 'uksouth', 'ukwest', 'westcentralus', 'westeurope', 'westindia', 'westus', 'westus2', 'westus3',
  // irregular AzureCloud names
  'centralfrance', 'southfrance', 'germanywc', 'germanyn', 'norwaye', 'norwayw', 'switzerlandn', 'switzerlandw',
];

const CANONICAL = new Map<string, string>([...GLOBAL_TAGS, ...REGIONAL_TAGS].map((tag) => [tag.toLowerCase(), tag]));
const REGIONAL = new Set<string>(REGIONAL_TAGS.map((tag) => tag.toLowerCase()));
const REGION_SET = new Set(REGIONS);

export type ServiceTagCheck = { known: true; canonical: string } | { known: false; suggestion?: string };

/** Tag names compare without regard to case, as in network security group rules. */
export function checkServiceTag(text: string): ServiceTagCheck {
  const lower = text.toLowerCase();
  const exact = CANONICAL.get(lower);
  if (exact) return { known: true, canonical: exact };
  const dot = lower.lastIndexOf('.');
  if (dot > 0 && REGIONAL.has(lower.slice(0, dot)) && REGION_SET.has(lower.slice(dot + 1))) return { known: true, canonical: text };
  return { known: false, suggestion: closestServiceTag(text) };
}

/** The known tag (or regional tag) nearest to `text` by edit distance, when it is near enough to be a typo. */
function closestServiceTag(text: string): string | undefined {
  const lower = text.toLowerCase();
  const dot = lower.lastIndexOf('.');
  // a known region after an unknown tag: suggest for the tag part, keep the region
  const regionPart = dot > 0 && REGION_SET.has(lower.slice(dot + 1)) ? text.slice(dot) : '';
  const tagPart = (regionPart ? text.slice(0, dot) : text).toLowerCase();
  const candidates = regionPart ? [...REGIONAL_TAGS] : [...CANONICAL.values()];
  let best: { tag: string; distance: number } | undefined;
  for (const tag of candidates) {
    const distance = editDistance(tagPart, tag.toLowerCase());
    if (!best || distance < best.distance) best = { tag, distance };
  }
  if (!best || best.distance > Math.max(2, Math.floor(tagPart.length / 4))) return undefined;
  return `${best.tag}${regionPart}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
