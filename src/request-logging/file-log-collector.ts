import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Code } from '../errors/status-code';
import { log } from '../log/logger';
import { TFRECORD_OVERHEAD, tfRecordFrame } from '../tfrecord/tfrecord-writer';
import { RequestLogSink } from './request-log-sink';

/** What a collector reports per record: written, or dropped and why. */
export interface LogCounters {
  logged(model: string): void;
  dropped(model: string, code: Code): void;
}

export interface FileLogCollectorOptions {
  /** Bytes of records (framed) waiting or being written; a record that would pass it is dropped. */
  readonly maxQueueBytes: number;
  /** A file is closed and the next one started before it would pass this size. */
  readonly maxFileBytes: number;
  readonly counters: LogCounters;
}

/** Bytes handed to one vectored write: enough to amortise the call, small enough to rotate on time. */
const BATCH_BYTES = 4 << 20;
/** After a failed write, records are dropped without touching the disk for this long, then a write is tried again. */
const RETRY_MS = 1000;

/** Numbers the files of this process, so no two collectors (or two rotations in one second) collide. */
let fileSequence = 0;

/**
 * `<prefix>.<UTC start, YYYYMMDDTHHMMSSZ>.<pid>.<sequence>.tfrecord`: sorted by name within one process,
 * distinct across processes writing under one prefix (replicas on a shared volume). A prefix ending in
 * the path separator names a folder: the files go inside it, without the leading dot.
 */
export function logFileName(prefix: string, start: Date, pid: number, sequence: number): string {
  const stamp = start.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const sep = prefix.endsWith(path.sep) ? '' : '.';
  return `${prefix}${sep}${stamp}.${pid}.${String(sequence).padStart(4, '0')}.tfrecord`;
}

/** TensorFlow's errno mapping (ErrnoToCode) for the failures a log write meets. */
function codeOfFsError(err: unknown): Code {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return Code.RESOURCE_EXHAUSTED;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return Code.PERMISSION_DENIED;
    case 'ENOENT':
      return Code.NOT_FOUND;
    case 'ENOTDIR':
    case 'EISDIR':
      return Code.FAILED_PRECONDITION;
    default:
      return Code.UNKNOWN;
  }
}

interface Entry {
  readonly model: string;
  readonly record: Uint8Array;
}

/**
 * The "file" log collector: appends PredictionLog records to TFRecord files named from one
 * filename_prefix, starting a new file before one passes maxFileBytes. It runs on the thread that
 * owns the files (the main thread), behind a bounded queue: append() only enqueues, and a write
 * starts on a later turn of the event loop, so a request never waits for the disk. When the disk is
 * slow the queue fills and later records are dropped; when a write fails its records are dropped and
 * the file is cut back to its last whole record. Either way the request went through, and the
 * counters say what was lost.
 */
export class FileLogCollector implements RequestLogSink {
  private queue: Entry[] = [];
  private queuedBytes = 0;
  private file: fs.FileHandle | undefined;
  private fileName = '';
  private fileBytes = 0;
  private running: Promise<void> | undefined;
  private closed = false;
  /** Set while a full queue drops records, so each episode is logged once. */
  private queueFull = false;
  /** While writes fail: when to try again (0 = writing fine), and the code dropped records count under. */
  private retryAt = 0;
  private failCode = Code.UNKNOWN;

  constructor(
    readonly prefix: string,
    private readonly opts: FileLogCollectorOptions,
  ) {}

  append(model: string, record: Uint8Array): void {
    const size = record.byteLength + TFRECORD_OVERHEAD;
    if (this.closed || this.queuedBytes + size > this.opts.maxQueueBytes) {
      if (!this.queueFull && !this.closed) {
        log.warn(
          `Request log ${this.prefix}: ${this.queuedBytes} bytes waiting for the disk, a ${size}-byte record does not fit in ` +
            `${this.opts.maxQueueBytes}; dropping records until there is room`,
        );
      }
      this.queueFull = true;
      this.opts.counters.dropped(model, Code.RESOURCE_EXHAUSTED);
      return;
    }
    this.queueFull = false;
    this.queue.push({ model, record });
    this.queuedBytes += size;
    this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
  }

  /** Writes what is queued, then closes the file; records appended afterwards are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await this.closeFile();
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.writeBatch();
    } finally {
      // Same synchronous step as the last emptiness check: an append cannot slip in between.
      this.running = undefined;
    }
  }

  private async writeBatch(): Promise<void> {
    const first = this.queue[0].record.byteLength + TFRECORD_OVERHEAD;
    // Rotate before a file would pass its size; a record larger than a whole file gets one of its own.
    if (this.file && this.fileBytes > 0 && this.fileBytes + first > this.opts.maxFileBytes) await this.closeFile();
    const room = Math.max(first, Math.min(BATCH_BYTES, this.opts.maxFileBytes - this.fileBytes));
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && bytes + this.queue[n].record.byteLength + TFRECORD_OVERHEAD <= room) {
      bytes += this.queue[n].record.byteLength + TFRECORD_OVERHEAD;
      n++;
    }
    const batch = this.queue.splice(0, n);
    try {
      // Soon after a failure the disk is left alone: a full disk is not retried once per request.
      const code = Date.now() < this.retryAt ? this.failCode : await this.writeRecords(batch, bytes);
      for (const e of batch) {
        if (code === Code.OK) this.opts.counters.logged(e.model);
        else this.opts.counters.dropped(e.model, code);
      }
    } finally {
      this.queuedBytes -= bytes;
    }
  }

  /** Appends the batch to the current file (opening one if needed); OK, or why its records are lost. */
  private async writeRecords(batch: readonly Entry[], bytes: number): Promise<Code> {
    try {
      const file = await this.open();
      await writeAll(file, batch.flatMap((e) => tfRecordFrame(e.record)), bytes);
      this.fileBytes += bytes;
      if (this.retryAt !== 0) log.info(`Request log ${this.prefix}: writing again, to ${this.fileName}`);
      this.retryAt = 0;
      return Code.OK;
    } catch (err) {
      if (this.retryAt === 0) {
        log.error(`Request log ${this.prefix}: ${(err as Error).message}; dropping records until a write succeeds`);
      }
      this.retryAt = Date.now() + RETRY_MS;
      this.failCode = codeOfFsError(err);
      await this.abandonFile();
      return this.failCode;
    }
  }

  /** The current file, or a new one (its folder created if missing; never an existing file reopened). */
  private async open(): Promise<fs.FileHandle> {
    if (this.file) return this.file;
    for (;;) {
      const name = logFileName(this.prefix, new Date(), process.pid, fileSequence++);
      try {
        this.file = await fs.open(name, 'wx');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'ENOENT') throw err;
        await fs.mkdir(path.dirname(name), { recursive: true });
        this.file = await fs.open(name, 'wx');
      }
      this.fileName = name;
      return this.file;
    }
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    this.fileBytes = 0;
    await file?.close().catch((err: unknown) => log.error(`Request log ${this.fileName}: ${(err as Error).message}`));
  }

  /**
   * After a failed write: cut the file back to its last whole record, so readers never meet half a
   * record, and remove it if it holds none (a full disk must not collect empty files).
   */
  private async abandonFile(): Promise<void> {
    if (!this.file) return;
    const whole = this.fileBytes;
    await this.file.truncate(whole).catch(() => undefined);
    await this.closeFile();
    if (whole === 0) await fs.unlink(this.fileName).catch(() => undefined);
  }
}

/** One vectored write, continued when the kernel takes only part of it. */
async function writeAll(file: fs.FileHandle, parts: Uint8Array[], total: number): Promise<void> {
  let written = 0;
  let rest = parts;
  for (;;) {
    const { bytesWritten } = await file.writev(rest);
    written += bytesWritten;
    if (written >= total) return;
    if (bytesWritten === 0) throw new Error(`short write: ${written} of ${total} bytes`);
    // Drop what went out: whole parts, then the front of the part the write stopped in.
    let skip = bytesWritten;
    let i = 0;
    while (skip >= rest[i].byteLength) skip -= rest[i++].byteLength;
    rest = [rest[i].subarray(skip), ...rest.slice(i + 1)];
  }
}
