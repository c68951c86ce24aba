import { jsonTextDepth, MAX_JSON_DEPTH, utf8LengthOver } from '@verdict/core/json-limits';
import { describeBytes } from '../files/limits.js';

/** VERDICT_MAX_OUTPUT_BYTES by default: 4 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Why an output cannot be accepted, told in its producer's terms. */
export interface OutputLimitProblem {
  reason: 'output_too_large' | 'output_too_deep';
  message: string;
  details: Record<string, unknown>;
}

/**
 * Every output a block produces (a transform's, a model's answer) is refused before anything
 * parses it on the main thread when its JSON text is over `maxBytes` of UTF-8
 * (VERDICT_MAX_OUTPUT_BYTES) or nests deeper than MAX_JSON_DEPTH: the main thread would parse,
 * store and list it, and recursion over it would overflow stacks. Both are measured in one linear
 * pass over the text. `subject` opens the message: "transform returned", "the model answered".
 */
export function outputLimitProblem(json: string, maxBytes: number, subject: string): OutputLimitProblem | undefined {
  const bytes = utf8LengthOver(json, maxBytes);
  if (bytes !== undefined) {
    return {
      reason: 'output_too_large',
      message: `${subject} ${sized(bytes)} of JSON; a block's output may be at most ${sized(maxBytes)} (VERDICT_MAX_OUTPUT_BYTES)`,
      details: { output_bytes: bytes, limit_bytes: maxBytes },
    };
  }
  if (jsonTextDepth(json, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return {
      reason: 'output_too_deep',
      message: `${subject} JSON nested more than ${MAX_JSON_DEPTH} levels deep; a block's output may nest at most ${MAX_JSON_DEPTH} levels of arrays and objects`,
      details: { limit_depth: MAX_JSON_DEPTH },
    };
  }
  return undefined;
}

/** "4,194,305 bytes (4.0 MiB)" */
function sized(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  return bytes < 1024 ? exact : `${exact} (${describeBytes(bytes)})`;
}
