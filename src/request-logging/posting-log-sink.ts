import { RequestLogSink } from './request-log-sink';

/** How a record leaves the thread that encoded it: to the thread that owns the log files. */
export type PostRecord = (model: string, record: Uint8Array, transfer: ArrayBuffer[]) => void;

/**
 * The sink of a front-end thread: each record is posted to the thread that owns the log files (which
 * hands it to `collectors.append`). The record's memory is transferred, not copied; a record sharing
 * Node's buffer pool with other buffers is copied first, since transferring would detach the whole pool.
 */
export class PostingLogSink implements RequestLogSink {
  constructor(private readonly post: PostRecord) {}

  append(model: string, record: Uint8Array): void {
    const own = record.byteOffset === 0 && record.byteLength === record.buffer.byteLength && record.buffer instanceof ArrayBuffer;
    const sent = own ? record : record.slice();
    this.post(model, sent, [sent.buffer as ArrayBuffer]);
  }
}
