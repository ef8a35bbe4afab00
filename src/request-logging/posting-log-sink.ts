import { RequestLogSink } from './request-log-sink';

/** A record crossing threads: what PostingLogSink posts and the owner of the files hands to its collectors. */
export interface RequestLogRecordMessage {
  readonly kind: 'requestLogRecord';
  readonly model: string;
  readonly record: Uint8Array;
}

/** The posting side of a MessagePort or a worker's parentPort. */
export interface RecordPort {
  postMessage(message: RequestLogRecordMessage, transfer: ArrayBuffer[]): void;
}

/**
 * The sink of a front-end thread: each record is posted to the thread that owns the log files, whose
 * handler passes it on with `collectors.append(message.model, message.record)` (see
 * isRequestLogRecord). The record's memory is transferred, not copied; a record sharing Node's buffer
 * pool with other buffers is copied first, since transferring would detach the whole pool.
 */
export class PostingLogSink implements RequestLogSink {
  constructor(private readonly port: RecordPort) {}

  append(model: string, record: Uint8Array): void {
    const own = record.byteOffset === 0 && record.byteLength === record.buffer.byteLength && record.buffer instanceof ArrayBuffer;
    const sent = own ? record : record.slice();
    this.port.postMessage({ kind: 'requestLogRecord', model, record: sent }, [sent.buffer as ArrayBuffer]);
  }
}

export function isRequestLogRecord(message: unknown): message is RequestLogRecordMessage {
  return typeof message === 'object' && message !== null && (message as { kind?: unknown }).kind === 'requestLogRecord';
}
