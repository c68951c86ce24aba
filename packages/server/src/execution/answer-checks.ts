import { schemaMismatch, type AnswerSchemaCheck } from '../model/json-answer.js';
import type { SandboxPool } from './sandbox/index.js';

/**
 * Model answers checked against their JSON Schema (an extract block's `json_schema`, which its
 * organization writes) in a sandbox thread, under the check deadline, like a function block's
 * output_schema: a schema that takes long to check never holds the main thread.
 */
export function answerSchemaCheckIn(pool: SandboxPool): AnswerSchemaCheck {
  return async (valueJson, schema, organizationId, signal) => {
    const outcome = await pool.check(valueJson, { outputSchemaJson: JSON.stringify(schema), assertionJson: null, handleId: null }, organizationId, signal);
    if (!outcome.ok) {
      if (outcome.reason === 'aborted') signal.throwIfAborted();
      return `the answer could not be checked against the JSON schema: ${outcome.message}`;
    }
    const checked = outcome.checked;
    if (checked?.kind === 'output_schema_invalid') return checked.message;
    if (checked?.kind === 'output_schema_mismatch') return schemaMismatch(checked.issues);
    return null;
  };
}
