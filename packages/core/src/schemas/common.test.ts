import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dateFilter, dateFilterInstant } from './common.js';

describe('date filters', () => {
  test('real dates and datetimes become instants; a date covers its whole UTC day', () => {
    const cases: [string, 'start' | 'end', string][] = [
      ['2026-05-01', 'start', '2026-05-01T00:00:00.000Z'],
      ['2026-05-01', 'end', '2026-05-01T23:59:59.999Z'],
      ['2024-02-29', 'start', '2024-02-29T00:00:00.000Z'],
      ['2000-02-29', 'start', '2000-02-29T00:00:00.000Z'],
      ['2026-05-01T12:30:00Z', 'start', '2026-05-01T12:30:00.000Z'],
      ['2026-05-01T12:30:00.123456+02:00', 'end', '2026-05-01T10:30:00.123Z'],
      ['2026-05-01 12:30:00+00:00', 'start', '2026-05-01T12:30:00.000Z'],
      ['2026-05-01T23:59:59.999z', 'start', '2026-05-01T23:59:59.999Z'],
    ];
    for (const [text, edge, instant] of cases) assert.equal(dateFilterInstant(text, edge), instant, text);
  });

  test('dates that do not exist are refused, not rolled over', () => {
    for (const text of ['2020-13-45', '2020-00-10', '2020-02-30', '2023-02-29', '1900-02-29', '2020-04-31', '2020-01-00', '2020-01-01T24:00:00Z', '2020-01-01T12:60:00Z', '2020-01-01T12:00:61Z', '2020-01-01T12:00:00+25:00', 'yesterday', '2020-1-1', '']) {
      assert.equal(dateFilterInstant(text, 'start'), null, text);
      assert.equal(dateFilter('start').safeParse(text).success, false, text);
    }
  });
});
