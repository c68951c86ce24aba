import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reconcile } from './consensus.js';

test('scalars: majority by exact match, ties to the earliest sample', () => {
  assert.deepEqual(reconcile([1, 2, 1]), { value: 1, likelihoods: 2 / 3 });
  assert.deepEqual(reconcile(['b', 'a']), { value: 'b', likelihoods: 0.5 });
  assert.deepEqual(reconcile([true, 1, true]), { value: true, likelihoods: 2 / 3 });
});

test('objects: key by key, recursively, key order irrelevant', () => {
  const samples = [
    { total: 12, vendor: { name: 'Acme', country: 'FR' } },
    { vendor: { country: 'DE', name: 'Acme' }, total: 12 },
    { total: 13, vendor: { name: 'ACME', country: 'FR' } },
  ];
  assert.deepEqual(reconcile(samples), {
    value: { total: 12, vendor: { name: 'Acme', country: 'FR' } },
    likelihoods: { total: 2 / 3, vendor: { name: 2 / 3, country: 2 / 3 } },
  });
});

test('a key most samples omit is omitted; otherwise the samples that have it decide', () => {
  assert.deepEqual(reconcile([{ a: 1, b: 1 }, { a: 1 }, { a: 2 }]).value, { a: 1 });
  assert.deepEqual(reconcile([{ a: 1, b: 1 }, { a: 1, b: 2 }, { a: 1, b: 2 }, { a: 1 }]), {
    value: { a: 1, b: 2 },
    likelihoods: { a: 1, b: 2 / 3 },
  });
});

test('arrays of equal length item by item, otherwise the most common whole array', () => {
  assert.deepEqual(reconcile([[1, 2], [1, 3], [1, 2]]), { value: [1, 2], likelihoods: [1, 2 / 3] });
  assert.deepEqual(reconcile([[1], [1, 2], [1, 2]]), { value: [1, 2], likelihoods: 2 / 3 });
  const items = reconcile([{ items: [{ sku: 'A', qty: 1 }] }, { items: [{ sku: 'A', qty: 2 }] }, { items: [{ sku: 'A', qty: 1 }] }]);
  assert.deepEqual(items.value, { items: [{ sku: 'A', qty: 1 }] });
  assert.deepEqual(items.likelihoods, { items: [{ sku: 1, qty: 2 / 3 }] });
});

test('mixed kinds fall back to a whole-value vote; one sample is certain', () => {
  assert.deepEqual(reconcile([{ a: 1 }, [1], { a: 1 }]), { value: { a: 1 }, likelihoods: 2 / 3 });
  assert.deepEqual(reconcile([null, null, 0]), { value: null, likelihoods: 2 / 3 });
  assert.deepEqual(reconcile([{ a: 'x' }]), { value: { a: 'x' }, likelihoods: { a: 1 } });
  assert.throws(() => reconcile([]), RangeError);
});
