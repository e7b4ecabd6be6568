import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { bufferedOutput, type LogOutput } from '../src/observability/log-output.js';

/** An output that records each write and answers its callback as told. */
function fakeOutput(answer: (text: string) => Error | undefined = () => undefined) {
  const writes: string[] = [];
  const output: EventEmitter & LogOutput & { writes: string[]; writableLength: number } = Object.assign(new EventEmitter(), {
    writes,
    writableLength: 0,
    write(text: string, callback?: (error?: Error | null) => void) {
      writes.push(text);
      const error = answer(text);
      // As Node's streams do: the callback after the call returns.
      process.nextTick(() => callback?.(error ?? null));
      return true;
    },
  });
  return output;
}

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `{"n":${from + i}}\n`).join('');
const nextTick = () => new Promise((resolve) => process.nextTick(resolve));

describe('bufferedOutput', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  test('a lone line is written once the flush interval has passed, not before', () => {
    const output = fakeOutput();
    const log = bufferedOutput(output, { flushIntervalMs: 100 });
    log.write(lines(1));
    vi.advanceTimersByTime(99);
    expect(output.writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(output.writes).toEqual([lines(1)]);
    log.close();
  });

  test('a stampede of lines leaves in one write per maxPendingChars, in order', () => {
    const output = fakeOutput();
    const log = bufferedOutput(output, { maxPendingChars: 1000 });
    for (let i = 0; i < 1000; i++) log.write(lines(1, i));
    // Each line is 9-11 characters: about a hundred lines per write, never one write per line.
    expect(output.writes.length).toBeGreaterThan(5);
    expect(output.writes.length).toBeLessThan(15);
    log.flush();
    expect(output.writes.join('')).toBe(lines(1000));
  });

  test('flush() and close() write what waits at once', () => {
    const output = fakeOutput();
    const log = bufferedOutput(output);
    log.write(lines(2));
    log.flush();
    expect(output.writes).toEqual([lines(2)]);
    log.write(lines(1, 2));
    log.close();
    expect(output.writes).toEqual([lines(2), lines(1, 2)]);
  });

  test('after a failed write (EPIPE) nothing is retried: every later line is dropped and counted', async () => {
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const output = fakeOutput(() => epipe);
    const log = bufferedOutput(output);
    log.write(lines(3));
    log.flush();
    await nextTick();
    output.emit('error', epipe);
    expect(log.droppedLines).toBe(3);
    for (let i = 0; i < 50; i++) log.write(lines(2));
    log.flush();
    vi.advanceTimersByTime(10_000);
    expect(output.writes).toHaveLength(1);
    expect(log.droppedLines).toBe(103);
    log.close();
  });

  test('an output that throws is given up the same way, and the caller never sees the error', () => {
    const output = fakeOutput();
    output.write = () => {
      throw new Error('EBADF');
    };
    const log = bufferedOutput(output);
    log.write(lines(4));
    expect(() => log.flush()).not.toThrow();
    log.write(lines(1));
    log.flush();
    expect(log.droppedLines).toBe(5);
  });

  test('lines are dropped, not queued without bound, while the output holds more than maxQueuedBytes', () => {
    const output = fakeOutput();
    const log = bufferedOutput(output, { maxQueuedBytes: 100 });
    output.writableLength = 101;
    log.write(lines(7));
    log.flush();
    expect(output.writes).toEqual([]);
    expect(log.droppedLines).toBe(7);
    // The reader caught up: writing again.
    output.writableLength = 0;
    log.write(lines(1));
    log.flush();
    expect(output.writes).toEqual([lines(1)]);
    expect(log.droppedLines).toBe(7);
    log.close();
  });

  test("listens to the output's 'error' event, so a broken stdout does not end the process", () => {
    const output = fakeOutput();
    bufferedOutput(output).close();
    bufferedOutput(output).close();
    expect(output.listenerCount('error')).toBe(1);
    expect(() => output.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).not.toThrow();
  });

  test('after close() lines are dropped and counted, and the timer is gone', () => {
    const output = fakeOutput();
    const log = bufferedOutput(output);
    log.close();
    log.write(lines(2));
    expect(vi.getTimerCount()).toBe(0);
    expect(log.droppedLines).toBe(2);
    expect(output.writes).toEqual([]);
  });
});
