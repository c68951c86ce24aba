import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCancel, encodeCancel } from './cancel-channel.js';

test('a cancel message carries the run and when it was sent', () => {
  assert.deepEqual(decodeCancel(encodeCancel('wftestrun_1', 1234)), { runId: 'wftestrun_1', sentAt: 1234 });
});

test('anything else published on the channel is ignored, never thrown', () => {
  for (const text of ['', 'not json', 'null', '42', '{"runId":7,"sentAt":1}', '{"runId":"r"}', '[]']) assert.equal(decodeCancel(text), null, text);
});
