/**
 * Microsoft's REST specifications, vendored unmodified in vendor/azure-specs (MIT, see its
 * LICENSE and README for provenance), and the operations the emulator claims to serve.
 */
import * as fs from 'fs';
import * as path from 'path';

export const SPECS_ROOT = path.resolve(__dirname, '../../../vendor/azure-specs');
export const SPECIFICATION_DIR = path.join(SPECS_ROOT, 'specification');

const WEB = 'specification/web/resource-manager/Microsoft.Web/stable/2025-05-01';
const NETWORK = 'specification/network/resource-manager/Microsoft.Network/stable/2025-05-01';
const MONITOR = 'specification/monitor/resource-manager/Microsoft.Insights/stable/2015-04-01';

export const SPEC_FILES = {
  webApps: path.join(SPECS_ROOT, WEB, 'WebApps.json'),
  appServicePlans: path.join(SPECS_ROOT, WEB, 'AppServicePlans.json'),
  virtualNetwork: path.join(SPECS_ROOT, NETWORK, 'virtualNetwork.json'),
  networkCommon: path.join(SPECS_ROOT, NETWORK, 'network.json'),
  activityLogs: path.join(SPECS_ROOT, MONITOR, 'activityLogs_API.json'),
};

/** Every operation in the emulator's scope (issue 2), by its operationId in the specs. */
export const IN_SCOPE_OPERATIONS = [
  'WebApps_Get',
  'WebApps_List',
  'WebApps_ListByResourceGroup',
  'WebApps_Update',
  'WebApps_GetConfiguration',
  'WebApps_CreateOrUpdateConfiguration',
  'WebApps_UpdateConfiguration',
  'WebApps_GetSwiftVirtualNetworkConnection',
  'WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck',
  'WebApps_DeleteSwiftVirtualNetwork',
  'WebApps_ListSlots',
  'WebApps_GetSlot',
  'WebApps_CreateOrUpdateSlot',
  'WebApps_UpdateSlot',
  'WebApps_DeleteSlot',
  'WebApps_GetConfigurationSlot',
  'WebApps_CreateOrUpdateConfigurationSlot',
  'WebApps_UpdateConfigurationSlot',
  'WebApps_GetSwiftVirtualNetworkConnectionSlot',
  'WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheckSlot',
  'WebApps_DeleteSwiftVirtualNetworkSlot',
  'WebApps_SwapSlotWithProduction',
  'WebApps_SwapSlotSlot',
  'AppServicePlans_Get',
  'VirtualNetworks_Get',
  'VirtualNetworks_ListAll',
  'VirtualNetworks_List',
  'Subnets_Get',
  'Subnets_CreateOrUpdate',
  'ActivityLogs_List',
] as const;
export type InScopeOperationId = (typeof IN_SCOPE_OPERATIONS)[number];

const OPERATION_FILES: Record<InScopeOperationId, string> = {
  WebApps_Get: SPEC_FILES.webApps,
  WebApps_List: SPEC_FILES.webApps,
  WebApps_ListByResourceGroup: SPEC_FILES.webApps,
  WebApps_Update: SPEC_FILES.webApps,
  WebApps_GetConfiguration: SPEC_FILES.webApps,
  WebApps_CreateOrUpdateConfiguration: SPEC_FILES.webApps,
  WebApps_UpdateConfiguration: SPEC_FILES.webApps,
  WebApps_GetSwiftVirtualNetworkConnection: SPEC_FILES.webApps,
  WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheck: SPEC_FILES.webApps,
  WebApps_DeleteSwiftVirtualNetwork: SPEC_FILES.webApps,
  WebApps_ListSlots: SPEC_FILES.webApps,
  WebApps_GetSlot: SPEC_FILES.webApps,
  WebApps_CreateOrUpdateSlot: SPEC_FILES.webApps,
  WebApps_UpdateSlot: SPEC_FILES.webApps,
  WebApps_DeleteSlot: SPEC_FILES.webApps,
  WebApps_GetConfigurationSlot: SPEC_FILES.webApps,
  WebApps_CreateOrUpdateConfigurationSlot: SPEC_FILES.webApps,
  WebApps_UpdateConfigurationSlot: SPEC_FILES.webApps,
  WebApps_GetSwiftVirtualNetworkConnectionSlot: SPEC_FILES.webApps,
  WebApps_CreateOrUpdateSwiftVirtualNetworkConnectionWithCheckSlot: SPEC_FILES.webApps,
  WebApps_DeleteSwiftVirtualNetworkSlot: SPEC_FILES.webApps,
  WebApps_SwapSlotWithProduction: SPEC_FILES.webApps,
  WebApps_SwapSlotSlot: SPEC_FILES.webApps,
  AppServicePlans_Get: SPEC_FILES.appServicePlans,
  VirtualNetworks_Get: SPEC_FILES.virtualNetwork,
  VirtualNetworks_ListAll: SPEC_FILES.virtualNetwork,
  VirtualNetworks_List: SPEC_FILES.virtualNetwork,
  Subnets_Get: SPEC_FILES.virtualNetwork,
  Subnets_CreateOrUpdate: SPEC_FILES.virtualNetwork,
  ActivityLogs_List: SPEC_FILES.activityLogs,
};

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'body' | 'header';
  required?: boolean;
}

export interface SpecOperation {
  operationId: InScopeOperationId;
  specFile: string;
  apiVersion: string;
  method: string;
  pathTemplate: string;
  parameters: SpecParameter[];
  /** x-ms-examples title -> example file path (absolute), as the spec names it. */
  examples: Record<string, string>;
}

const jsonCache = new Map<string, any>();
export function readJson(file: string): any {
  if (!jsonCache.has(file)) jsonCache.set(file, JSON.parse(fs.readFileSync(file, 'utf8')));
  return jsonCache.get(file);
}

/** Resolves a `$ref` such as `./network.json#/parameters/ApiVersionParameter` written in `fromFile`. */
export function resolveRef(fromFile: string, ref: string): { file: string; value: any } {
  const [filePart, pointer = ''] = ref.split('#');
  const file = filePart ? path.resolve(path.dirname(fromFile), filePart) : fromFile;
  let value = readJson(file);
  for (const token of pointer.split('/').filter(Boolean)) {
    value = value[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return { file, value };
}

export function findOperation(operationId: InScopeOperationId): SpecOperation {
  const specFile = OPERATION_FILES[operationId];
  const spec = readJson(specFile);
  for (const [pathTemplate, pathItem] of Object.entries<any>(spec.paths)) {
    for (const [method, operation] of Object.entries<any>(pathItem)) {
      if (operation?.operationId !== operationId) continue;
      const parameters = [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])].map(
        (p: any) => (p.$ref ? resolveRef(specFile, p.$ref).value : p) as SpecParameter,
      );
      const examples: Record<string, string> = {};
      for (const [title, ex] of Object.entries<any>(operation['x-ms-examples'] ?? {})) {
        examples[title] = path.resolve(path.dirname(specFile), ex.$ref);
      }
      return {
        operationId,
        specFile,
        apiVersion: spec.info.version,
        method: method.toUpperCase(),
        pathTemplate,
        parameters,
        examples,
      };
    }
  }
  throw new Error(`${operationId} is not in ${specFile}`);
}
