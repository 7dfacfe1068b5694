/**
 * The PUT request schema of a resource type at an api-version, from the vendored Azure REST
 * specs, as a strict JSON Schema for ajv: $refs resolved across files, allOf parents merged
 * into one object, polymorphic types (discriminator) expanded to their derived types, and
 * unknown properties rejected (stricter than ARM, which ignores some).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const SPECS_ROOT = path.resolve(__dirname, '../../vendor/azure-specs/specification');

type Schema = Record<string, any>;

interface PutOperation {
  file: string;
  bodySchema: Schema;
}

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'examples' ? [] : specFiles(full);
    return entry.name.endsWith('.json') ? [full] : [];
  });
}

const documents = new Map<string, Schema>();
function load(file: string): Schema {
  let document = documents.get(file);
  if (!document) documents.set(file, (document = JSON.parse(readFileSync(file, 'utf8'))));
  return document!;
}

function resolvePointer(file: string, ref: string): { file: string; pointer: string; value: Schema } {
  const [filePart, pointer = ''] = ref.split('#');
  const target = filePart ? path.resolve(path.dirname(file), filePart) : file;
  let value: any = load(target);
  for (const segment of pointer.split('/').filter(Boolean)) {
    value = value?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (value === undefined) throw new Error(`unresolvable $ref ${ref} from ${file}`);
  }
  return { file: target, pointer, value };
}

/** "Microsoft.Storage/storageAccounts/tableServices/tables" of a PUT path, or undefined when a type segment is a variable. */
function typeOfPath(apiPath: string): string | undefined {
  const at = apiPath.lastIndexOf('/providers/');
  if (at === -1) return undefined;
  const [namespace, ...segments] = apiPath.slice(at + '/providers/'.length).split('/');
  const types = segments.filter((_, i) => i % 2 === 0);
  if (namespace.startsWith('{') || types.some((type) => type.startsWith('{')) || segments.length % 2 !== 0) return undefined;
  return [namespace, ...types].join('/');
}

let index: Map<string, PutOperation> | undefined;
/** type@api-version (lower-cased type) → its PUT operation. */
export function putOperations(): Map<string, PutOperation> {
  if (index) return index;
  index = new Map();
  for (const file of specFiles(SPECS_ROOT)) {
    const document = load(file);
    if (!document.paths || !document.info?.version) continue;
    for (const [apiPath, operations] of Object.entries<Schema>(document.paths)) {
      const type = operations.put && typeOfPath(apiPath);
      if (!type) continue;
      const body = (operations.put.parameters as Schema[])
        .map((parameter) => (parameter.$ref ? resolvePointer(file, parameter.$ref).value : parameter))
        .find((parameter) => parameter.in === 'body');
      if (body) index.set(`${type.toLowerCase()}@${document.info.version}`, { file, bodySchema: body.schema });
    }
  }
  return index;
}

class SchemaConverter {
  readonly definitions: Record<string, Schema> = {};
  private readonly ids = new Map<string, string>();

  /** A $ref to the converted definition at file#pointer. */
  ref(file: string, pointer: string): Schema {
    const key = `${file}#${pointer}`;
    let id = this.ids.get(key);
    if (!id) {
      id = `d${this.ids.size}`;
      this.ids.set(key, id);
      this.definitions[id] = {};
      this.definitions[id] = this.polymorphic(file, pointer) ?? this.flatten(file, resolvePointer(file, `#${pointer}`).value);
    }
    return { $ref: `#/definitions/${id}` };
  }

  convert(file: string, schema: Schema): Schema {
    if (schema.$ref) {
      const target = resolvePointer(file, schema.$ref);
      return this.ref(target.file, target.pointer);
    }
    return this.flatten(file, schema);
  }

  /** A definition with a discriminator: one of its derived definitions, chosen by the discriminator's value. */
  private polymorphic(file: string, pointer: string): Schema | undefined {
    const base = resolvePointer(file, `#${pointer}`).value;
    if (!base.discriminator) return undefined;
    const name = pointer.split('/').pop()!;
    const derived = Object.entries<Schema>(load(file).definitions ?? {}).filter(([, definition]) =>
      (definition.allOf ?? []).some((parent: Schema) => parent.$ref === `#/definitions/${name}`),
    );
    const discriminator = base.discriminator as string;
    return {
      type: 'object',
      required: [discriminator],
      properties: { [discriminator]: { enum: derived.map(([derivedName, definition]) => definition['x-ms-discriminator-value'] ?? derivedName) } },
      allOf: derived.map(([derivedName, definition]) => ({
        if: { properties: { [discriminator]: { const: definition['x-ms-discriminator-value'] ?? derivedName } }, required: [discriminator] },
        then: this.ref(file, `/definitions/${derivedName}`),
      })),
    };
  }

  /** Own and inherited (allOf) properties merged into one strict object schema. */
  private flatten(file: string, schema: Schema): Schema {
    const result: Schema = {};
    if (schema.type) result.type = schema.type;
    if (schema.enum) result.enum = schema.enum;
    if (schema.items) result.items = this.convert(file, schema.items);
    for (const key of ['minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems']) if (schema[key] !== undefined) result[key] = schema[key];
    const properties: Schema = {};
    const required = new Set<string>(schema.required ?? []);
    let objectLike = !!schema.properties;
    for (const parent of schema.allOf ?? []) {
      const target = parent.$ref ? resolvePointer(file, parent.$ref) : { file, value: parent };
      // The parent's own shape, not its polymorphic expansion (that would loop back here).
      const merged = this.flatten(target.file, target.value);
      Object.assign(properties, merged.properties ?? {});
      for (const name of merged.required ?? []) required.add(name);
      objectLike = true;
      if (merged.type) result.type = merged.type;
    }
    for (const [name, property] of Object.entries<Schema>(schema.properties ?? {})) properties[name] = this.convert(file, property);
    if (objectLike) {
      result.type = 'object';
      result.properties = properties;
      if (required.size > 0) result.required = [...required];
    }
    if (typeof schema.additionalProperties === 'object') result.additionalProperties = this.convert(file, schema.additionalProperties);
    else if (schema.additionalProperties !== undefined) result.additionalProperties = schema.additionalProperties;
    else if (objectLike) result.additionalProperties = false;
    return result;
  }
}

const validators = new Map<string, ValidateFunction>();
/** The request body validator of type@api-version; undefined when the specs have no PUT for it. */
export function requestValidator(type: string, apiVersion: string): ValidateFunction | undefined {
  const key = `${type.toLowerCase()}@${apiVersion}`;
  if (validators.has(key)) return validators.get(key);
  const operation = putOperations().get(key);
  if (!operation) return undefined;
  const converter = new SchemaConverter();
  const root = converter.convert(operation.file, operation.bodySchema);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile({ ...root, definitions: converter.definitions });
  validators.set(key, validate);
  return validate;
}
