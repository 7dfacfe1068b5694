/** Route table types and case-insensitive path matching. */
import type { EmulatorCore, Principal } from './core';
import type { ArmError } from './errors';

export type Provider = 'Microsoft.Web' | 'Microsoft.Network' | 'Microsoft.Insights' | 'Microsoft.ResourceGraph';

export interface ArmRequest {
  method: string;
  /** path without query, as received (percent-decoded per segment in params) */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  /** https://host:port as the client addressed us (for Azure-AsyncOperation URLs) */
  baseUrl: string;
  correlationId: string;
  requestId: string;
  clientRequestId: string;
}

export interface LinkedCheck {
  action: string;
  scope: string;
}

export interface RouteCtx {
  core: EmulatorCore;
  req: ArmRequest;
  params: Record<string, string>;
  principal: Principal;
  /** an lroFailed fault matched this request */
  lroFailed: boolean;
  /** text for history snapshots */
  cause: string;
}

export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** stored-casing id of the resource the request acted on (Activity Log resourceId) */
  resourceId?: string;
  /** set when the response started a long-running operation (its end is logged by the operation) */
  lroStarted?: boolean;
  /** id of the long-running operation it started */
  lroId?: string;
}

export interface Route {
  method: string;
  pattern: string;
  operationId?: string;
  provider: Provider;
  kind: 'read' | 'write';
  /** RBAC action, e.g. Microsoft.Web/sites/config/write */
  action: string;
  /** RBAC scope / Activity Log resource id, built from the request's params */
  scope(p: Record<string, string>): string;
  /** linked-scope permissions the request body needs (ARM's linked access checks) */
  linked?(ctx: RouteCtx): LinkedCheck[];
  startsLro?: boolean;
  /** The operation itself needs no action: it answers only what the caller may read (Resource Graph). */
  rowsAuthorized?: boolean;
  handle(ctx: RouteCtx): ArmResponse | Promise<ArmResponse>;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

const split = (p: string) => p.split('/').filter(Boolean);

export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const ps = split(pattern);
  const xs = split(path);
  if (ps.length !== xs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    let x: string;
    try {
      x = decodeURIComponent(xs[i]);
    } catch {
      return undefined;
    }
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = x;
    else if (p.toLowerCase() !== x.toLowerCase()) return undefined;
  }
  return params;
}

/** all routes whose path matches (any method), and the one for the method if any */
export function findRoutes(routes: Route[], method: string, path: string): { byPath: Match[]; match?: Match } {
  const byPath: Match[] = [];
  for (const route of routes) {
    const params = matchPath(route.pattern, path);
    if (params) byPath.push({ route, params });
  }
  return { byPath, match: byPath.find((m) => m.route.method === method.toUpperCase()) };
}

export type { ArmError };
