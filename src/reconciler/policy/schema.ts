/**
 * The one description of the policy format. The structural validator (schemaWalk.ts) walks
 * it, and the JSON Schema shipped for editors (policies/schema/) is generated from it, so
 * the two cannot drift apart. Add a field here and both learn about it.
 *
 * Why this small field language and not a schema library such as zod 4:
 *   - The validator's messages are the product: each names file:line:column, says what was
 *     found ("expected true or false, got the string 'yes'"), and hints at the fix (did you
 *     mean, YAML 1.1 booleans, `scm: denyAll` for an empty allow list). The hints live on the
 *     fields here (patternHint, maxLengthHint, minItemsHint, exactlyOneOf, format); a zod
 *     schema would carry them as metadata and still need this walker to word every problem,
 *     so validating with zod would add its issue mapping without removing the walker.
 *   - The policy types (types.ts) are the built, canonical policy (lower-cased ids, tagged
 *     scm and slot choices, source locations), not the written document, so a type inferred
 *     from a document schema would not replace them.
 *   - Emitting the JSON Schema through z.toJSONSchema was tried: a Field-to-zod converter
 *     takes about 50 lines against the 67 of policyJsonSchema below, for a new run-time
 *     dependency (`lockdown schema` prints it), a hook for exactlyOneOf (zod has no
 *     "exactly one of these keys"), and a changed file (anyOf for oneOf, escaped slashes in
 *     every id pattern). That is not less code for what it costs, so the converter stays.
 */

import { GUID_PATTERN, RESOURCE_GROUP_PATTERN } from '../resourceId';
import type { ResourceIdShape } from '../resourceId';
import { POLICY_API_VERSION, POLICY_KIND } from './types';

/**
 * Values that need more than a pattern (ARM ids, CIDRs, instants). schemaWalk.ts owns a
 * checker for each name; the JSON Schema gets the approximate `pattern` below.
 */
export type FormatName = 'webSiteId' | 'webSiteOrSlotId' | 'subnetId' | 'cidr' | 'instant' | 'serviceTag';

interface FieldBase {
  description: string;
  required?: boolean;
}

export interface StringField extends FieldBase {
  type: 'string';
  enum?: readonly string[];
  /** ECMAScript regex source, anchored. Checked by the structural layer. */
  pattern?: string;
  /** What a value matching `pattern` looks like, for messages. */
  patternHint?: string;
  maxLength?: number;
  /** Why the length is limited, for messages. */
  maxLengthHint?: string;
  format?: FormatName;
  default?: string;
  examples?: readonly string[];
}

export interface BooleanField extends FieldBase {
  type: 'boolean';
  default?: boolean;
}

export interface ObjectField extends FieldBase {
  type: 'object';
  fields: Readonly<Record<string, Field>>;
  /** Exactly one of these fields must be present. */
  exactlyOneOf?: readonly string[];
  /** Emitted once under `$defs` in the JSON Schema and referenced from every use. */
  definitionName?: string;
}

export interface ArrayField extends FieldBase {
  type: 'array';
  items: Field;
  minItems?: number;
  minItemsHint?: string;
}

/** A value that is either a string (from a fixed set) or a mapping or a list; told apart by YAML node kind. */
export interface UnionField extends FieldBase {
  type: 'union';
  string: StringField;
  object?: ObjectField;
  array?: ArrayField;
  default?: string;
}

export type Field = StringField | BooleanField | ObjectField | ArrayField | UnionField;

export const WEB_SITE_ID: ResourceIdShape = {
  label: 'Microsoft.Web/sites',
  noun: 'an App Service or Function app',
  provider: 'Microsoft.Web',
  types: ['sites'],
  // 2-60 characters, letters, digits and hyphens, not starting or ending with a hyphen.
  namePatterns: ['[A-Za-z0-9][A-Za-z0-9-]{0,58}[A-Za-z0-9]'],
  nameLabels: ['app'],
  nameRules: ["2-60 letters, digits and '-', not starting or ending with '-'"],
  template: '/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>',
};

export const WEB_SLOT_ID: ResourceIdShape = {
  label: 'Microsoft.Web/sites/slots',
  noun: 'a deployment slot',
  provider: 'Microsoft.Web',
  types: ['sites', 'slots'],
  namePatterns: [WEB_SITE_ID.namePatterns[0], '[A-Za-z0-9](?:[A-Za-z0-9-]{0,57}[A-Za-z0-9])?'],
  nameLabels: ['app', 'slot'],
  nameRules: [WEB_SITE_ID.nameRules[0], "1-59 letters, digits and '-', not starting or ending with '-'"],
  template: `${WEB_SITE_ID.template}/slots/<slot>`,
};

export const SUBNET_ID: ResourceIdShape = {
  label: 'Microsoft.Network/virtualNetworks/subnets',
  noun: 'a virtual network subnet',
  provider: 'Microsoft.Network',
  types: ['virtualNetworks', 'subnets'],
  // VNet 2-64, subnet 1-80 characters: letters, digits, '_', '.', '-'; start with a letter
  // or digit, end with a letter, digit or '_'.
  namePatterns: ['[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])', '[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?'],
  nameLabels: ['virtual network', 'subnet'],
  nameRules: [
    "2-64 letters, digits, '_', '.' and '-', starting with a letter or digit and ending with a letter, digit or '_'",
    "1-80 letters, digits, '_', '.' and '-', starting with a letter or digit and ending with a letter, digit or '_'",
  ],
  template:
    '/subscriptions/<subscription-id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>',
};

/** `subscriptions` → `[sS][uU]...`: JSON Schema patterns have no case-insensitive flag. */
function anyCase(literal: string): string {
  return [...literal]
    .map((ch) => (/[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : ch === '.' ? '\\.' : ch))
    .join('');
}

function resourceIdPattern(shape: ResourceIdShape): string {
  const providerPart = shape.types
    .map((type, index) => `/${anyCase(type)}/${shape.namePatterns[index]}`)
    .join('');
  return (
    `^/${anyCase('subscriptions')}/${GUID_PATTERN}/${anyCase('resourceGroups')}/${RESOURCE_GROUP_PATTERN}` +
    `/${anyCase('providers')}/${anyCase(shape.provider)}${providerPart}$`
  );
}

const IPV4_CIDR = '(?:[0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]{1,2}';
const IPV6_CIDR = '[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/[0-9]{1,3}';

/** Editor approximations of each format. The validator's checkers are stricter. */
export const FORMATS: Readonly<Record<FormatName, { description: string; pattern: string }>> = {
  webSiteId: {
    description: `ARM id of ${WEB_SITE_ID.noun}: ${WEB_SITE_ID.template}`,
    pattern: resourceIdPattern(WEB_SITE_ID),
  },
  webSiteOrSlotId: {
    description: `ARM id of ${WEB_SITE_ID.noun} or of ${WEB_SLOT_ID.noun}: ${WEB_SITE_ID.template}[/slots/<slot>]`,
    pattern: `(?:${resourceIdPattern(WEB_SITE_ID)})|(?:${resourceIdPattern(WEB_SLOT_ID)})`,
  },
  subnetId: {
    description: `ARM id of ${SUBNET_ID.noun}: ${SUBNET_ID.template}`,
    pattern: resourceIdPattern(SUBNET_ID),
  },
  cidr: {
    description: 'IPv4 or IPv6 range in canonical CIDR notation (no host bits set), e.g. 203.0.113.0/24',
    pattern: `^(?:${IPV4_CIDR}|${IPV6_CIDR})$`,
  },
  serviceTag: {
    description: 'Azure service tag, e.g. AzureFrontDoor.Backend or AzureCloud.WestEurope',
    pattern: '^[A-Za-z][A-Za-z0-9]*(?:\\.[A-Za-z0-9]+)*$',
  },
  instant: {
    description: 'ISO-8601 instant with a time zone, e.g. 2026-12-01T00:00:00Z',
    pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:[0-9]{2})$',
  },
};

/** Azure ipSecurityRestriction names are capped at 32; Lockdown prefixes the user's name. */
export const MAX_ALLOW_NAME_LENGTH = 24;
export const SUPPORTED_API_VERSIONS: readonly string[] = [POLICY_API_VERSION];
export const SCM_MODES = ['sameAsMain', 'denyAll'] as const;
export const POLICY_MODES = ['enforce', 'audit'] as const;
export const SLOT_CHOICES = ['all', 'none'] as const;
export const CALLER_SLOT_CHOICES = ['listed', 'all'] as const;

const extraAllow: ObjectField = {
  type: 'object',
  definitionName: 'extraAllow',
  description: 'A source the callee admits besides the policy subnet. Set exactly one of ipAddress or serviceTag.',
  exactlyOneOf: ['ipAddress', 'serviceTag'],
  fields: {
    name: {
      type: 'string',
      required: true,
      description: `Name of the access rule (unique in its list, at most ${MAX_ALLOW_NAME_LENGTH} characters; Lockdown prefixes it).`,
      pattern: '^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$',
      patternHint: "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, e.g. build-agents",
      maxLength: MAX_ALLOW_NAME_LENGTH,
      maxLengthHint: `Azure caps access rule names at 32 characters and Lockdown prefixes yours, so keep it to ${MAX_ALLOW_NAME_LENGTH}`,
    },
    ipAddress: {
      type: 'string',
      format: 'cidr',
      description: 'IPv4 or IPv6 range in CIDR notation, host bits clear, e.g. 203.0.113.0/24.',
    },
    serviceTag: {
      type: 'string',
      description: 'Azure service tag, e.g. AzureFrontDoor.Backend or AzureCloud.WestEurope.',
      format: 'serviceTag',
      patternHint: 'an Azure service tag such as AzureFrontDoor.Backend',
    },
  },
};

const scm: UnionField = {
  type: 'union',
  default: 'sameAsMain',
  description:
    "How the callee's SCM (Kudu, deployment) site is locked: sameAsMain (default) applies the main site's rules, " +
    'denyAll closes it, or { allow: [...] } gives it its own rules (e.g. for deployment agents).',
  string: {
    type: 'string',
    description: 'sameAsMain: the SCM site uses the main site rules. denyAll: nothing reaches the SCM site.',
    enum: SCM_MODES,
  },
  object: {
    type: 'object',
    description: 'The SCM site gets its own rules: only these sources reach it.',
    fields: {
      allow: {
        type: 'array',
        required: true,
        description: 'Sources admitted to the SCM site.',
        minItems: 1,
        minItemsHint: 'to close the SCM site to everyone, write `scm: denyAll`',
        items: extraAllow,
      },
    },
  },
};

const callee: ObjectField = {
  type: 'object',
  description: 'An app that only the callers (through the subnet) and alsoAllow sources may reach.',
  fields: {
    id: {
      type: 'string',
      required: true,
      format: 'webSiteId',
      description: `ARM id of the callee app: ${WEB_SITE_ID.template}`,
    },
    scm,
    slots: {
      type: 'union',
      default: 'all',
      description:
        "Which of the callee's deployment slots are locked like it: all (default, slots created later included), " +
        'none (reported as a warning: a slot is a door of its own), or a list of slot names.',
      string: { type: 'string', description: 'all: every slot, now and later. none: no slot.', enum: SLOT_CHOICES },
      array: {
        type: 'array',
        description: 'Names of the slots locked like the callee; the others are left as they are.',
        minItems: 1,
        minItemsHint: 'to lock no slot, write `slots: none`',
        items: {
          type: 'string',
          description: 'A slot name, e.g. staging.',
          pattern: `^${WEB_SLOT_ID.namePatterns[1]}$`,
          patternHint: WEB_SLOT_ID.nameRules[1],
        },
      },
    },
  },
};

export const policySchema: ObjectField = {
  type: 'object',
  description:
    'A Lockdown policy: the callers reach the callees through one subnet, and nothing else reaches the callees.',
  fields: {
    apiVersion: {
      type: 'string',
      required: true,
      enum: SUPPORTED_API_VERSIONS,
      description: `Version of the policy format. Supported: ${SUPPORTED_API_VERSIONS.join(', ')}.`,
    },
    kind: {
      type: 'string',
      required: true,
      enum: [POLICY_KIND],
      description: `Always ${POLICY_KIND}.`,
    },
    metadata: {
      type: 'object',
      required: true,
      description: 'Name and description of the policy.',
      fields: {
        name: {
          type: 'string',
          required: true,
          description: 'Unique name of the policy across all policy files, DNS-label style, e.g. orders-to-payments.',
          pattern: '^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$',
          patternHint: "lower-case letters, digits and '-', starting and ending with a letter or digit, e.g. orders-to-payments",
          maxLength: 63,
          maxLengthHint: 'policy names are DNS-label style, at most 63 characters',
        },
        description: {
          type: 'string',
          description: 'Free text for humans.',
        },
      },
    },
    spec: {
      type: 'object',
      required: true,
      description: 'What the policy locks down.',
      fields: {
        mode: {
          type: 'string',
          enum: POLICY_MODES,
          default: 'enforce',
          description: 'enforce (default) repairs drift; audit only reports what it would change.',
        },
        exclusive: {
          type: 'boolean',
          default: true,
          description:
            'true (default): access rules on a callee that Lockdown does not own are drift and are removed (and recorded). ' +
            'false: they are kept and reported.',
        },
        suspend: {
          type: 'object',
          description:
            'Break-glass: while present (and until `until`, if set), Lockdown plans but writes nothing for this policy. ' +
            'Write `suspend: {}` to suspend until the block is removed.',
          fields: {
            until: {
              type: 'string',
              format: 'instant',
              description: 'ISO-8601 instant with a time zone after which the suspension lapses, e.g. 2026-12-01T00:00:00Z.',
            },
            reason: {
              type: 'string',
              description: 'Why the policy is suspended (an incident number), for the reports.',
            },
          },
        },
        subnet: {
          type: 'string',
          required: true,
          format: 'subnetId',
          description: `ARM id of the subnet that carries the callers' traffic: ${SUBNET_ID.template}`,
        },
        callers: {
          type: 'array',
          required: true,
          minItems: 1,
          description: 'ARM ids of the apps (or deployment slots) that call the callees; each is integrated with the subnet.',
          items: {
            type: 'string',
            format: 'webSiteOrSlotId',
            description: `ARM id of a caller app or slot: ${WEB_SITE_ID.template}[/slots/<slot>]`,
          },
        },
        callerSlots: {
          type: 'string',
          enum: CALLER_SLOT_CHOICES,
          default: 'listed',
          description:
            'listed (default): only the callers as listed. all: every deployment slot of the listed apps is a caller too, ' +
            'integrated with the subnet like its app (a slot runs on its app\'s plan).',
        },
        callees: {
          type: 'array',
          required: true,
          minItems: 1,
          description: 'Apps locked so that only the subnet (and alsoAllow) reaches them.',
          items: callee,
        },
        alsoAllow: {
          type: 'array',
          description: 'Extra sources every callee of this policy admits (build agents, a gateway).',
          items: extraAllow,
        },
      },
    },
  },
};

/** The field names an object accepts, in declaration order. */
export function fieldNames(field: ObjectField): string[] {
  return Object.keys(field.fields);
}

const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/** The JSON Schema (draft 2020-12) of a policy document, for editors and other tools. */
export function policyJsonSchema(): object {
  const definitions: Record<string, object> = {};

  const convert = (field: Field): Record<string, unknown> => {
    switch (field.type) {
      case 'string': {
        const out: Record<string, unknown> = { type: 'string', description: field.description };
        if (field.enum) out.enum = [...field.enum];
        const pattern = field.format ? FORMATS[field.format].pattern : field.pattern;
        if (pattern) out.pattern = pattern;
        if (field.maxLength !== undefined) out.maxLength = field.maxLength;
        if (field.default !== undefined) out.default = field.default;
        if (field.examples) out.examples = [...field.examples];
        return out;
      }
      case 'boolean': {
        const out: Record<string, unknown> = { type: 'boolean', description: field.description };
        if (field.default !== undefined) out.default = field.default;
        return out;
      }
      case 'array': {
        const out: Record<string, unknown> = {
          type: 'array',
          description: field.description,
          items: convert(field.items),
        };
        if (field.minItems !== undefined) out.minItems = field.minItems;
        return out;
      }
      case 'union': {
        const out: Record<string, unknown> = {
          description: field.description,
          oneOf: [convert(field.string), ...(field.object ? [convert(field.object)] : []), ...(field.array ? [convert(field.array)] : [])],
        };
        if (field.default !== undefined) out.default = field.default;
        return out;
      }
      case 'object': {
        const body: Record<string, unknown> = { type: 'object', description: field.description };
        body.properties = Object.fromEntries(
          Object.entries(field.fields).map(([name, child]) => [name, convert(child)]),
        );
        const required = Object.entries(field.fields)
          .filter(([, child]) => child.required)
          .map(([name]) => name);
        if (required.length > 0) body.required = required;
        body.additionalProperties = false;
        if (field.exactlyOneOf) body.oneOf = field.exactlyOneOf.map((name) => ({ required: [name] }));
        if (!field.definitionName) return body;
        definitions[field.definitionName] ??= body;
        return { $ref: `#/$defs/${field.definitionName}` };
      }
    }
  };

  const root = convert(policySchema);
  return {
    $schema: JSON_SCHEMA_DIALECT,
    title: `Lockdown policy (${SUPPORTED_API_VERSIONS.join(', ')})`,
    ...root,
    ...(Object.keys(definitions).length > 0 ? { $defs: definitions } : {}),
  };
}

/** Where the generated schema is shipped, relative to the repository root. */
export const POLICY_JSON_SCHEMA_PATH = 'policies/schema/lockdown-policy.schema.json';

/** The shipped file's exact text: what scripts/generate-schema.ts writes and a test compares. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
