import { maskedCrc32c } from './crc32c';

/** Bytes TFRecord framing adds to each record: a 12-byte header and a 4-byte footer. */
export const TFRECORD_OVERHEAD = 16;

/**
 * One record's TFRecord framing, as the reader (tfrecord-reader.ts) and TensorFlow's RecordWriter
 * expect it: header `uint64 length | uint32 masked crc32c(length)`, then the data, then footer
 * `uint32 masked crc32c(data)`, little-endian. The data itself is not copied: a writer hands the
 * three parts to one vectored write.
 */
export function tfRecordFrame(data: Uint8Array): [header: Buffer, data: Uint8Array, footer: Buffer] {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.byteLength), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return [header, data, footer];
}
