/**
 * A small evaluator of ARM template expressions: only the functions deploy/azuredeploy.json
 * uses. An unknown function is an error, so a template change that needs a new one fails
 * the tests until the evaluator knows it. It expands copy loops, applies conditions and
 * descends into nested deployments, yielding each resource's request body as ARM would PUT it.
 */
import { createHash } from 'node:crypto';

export interface DeploymentContext {
  scope: 'resourceGroup' | 'subscription';
  subscriptionId: string;
  resourceGroup?: string;
  location: string;
  deploymentName: string;
}

/** One resource as it would be deployed, with where it is deployed. */
export interface DeployedResource {
  type: string;
  apiVersion: string;
  name: string;
  scope?: string;
  body: Record<string, unknown>;
  context: DeploymentContext;
}

type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'member'; target: Node; property: string }
  | { kind: 'index'; target: Node; index: Node };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) i++;
    else if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error(`unterminated string in ${text}`);
        if (text[i] === "'" && text[i + 1] === "'") (value += "'"), (i += 2);
        else if (text[i] === "'") break;
        else value += text[i++];
      }
      i++;
      tokens.push(`'${value}`);
    } else if ('(),.[]'.includes(c)) tokens.push(text[i++]);
    else {
      const match = /^[A-Za-z_][A-Za-z0-9_]*|^-?\d+/.exec(text.slice(i));
      if (!match) throw new Error(`unexpected "${c}" in ${text}`);
      tokens.push(match[0]);
      i += match[0].length;
    }
  }
  return tokens;
}

function parse(text: string): Node {
  const tokens = tokenize(text);
  let at = 0;
  const expect = (token: string) => {
    if (tokens[at] !== token) throw new Error(`expected "${token}" at token ${at} of ${text}`);
    at++;
  };
  const primary = (): Node => {
    const token = tokens[at++];
    if (token === undefined) throw new Error(`unexpected end of ${text}`);
    if (token.startsWith("'")) return { kind: 'literal', value: token.slice(1) };
    if (/^-?\d+$/.test(token)) return { kind: 'literal', value: Number(token) };
    expect('(');
    const args: Node[] = [];
    while (tokens[at] !== ')') {
      args.push(expression());
      if (tokens[at] === ',') at++;
    }
    expect(')');
    return { kind: 'call', name: token.toLowerCase(), args };
  };
  const expression = (): Node => {
    let node = primary();
    for (;;) {
      if (tokens[at] === '.') {
        at++;
        node = { kind: 'member', target: node, property: tokens[at++] };
      } else if (tokens[at] === '[') {
        at++;
        const index = expression();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const root = expression();
  if (at !== tokens.length) throw new Error(`trailing tokens in ${text}`);
  return root;
}

/** ARM's uniqueString and guid are hashes of their arguments; any stable hash will do offline. */
function hash(args: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(args)).digest('hex');
}

function guidOf(args: unknown[]): string {
  const h = hash(args);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

interface Lambda {
  lambda: string[];
  body: Node;
}

export interface Scope {
  parameters: Record<string, unknown>;
  variables: Record<string, unknown>;
  context: DeploymentContext;
  copyIndex?: number;
  lambdaVariables?: Record<string, unknown>;
  /** What reference() returns for a resource type (offline stand-ins). */
  references: (resourceId: string, full: boolean) => unknown;
}

function resourceIdOf(context: DeploymentContext, args: string[]): string {
  let [subscriptionId, resourceGroup] = [context.subscriptionId, context.resourceGroup];
  let rest = args;
  const typeAt = args.findIndex((arg) => arg.includes('.') && arg.includes('/'));
  if (typeAt === 2) [subscriptionId, resourceGroup, ...rest] = args;
  else if (typeAt === 1) [resourceGroup, ...rest] = args;
  const [type, ...names] = rest;
  const [namespace, ...types] = type.split('/');
  if (types.length !== names.length) throw new Error(`resourceId(${args.join(', ')}): ${types.length} type segments, ${names.length} names`);
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${types.map((t, i) => `${t}/${names[i]}`).join('/')}`;
}

function evaluateNode(node: Node, scope: Scope): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'member': {
      const target = evaluateNode(node.target, scope) as Record<string, unknown>;
      if (target === null || typeof target !== 'object' || !(node.property in target)) throw new Error(`no property "${node.property}" on ${JSON.stringify(target)}`);
      return target[node.property];
    }
    case 'index': {
      const target = evaluateNode(node.target, scope) as unknown[];
      const index = evaluateNode(node.index, scope) as number;
      if (!Array.isArray(target) || target[index] === undefined) throw new Error(`index ${index} out of range`);
      return target[index];
    }
    case 'call':
      return call(node, scope);
  }
}

function call(node: { name: string; args: Node[] }, scope: Scope): unknown {
  const { context } = scope;
  // Lazily evaluated: if() takes one branch only, lambda() keeps its body.
  if (node.name === 'if') {
    const [condition, whenTrue, whenFalse] = node.args;
    return evaluateNode(evaluateNode(condition, scope) ? whenTrue : whenFalse, scope);
  }
  if (node.name === 'lambda') {
    const names = node.args.slice(0, -1).map((arg) => evaluateNode(arg, scope) as string);
    return { lambda: names, body: node.args[node.args.length - 1] } satisfies Lambda;
  }
  const args = node.args.map((arg) => evaluateNode(arg, scope));
  const str = (i: number) => {
    if (typeof args[i] !== 'string') throw new Error(`${node.name}: argument ${i + 1} must be a string, not ${JSON.stringify(args[i])}`);
    return args[i] as string;
  };
  switch (node.name) {
    case 'parameters':
      if (!(str(0) in scope.parameters)) throw new Error(`unknown parameter ${args[0]}`);
      return scope.parameters[str(0)];
    case 'variables':
      if (!(str(0) in scope.variables)) throw new Error(`unknown variable ${args[0]}`);
      return scope.variables[str(0)];
    case 'lambdavariables':
      if (!scope.lambdaVariables || !(str(0) in scope.lambdaVariables)) throw new Error(`unknown lambda variable ${args[0]}`);
      return scope.lambdaVariables[str(0)];
    case 'map': {
      const [items, lambda] = args as [unknown[], Lambda];
      return items.map((item) => evaluateNode(lambda.body, { ...scope, lambdaVariables: { ...scope.lambdaVariables, [lambda.lambda[0]]: item } }));
    }
    case 'concat':
      return args.every(Array.isArray) ? (args as unknown[][]).flat() : args.map(String).join('');
    case 'union': {
      if (args.every(Array.isArray)) {
        const seen = new Map<string, unknown>();
        for (const item of (args as unknown[][]).flat()) if (!seen.has(JSON.stringify(item))) seen.set(JSON.stringify(item), item);
        return [...seen.values()];
      }
      return Object.assign({}, ...args);
    }
    case 'format':
      return str(0).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i) + 1]));
    case 'createobject': {
      const result: Record<string, unknown> = {};
      for (let i = 0; i < args.length; i += 2) result[str(i)] = args[i + 1];
      return result;
    }
    case 'createarray':
      return args;
    case 'equals':
      return JSON.stringify(args[0]) === JSON.stringify(args[1]);
    case 'not':
      return !args[0];
    case 'empty':
      return args[0] === '' || args[0] === null || (Array.isArray(args[0]) && args[0].length === 0) || (typeof args[0] === 'object' && Object.keys(args[0] as object).length === 0);
    case 'length':
      return (args[0] as unknown[]).length;
    case 'string':
      return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
    case 'true':
      return true;
    case 'false':
      return false;
    case 'take':
      return (args[0] as string).slice(0, args[1] as number);
    case 'uniquestring':
      return hash(args).slice(0, 13).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]);
    case 'guid':
      return guidOf(args);
    case 'copyindex':
      if (scope.copyIndex === undefined) throw new Error('copyIndex() outside a copy loop');
      return scope.copyIndex + ((args[0] as number) ?? 0);
    case 'resourceid':
      if (context.scope !== 'resourceGroup') throw new Error('resourceId() of a resource group resource outside a resource group deployment');
      return resourceIdOf(context, args as string[]);
    case 'subscriptionresourceid': {
      const [type, ...names] = args as string[];
      const [namespace, ...types] = type.split('/');
      return `/subscriptions/${context.subscriptionId}/providers/${namespace}/${types.map((t, i) => `${t}/${names[i]}`).join('/')}`;
    }
    case 'extensionresourceid': {
      const [scopeId, type, ...names] = args as string[];
      const [namespace, ...types] = type.split('/');
      return `${scopeId}/providers/${namespace}/${types.map((t, i) => `${t}/${names[i]}`).join('/')}`;
    }
    case 'subscription':
      return { id: `/subscriptions/${context.subscriptionId}`, subscriptionId: context.subscriptionId, tenantId: '00000000-0000-0000-0000-0000000000aa' };
    case 'resourcegroup':
      if (context.scope !== 'resourceGroup') throw new Error('resourceGroup() is not available in a subscription deployment');
      return { id: `/subscriptions/${context.subscriptionId}/resourceGroups/${context.resourceGroup}`, name: context.resourceGroup, location: context.location };
    case 'deployment':
      return { name: context.deploymentName, location: context.location };
    case 'environment':
      return { name: 'AzureCloud', suffixes: { storage: 'core.windows.net' } };
    case 'reference':
      return scope.references(str(0), String(args[2] ?? '').toLowerCase() === 'full');
    default:
      throw new Error(`the template evaluator does not know the function ${node.name}()`);
  }
}

export function evaluate(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('[[')) return value.slice(1);
    if (value.startsWith('[') && value.endsWith(']')) return evaluateNode(parse(value.slice(1, -1)), scope);
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => evaluate(item, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluate(item, scope)]));
  return value;
}

/** What a template resource entry carries besides the request body. */
const TEMPLATE_KEYS = new Set(['type', 'apiVersion', 'name', 'dependsOn', 'condition', 'copy', 'scope', 'comments', 'subscriptionId', 'resourceGroup']);

interface Template {
  parameters?: Record<string, { defaultValue?: unknown; type: string; allowedValues?: unknown[] }>;
  variables?: Record<string, unknown>;
  resources: Array<Record<string, unknown>>;
  outputs?: Record<string, { value: unknown }>;
}

/** Parameter values: given ones, else defaults; a missing required one or a value outside allowedValues fails. */
function bindParameters(template: Template, given: Record<string, unknown>, base: Omit<Scope, 'parameters' | 'variables'>): Record<string, unknown> {
  const bound: Record<string, unknown> = {};
  for (const name of Object.keys(given)) if (!template.parameters?.[name]) throw new Error(`unknown template parameter ${name}`);
  for (const [name, definition] of Object.entries(template.parameters ?? {})) {
    const value = name in given ? given[name] : evaluate(definition.defaultValue, { ...base, parameters: bound, variables: {} });
    if (value === undefined) throw new Error(`parameter ${name} has no value and no default`);
    if (definition.allowedValues && !definition.allowedValues.includes(value)) throw new Error(`parameter ${name}: ${JSON.stringify(value)} is not one of ${JSON.stringify(definition.allowedValues)}`);
    bound[name] = value;
  }
  return bound;
}

export interface Deployment {
  resources: DeployedResource[];
  outputs: Record<string, unknown>;
}

/** Every resource the template (and its nested deployments) would deploy, with its body. */
export function deploy(template: Template, parameters: Record<string, unknown>, context: DeploymentContext, references: Scope['references']): Deployment {
  const base = { context, references };
  const boundParameters = bindParameters(template, parameters, base);
  const variables: Record<string, unknown> = {};
  const scope: Scope = { ...base, parameters: boundParameters, variables };
  // Variables may use earlier ones (the template lists them in order of use).
  for (const [name, value] of Object.entries(template.variables ?? {})) variables[name] = evaluate(value, scope);

  const declared = declaredIds(template, scope);
  const resources: DeployedResource[] = [];
  for (const entry of template.resources) {
    const copy = entry.copy as { count: unknown } | undefined;
    const count = copy ? (evaluate(copy.count, scope) as number) : 1;
    for (let index = 0; index < count; index++) {
      const instanceScope: Scope = copy ? { ...scope, copyIndex: index } : scope;
      if (entry.condition !== undefined && !evaluate(entry.condition, instanceScope)) continue;
      const type = entry.type as string;
      const name = evaluate(entry.name, instanceScope) as string;
      if (type === 'Microsoft.Resources/deployments') {
        checkDependsOn(entry, instanceScope, declared);
        // The wrapper itself (its type must be accounted for too), then what it deploys.
        resources.push({ type, apiVersion: entry.apiVersion as string, name, body: {}, context });
        resources.push(...nestedDeployment(entry, name, instanceScope).resources);
        continue;
      }
      const body: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(entry)) if (!TEMPLATE_KEYS.has(key)) body[key] = evaluate(value, instanceScope);
      checkDependsOn(entry, instanceScope, declared);
      resources.push({ type, apiVersion: entry.apiVersion as string, name, scope: entry.scope === undefined ? undefined : (evaluate(entry.scope, instanceScope) as string), body, context });
    }
  }
  const outputs = Object.fromEntries(Object.entries(template.outputs ?? {}).map(([name, output]) => [name, evaluate(output.value, scope)]));
  return { resources, outputs };
}

/** The id ARM gives a resource of this template (an extension resource's id hangs off its scope). */
function idOf(type: string, name: string, scopeValue: string | undefined, context: DeploymentContext): string {
  const [namespace, ...types] = type.split('/');
  const names = name.split('/');
  const tail = `providers/${namespace}/${types.map((t, i) => `${t}/${names[i]}`).join('/')}`;
  const base = context.scope === 'resourceGroup' ? `/subscriptions/${context.subscriptionId}/resourceGroups/${context.resourceGroup}` : `/subscriptions/${context.subscriptionId}`;
  if (scopeValue === undefined) return `${base}/${tail}`;
  return `${scopeValue.startsWith('/') ? scopeValue : `${base}/providers/${scopeValue}`}/${tail}`;
}

/** Every resource id the template declares, whatever its condition (ARM drops a dependency on a skipped resource). */
function declaredIds(template: Template, scope: Scope): Set<string> {
  const ids = new Set<string>();
  for (const entry of template.resources) {
    const copy = entry.copy as { count: unknown } | undefined;
    const count = copy ? (evaluate(copy.count, scope) as number) : 1;
    for (let index = 0; index < count; index++) {
      const instanceScope: Scope = copy ? { ...scope, copyIndex: index } : scope;
      const scopeValue = entry.scope === undefined ? undefined : (evaluate(entry.scope, instanceScope) as string);
      ids.add(idOf(entry.type as string, evaluate(entry.name, instanceScope) as string, scopeValue, scope.context).toLowerCase());
    }
  }
  return ids;
}

/** Each dependsOn entry must evaluate to the id of a resource of the same template: ARM rejects any other. */
function checkDependsOn(entry: Record<string, unknown>, scope: Scope, declared: Set<string>): void {
  for (const dependency of evaluate(entry.dependsOn ?? [], scope) as string[]) {
    if (!declared.has(dependency.toLowerCase())) throw new Error(`${entry.type} ${JSON.stringify(entry.name)} depends on ${dependency}, which the template does not declare`);
  }
}

function nestedDeployment(entry: Record<string, unknown>, name: string, scope: Scope): Deployment {
  const properties = entry.properties as { expressionEvaluationOptions?: { scope?: string }; parameters?: Record<string, { value: unknown }>; template: Template };
  if (properties.expressionEvaluationOptions?.scope !== 'inner') throw new Error(`nested deployment ${name}: only inner-scoped nested templates are evaluated`);
  const subscriptionId = entry.subscriptionId === undefined ? scope.context.subscriptionId : (evaluate(entry.subscriptionId, scope) as string);
  const resourceGroup = entry.resourceGroup === undefined ? undefined : (evaluate(entry.resourceGroup, scope) as string);
  const context: DeploymentContext = resourceGroup
    ? { scope: 'resourceGroup', subscriptionId, resourceGroup, location: scope.context.location, deploymentName: name }
    : entry.location !== undefined
      ? { scope: 'subscription', subscriptionId, location: evaluate(entry.location, scope) as string, deploymentName: name }
      : { ...scope.context, subscriptionId, deploymentName: name };
  const parameters = Object.fromEntries(Object.entries(properties.parameters ?? {}).map(([key, parameter]) => [key, evaluate(parameter.value, scope)]));
  return deploy(properties.template, parameters, context, scope.references);
}
