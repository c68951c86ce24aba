import { describe } from 'node:test';
import { testCases } from '../test-support.js';

const objectContains = (expected: Record<string, unknown>) => ({ kind: 'object_contains', expected });
const invoice = { vendor: { name: 'Acme', address: { city: 'Paris', zip: '75001' } }, total: 10, lines: [1, 2] };

describe('object_contains', () => {
  testCases([
    { name: 'a subset of keys passes', condition: objectContains({ total: 10 }), actual: invoice, outcome: 'passed' },
    { name: 'nested objects are matched as subsets too', condition: objectContains({ vendor: { address: { city: 'Paris' } } }), actual: invoice, outcome: 'passed' },
    { name: 'the empty pattern always passes', condition: objectContains({}), actual: {}, outcome: 'passed' },
    { name: 'arrays must be equal, not subsets', condition: objectContains({ lines: [1] }), actual: invoice, outcome: 'failed', message: /expected 1 item at `value.lines`, found 2/ },
    {
      name: 'a wrong nested value is pointed at',
      condition: objectContains({ vendor: { address: { zip: '75002' } } }),
      actual: invoice,
      outcome: 'failed',
      message: /expected the string "75002" at `value.vendor.address.zip`, found the string "75001"/,
      details: { difference_path: 'value.vendor.address.zip' },
    },
    { name: 'a missing key fails', condition: objectContains({ currency: 'EUR' }), actual: invoice, outcome: 'failed', message: /at `value.currency`, found no such key/ },
    { name: 'types are strict (1 is not true)', condition: objectContains({ paid: true }), actual: { paid: 1 }, outcome: 'failed' },
    { name: 'reasoning___ keys of the pattern are ignored', condition: objectContains({ total: 10, reasoning___total: 'x' }), actual: invoice, outcome: 'passed' },
    { name: 'an array is a type error', condition: objectContains({ a: 1 }), actual: [{ a: 1 }], outcome: 'blocked', code: 'type_error', message: /expected an object at `value`, found the array/ },
  ]);
});
