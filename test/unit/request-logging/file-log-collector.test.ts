import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Code } from '../../../src/errors/status-code';
import { FileLogCollector, LogCounters, logFileName } from '../../../src/request-logging/file-log-collector';
import { readTfRecords } from '../../../src/tfrecord/tfrecord-reader';

/** The file collector on a real file system: naming, rotation by size, the bounded queue, failed writes. */

class Recorded implements LogCounters {
  readonly events: string[] = [];
  logged(model: string): void {
    this.events.push(`${model}:OK`);
  }
  dropped(model: string, code: Code): void {
    this.events.push(`${model}:${Code[code]}`);
  }
}

let tmp: string;
beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfs-collector-'))));
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const record = (i: number, size = 100) => Buffer.alloc(size, i);
const filesOf = (dir: string) => fs.readdirSync(dir).sort();
const recordsIn = (file: string) => readTfRecords(fs.readFileSync(file)).map((r) => r[0]);

test('file names: prefix, UTC start time, pid, sequence; a trailing separator means "inside this folder"', () => {
  const start = new Date(Date.UTC(2025, 2, 4, 5, 6, 7, 890));
  expect(logFileName('/logs/m', start, 42, 3)).toBe('/logs/m.20250304T050607Z.42.0003.tfrecord');
  expect(logFileName('/logs/', start, 42, 12345)).toBe('/logs/20250304T050607Z.42.12345.tfrecord');
});

test('records are appended off the caller\'s turn, in order, and a file is closed before it would pass its size', async () => {
  const counters = new Recorded();
  const prefix = path.join(tmp, 'sub', 'm');
  const collector = new FileLogCollector(prefix, { maxFileBytes: 3 * 116, maxQueueBytes: 1 << 20, counters });
  for (let i = 0; i < 7; i++) collector.append('m', record(i));
  // Nothing is written within append(): not even the folder exists yet.
  expect(fs.existsSync(path.dirname(prefix))).toBe(false);
  await collector.close();
  const files = filesOf(path.dirname(prefix));
  expect(files).toHaveLength(3);
  for (const f of files) expect(f).toMatch(new RegExp(`^m\\.\\d{8}T\\d{6}Z\\.${process.pid}\\.\\d{4}\\.tfrecord$`));
  expect(files.map((f) => recordsIn(path.join(tmp, 'sub', f)))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  expect(counters.events).toEqual(Array(7).fill('m:OK'));
  collector.append('m', record(7));
  expect(counters.events[7]).toBe('m:RESOURCE_EXHAUSTED');
});

test('a record larger than a whole file gets a file of its own', async () => {
  const counters = new Recorded();
  const collector = new FileLogCollector(path.join(tmp, 'm'), { maxFileBytes: 200, maxQueueBytes: 1 << 20, counters });
  collector.append('m', record(1, 10));
  collector.append('m', record(2, 500));
  collector.append('m', record(3, 10));
  await collector.close();
  expect(filesOf(tmp).map((f) => recordsIn(path.join(tmp, f)))).toEqual([[1], [2], [3]]);
});

test('the queue is bounded in bytes: what does not fit is dropped and counted, what fits is written', async () => {
  const counters = new Recorded();
  const collector = new FileLogCollector(path.join(tmp, 'm'), { maxFileBytes: 1 << 20, maxQueueBytes: 2 * 116, counters });
  for (let i = 0; i < 5; i++) collector.append(i % 2 ? 'b' : 'a', record(i));
  expect(counters.events).toEqual(['a:RESOURCE_EXHAUSTED', 'b:RESOURCE_EXHAUSTED', 'a:RESOURCE_EXHAUSTED']);
  await collector.close();
  expect(counters.events.slice(3)).toEqual(['a:OK', 'b:OK']);
  expect(filesOf(tmp).map((f) => recordsIn(path.join(tmp, f)))).toEqual([[0, 1]]);
});

test('a prefix that cannot be written drops its records with the reason\'s code, never throws, and recovers', async () => {
  const notADir = path.join(tmp, 'file');
  fs.writeFileSync(notADir, 'x');
  const counters = new Recorded();
  const collector = new FileLogCollector(path.join(notADir, 'm'), { maxFileBytes: 1 << 20, maxQueueBytes: 1 << 20, counters });
  collector.append('m', record(1));
  await new Promise((r) => setTimeout(r, 50));
  // Within the retry pause the disk is not tried again; the record counts under the same code.
  collector.append('m', record(2));
  await new Promise((r) => setTimeout(r, 50));
  expect(counters.events).toEqual(['m:FAILED_PRECONDITION', 'm:FAILED_PRECONDITION']);
  expect(filesOf(tmp)).toEqual(['file']);
  // Once the path can be written (the folder is created) the next record after the pause is written.
  fs.rmSync(notADir);
  await new Promise((r) => setTimeout(r, 1000));
  collector.append('m', record(3));
  await collector.close();
  expect(counters.events[2]).toBe('m:OK');
  expect(filesOf(notADir).map((f) => recordsIn(path.join(notADir, f)))).toEqual([[3]]);
});
