import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const schemaValid = (schema: unknown) => ({ kind: 'json_schema_valid', schema });
const invoiceSchema = {
  type: 'object',
  required: ['id', 'total'],
  properties: { id: { type: 'string', pattern: '^INV-' }, total: { type: 'number', minimum: 0 }, email: { type: 'string', format: 'email' } },
};

describe('json_schema_valid', () => {
  testCases([
    { name: 'a valid document passes', condition: schemaValid(invoiceSchema), actual: { id: 'INV-1', total: 3, email: 'a@b.co' }, outcome: 'passed' },
    {
      name: 'violations are listed with their location',
      condition: schemaValid(invoiceSchema),
      actual: { id: 'X-1', total: '3' },
      outcome: 'failed',
      message: /`value` does not match the JSON Schema: `value.id` must match pattern "\^INV-"; `value.total` must be number/,
    },
    { name: 'a missing required property is named', condition: schemaValid(invoiceSchema), actual: { id: 'INV-1' }, outcome: 'failed', message: /`value` must have required property 'total'/ },
    { name: 'formats are checked', condition: schemaValid(invoiceSchema), actual: { id: 'INV-1', total: 1, email: 'not an email' }, outcome: 'failed', message: /`value.email` must match format "email"/ },
    { name: '2020-12 keywords work (prefixItems)', condition: schemaValid({ prefixItems: [{ type: 'string' }, { type: 'number' }] }), actual: ['a', 'b'], outcome: 'failed', message: /`value\[1\]` must be number/ },
    { name: 'an invalid schema blocks with the validator message', condition: schemaValid({ type: 'strin' }), actual: 'x', outcome: 'blocked', code: 'schema_invalid', message: /the JSON Schema is invalid: .*type must be equal to one of the allowed values/ },
    { name: 'an unresolvable $ref blocks', condition: schemaValid({ $ref: '#/$defs/missing' }), actual: 1, outcome: 'blocked', code: 'schema_invalid', message: /can't resolve reference/ },
    { name: 'a schema pattern RE2 cannot run blocks', condition: schemaValid({ type: 'string', pattern: '(?=a)' }), actual: 'a', outcome: 'blocked', code: 'schema_invalid', message: /lookahead/ },
    { name: 'a missing schema blocks', condition: { kind: 'json_schema_valid' }, actual: {}, outcome: 'blocked', code: 'schema_invalid', message: /no `schema`/ },
    { name: 'a null schema blocks', condition: schemaValid(null), actual: {}, outcome: 'blocked', code: 'schema_invalid' },
  ]);
});
