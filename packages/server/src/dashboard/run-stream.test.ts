import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResultListItem } from '../services/test-results.js';
import { pipeRunEvents, ResultCursor, serializeEvent, type RunEvent } from './run-stream.js';

/** An in-memory run: rows by position, with the same "started rows from a position" read as the store's. */
function fakeRun(size: number) {
  const rows: ResultListItem[] = Array.from({ length: size }, (_, position) => ({
    id: `r${position}`,
    position,
    testId: `t${position}`,
    testName: null,
    status: 'pending',
    verdict: null,
    failure: null,
    durationMs: null,
    queuedMs: null,
  }));
  const reads: number[] = [];
  return {
    set(position: number, status: string, verdict: string | null = null) {
      rows[position] = { ...rows[position]!, status, verdict };
    },
    reads,
    read: async (from: number, limit: number) => {
      reads.push(from);
      return rows.filter((row) => row.position >= from && row.status !== 'pending' && row.status !== 'queued').slice(0, limit);
    },
  };
}

const positions = (rows: ResultListItem[]) => rows.map((row) => row.position);

describe('ResultCursor', () => {
  test('sends a row when it starts and again when it finishes, never twice in the same state', async () => {
    const run = fakeRun(3);
    const cursor = new ResultCursor(run.read);
    run.set(0, 'running');
    assert.deepEqual(positions(await cursor.changedRows()), [0]);
    assert.deepEqual(positions(await cursor.changedRows()), []);
    run.set(0, 'completed', 'passed');
    run.set(1, 'running');
    assert.deepEqual(positions(await cursor.changedRows()), [0, 1]);
    assert.deepEqual(positions(await cursor.changedRows()), []);
  });

  test('finished rows at the front are not read again', async () => {
    const run = fakeRun(4);
    const cursor = new ResultCursor(run.read);
    run.set(0, 'completed', 'passed');
    run.set(1, 'completed', 'failed');
    await cursor.changedRows();
    run.set(2, 'running');
    await cursor.changedRows();
    assert.deepEqual(run.reads, [0, 2]);
  });

  test('a row stuck before more changed rows than one scan reads does not hide the later ones', async () => {
    const run = fakeRun(10);
    const cursor = new ResultCursor(run.read, 3);
    run.set(0, 'running');
    for (let position = 1; position < 10; position++) run.set(position, 'completed', 'passed');
    const seen: number[] = [];
    for (let scan = 0; scan < 4; scan++) seen.push(...positions(await cursor.changedRows()));
    assert.deepEqual(seen.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    run.set(0, 'cancelled');
    const after: number[] = [];
    for (let scan = 0; scan < 5 && !(cursor.caughtUp && after.length > 0); scan++) after.push(...positions(await cursor.changedRows()));
    assert.deepEqual(after, [0]);
  });

  test('caught up only after a scan from the first unfinished row that found less than a full page', async () => {
    const run = fakeRun(6);
    const cursor = new ResultCursor(run.read, 2);
    for (let position = 0; position < 6; position++) run.set(position, 'cancelled');
    await cursor.changedRows();
    assert.equal(cursor.caughtUp, false);
    await cursor.changedRows();
    await cursor.changedRows();
    assert.equal(cursor.caughtUp, false, 'the third scan read a full page: there may be more');
    assert.deepEqual(await cursor.changedRows(), []);
    assert.equal(cursor.caughtUp, true);
  });
});

test('serializeEvent writes one SSE event whose data is a single JSON line', () => {
  const text = serializeEvent({ event: 'end', data: { status: 'cancelled' } });
  assert.equal(text, 'event: end\ndata: {"status":"cancelled"}\n\n');
  const withNewline = serializeEvent({ event: 'results', data: { rows: [{ id: 'r', position: 0, html: '<tr>\n</tr>' }] } });
  assert.equal(withNewline.split('\n').length, 4, 'newlines inside the HTML are escaped by JSON');
});

class FakeResponse extends EventEmitter {
  chunks: string[] = [];
  writableEnded = false;
  writableNeedDrain = false;
  write(chunk: string) {
    this.chunks.push(chunk);
  }
  end() {
    this.writableEnded = true;
  }
}

/** A feed that answers `polls` in turn and counts how often it was asked. */
function scriptedFeed(answers: { events: RunEvent[]; done: boolean }[]) {
  const feed = {
    polls: 0,
    async poll() {
      const answer = answers[Math.min(feed.polls, answers.length - 1)]!;
      feed.polls++;
      return answer;
    },
  };
  return feed;
}

const quiet = { events: [], done: false };
const options = { tickMs: 5, heartbeatEveryTicks: 1000, onError: () => undefined };

describe('pipeRunEvents', () => {
  test('writes the events in order and ends the response once the feed is done', async () => {
    const summary: RunEvent = { event: 'summary', data: { status: 'completed', terminal: true, html: '' } };
    const end: RunEvent = { event: 'end', data: { status: 'completed' } };
    const feed = scriptedFeed([quiet, { events: [summary, end], done: true }]);
    const response = new FakeResponse();
    await pipeRunEvents(feed, response, options).stopped;
    assert.deepEqual(response.chunks, [serializeEvent(summary), serializeEvent(end)]);
    assert.equal(response.writableEnded, true);
    await sleep(30);
    assert.equal(feed.polls, 2, 'no poll after the end');
  });

  test('stops polling as soon as the client goes away', async () => {
    const feed = scriptedFeed([quiet]);
    const response = new FakeResponse();
    const stream = pipeRunEvents(feed, response, options);
    await sleep(30);
    response.emit('close');
    await stream.stopped;
    const pollsAtClose = feed.polls;
    await sleep(40);
    assert.equal(feed.polls, pollsAtClose);
    assert.ok(pollsAtClose >= 2);
  });

  test('does not poll while the client has not drained what it was sent, but keeps the heartbeat', async () => {
    const feed = scriptedFeed([quiet]);
    const response = new FakeResponse();
    response.writableNeedDrain = true;
    const stream = pipeRunEvents(feed, response, { ...options, heartbeatEveryTicks: 2 });
    await sleep(40);
    stream.stop();
    assert.equal(feed.polls, 0);
    assert.ok(response.chunks.includes(': keep-alive\n\n'));
  });

  test('a failing poll is reported and ends the stream', async () => {
    const errors: unknown[] = [];
    const response = new FakeResponse();
    const failing = { poll: async () => Promise.reject(new Error('store is gone')) };
    await pipeRunEvents(failing, response, { ...options, onError: (error) => errors.push(error) }).stopped;
    assert.equal((errors[0] as Error).message, 'store is gone');
    assert.equal(response.writableEnded, true);
  });
});
