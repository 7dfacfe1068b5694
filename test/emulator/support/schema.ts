/**
 * Fallback validator for traffic oav cannot match to an operation: the Azure-AsyncOperation
 * status polls of a long-running PUT, which no spec operation describes (their body is
 * `network.json#/definitions/AzureAsyncOperationResult`). Validates with ajv against that
 * definition, loaded from the same spec files, as strictly as oav treats ARM responses:
 * a property the schema does not define is an error.
 */
import Ajv from 'ajv';
import { readJson } from './specs';

/** Clones a schema adding `additionalProperties: false` where it lists properties and has no allOf. */
function closed(schema: any): any {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const copy: any = {};
  for (const [key, value] of Object.entries(schema)) copy[key] = closed(value);
  if (copy.properties && copy.additionalProperties === undefined && !copy.allOf) {
    copy.additionalProperties = false;
  }
  return copy;
}

/** Errors (empty when valid) of `value` against `#/definitions/<definition>` of a spec file with only local refs. */
export function validateAgainstDefinition(specFile: string, definition: string, value: unknown): string[] {
  const spec = readJson(specFile);
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const validate = ajv.compile({
    $ref: `#/definitions/${definition}`,
    definitions: closed(spec.definitions),
  });
  if (validate(value)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`,
  );
}
