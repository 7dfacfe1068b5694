/**
 * The official x-ms-examples of the in-scope operations: which are in vendor/azure-specs, the
 * request each describes, the emulator topology holding its resources, and the shape of a body.
 */
import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import type { Topology } from '../../../emulator/src';
import { findOperation, IN_SCOPE_OPERATIONS, readJson, type SpecOperation } from './specs';

export interface ExampleCase {
  operation: SpecOperation;
  title: string;
  file: string;
  /** set when the file is a sibling api-version's copy (the spec's own file is not in shared/) */
  borrowedFrom?: string;
  parameters: Record<string, any>;
  responses: Record<string, { body?: any }>;
}

/**
 * Every example the in-scope operations reference, found either where the spec points or, as the
 * shared/ README documents for Microsoft.Network, under another stable api-version's examples/.
 */
export function exampleCases(): { cases: ExampleCase[]; missing: string[] } {
  const cases: ExampleCase[] = [];
  const missing: string[] = [];
  for (const operationId of IN_SCOPE_OPERATIONS) {
    const operation = findOperation(operationId);
    for (const [title, file] of Object.entries(operation.examples)) {
      const versionsDir = path.dirname(path.dirname(path.dirname(file)));
      const sibling = fs.existsSync(file)
        ? undefined
        : fs
            .readdirSync(versionsDir)
            .map((version) => path.join(versionsDir, version, 'examples', path.basename(file)))
            .find((candidate) => fs.existsSync(candidate));
      const found = fs.existsSync(file) ? file : sibling;
      if (!found) {
        missing.push(`${operationId}: ${path.basename(file)}`);
        continue;
      }
      const example = readJson(found);
      cases.push({
        operation,
        title,
        file: found,
        borrowedFrom: sibling && path.basename(path.dirname(path.dirname(sibling))),
        parameters: example.parameters,
        responses: example.responses,
      });
    }
  }
  return { cases, missing };
}

/** The request the example describes: path from the spec's template, its query and body parameters. */
export function exampleRequest(c: ExampleCase, query: Record<string, string> = {}) {
  const { operation, parameters } = c;
  const pathPart = operation.pathTemplate.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent(parameters[name]));
  const search = new URLSearchParams();
  for (const p of operation.parameters.filter((p) => p.in === 'query' && parameters[p.name] !== undefined)) {
    search.set(p.name, query[p.name] ?? String(parameters[p.name]));
  }
  const bodyParameter = operation.parameters.find((p) => p.in === 'body');
  return {
    method: operation.method,
    url: `${pathPart}?${search.toString().replace(/\+/g, '%20')}`,
    body: bodyParameter ? parameters[bodyParameter.name] : undefined,
  };
}

const lastSegment = (id: string) => id.split('/').pop()!;
const segmentAfter = (id: string, name: string) => {
  const parts = id.split('/');
  return parts[parts.findIndex((p) => p.toLowerCase() === name.toLowerCase()) + 1];
};

function subnetOf(body: any) {
  const p = body.properties ?? {};
  return {
    name: body.name,
    addressPrefix: p.addressPrefix,
    serviceEndpoints: p.serviceEndpoints?.map((e: any) => ({ service: e.service })),
    delegations: p.delegations?.map((d: any) => ({ name: d.name, serviceName: d.properties.serviceName })),
    networkSecurityGroupId: p.networkSecurityGroup?.id,
    routeTableId: p.routeTable?.id,
  };
}

/** A topology holding the resources an example reads or writes, derived from its parameters and response. */
export function topologyFor(c: ExampleCase): Topology {
  const { operation, parameters: p } = c;
  const body = Object.values(c.responses).find((r) => r.body)?.body ?? {};
  const topology: Topology = { subscriptionId: p.subscriptionId, serverFarms: [], sites: [], virtualNetworks: [] };
  const rg = p.resourceGroupName;
  const service = operation.operationId.split('_')[0];
  if (service === 'AppServicePlans') {
    topology.serverFarms.push({ resourceGroup: rg, name: p.name, location: body.location, sku: body.sku });
  } else if (service === 'WebApps') {
    const farmId: string =
      body.properties?.serverFarmId ?? `/subscriptions/${p.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Web/serverfarms/plan`;
    const location = body.location ?? 'East US';
    const farm = { resourceGroup: segmentAfter(farmId, 'resourceGroups'), name: lastSegment(farmId), location };
    topology.serverFarms.push({ ...farm, sku: { name: 'S1', tier: 'Standard' } });
    // a slot example reads or changes the slot it names (a PUT creates it)
    const slots = p.slot && operation.method !== 'PUT' ? [{ name: p.slot }] : undefined;
    topology.sites.push({ resourceGroup: rg, name: p.name, location, kind: body.kind ?? 'app', serverFarm: farmId, slots });
  } else if (service === 'ActivityLogs') {
    // a site in the resource group the example's $filter names, for writes that make events
    const group = /resourceGroupName eq '([^']+)'/i.exec(p.$filter)?.[1] ?? 'activity';
    topology.serverFarms.push({ resourceGroup: group, name: 'activity-plan', location: 'westus', sku: { name: 'S1', tier: 'Standard' } });
    topology.sites.push({ resourceGroup: group, name: 'activity-app', location: 'westus', serverFarm: 'activity-plan' });
  } else if (service === 'VirtualNetworks' || service === 'Subnets') {
    const subnets =
      service === 'VirtualNetworks'
        ? (body.properties?.subnets ?? []).map(subnetOf)
        : operation.method === 'GET'
          ? [subnetOf(body)]
          : []; // a PUT example creates its subnet
    topology.virtualNetworks.push({
      resourceGroup: rg,
      name: p.virtualNetworkName,
      location: body.location ?? 'westus',
      addressPrefixes: body.properties?.addressSpace?.addressPrefixes ?? ['10.0.0.0/16'],
      subnets,
    });
  }
  return topology;
}

/** The key paths of a JSON value (`a.b`, `a.list[].c`) with their JSON types; `opaque` paths are maps whose keys are data. */
export function shapeOf(value: unknown, opaque: string[] = [], prefix = '', out = new Map<string, string>()) {
  if (Array.isArray(value)) {
    for (const item of value) shapeOf(item, opaque, `${prefix}[]`, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = prefix ? `${prefix}.${k}` : k;
      out.set(at, v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
      if (!opaque.includes(at)) shapeOf(v, opaque, at, out);
    }
  }
  return out;
}

export function compareShapes(example: unknown, actual: unknown, opaque: string[] = []) {
  const want = shapeOf(example, opaque);
  const got = shapeOf(actual, opaque);
  return {
    omitted: [...want.keys()].filter((k) => !got.has(k)),
    extra: [...got.keys()].filter((k) => !want.has(k)),
    typeMismatches: [...want.entries()]
      .filter(([k, t]) => got.has(k) && t !== 'null' && got.get(k) !== 'null' && got.get(k) !== t)
      .map(([k, t]) => `${k}: example ${t}, emulator ${got.get(k)}`),
  };
}

/** A plain HTTPS call with a bearer token (the test CA is trusted through NODE_EXTRA_CA_CERTS). */
export function armRequest(baseUrl: string, req: { method: string; url: string; body?: unknown }) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    const request = https.request(
      new URL(req.url, baseUrl),
      {
        method: req.method,
        headers: {
          authorization: 'Bearer example-replay',
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
