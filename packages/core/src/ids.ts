import { randomBytes, randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 8;
const RANDOM_CHARS = 13;

export const ID_PREFIXES = {
  workflow: 'wf_',
  version: 'ver_',
  block: 'blk_',
  edge: 'edg_',
  test: 'wfnodetest_',
  assertion: 'assert_',
  testRun: 'wftestrun_',
  testResult: 'wfnodetestrun_',
  workflowRun: 'run_',
  functionInvocation: 'finv_',
  extraction: 'extr_',
  classification: 'clss_',
  split: 'splt_',
  conditionalEvaluation: 'ceval_',
  blockExecution: 'wfsim_',
  file: 'file_',
  apiKey: 'key_',
  organization: 'org_',
  session: 'sess_',
  experiment: 'exp_',
  experimentRun: 'exprun_',
  experimentDocument: 'expdoc_',
  experimentResult: 'expres_',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

// Random bytes come from a pool refilled in 4 KiB chunks: a crypto call per id dominated the
// cost of creating the rows of large runs.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function nextRandomByte(): number {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++]!;
}

let lastMillis = 0;
let sequence = 0;

function encode(value: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * A 21-character suffix that sorts by creation time: 8 characters of milliseconds, then a
 * per-process sequence and randomness. Keyset pagination relies on ids created later in the
 * same process sorting after earlier ones, even within one millisecond.
 */
export function newId(kind: IdKind): string {
  const millis = Date.now();
  if (millis === lastMillis) sequence++;
  else {
    lastMillis = millis;
    sequence = 0;
  }
  let random = '';
  for (let i = 0; i < RANDOM_CHARS - 4; i++) random += ALPHABET[nextRandomByte() % 62];
  return ID_PREFIXES[kind] + encode(millis, TIME_CHARS) + encode(sequence, 4) + random;
}

/** A random secret of the given length in base62 (API keys, session tokens). */
export function newSecret(length = 40): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % 62];
  return out;
}
