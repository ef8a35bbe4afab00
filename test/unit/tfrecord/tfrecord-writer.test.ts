import { crc32c } from '../../../src/tfrecord/crc32c';
import { readTfRecords } from '../../../src/tfrecord/tfrecord-reader';
import { TFRECORD_OVERHEAD, tfRecordFrame } from '../../../src/tfrecord/tfrecord-writer';

/** CRC-32C (slicing-by-8) against the byte-at-a-time definition, and TFRecord framing against the reader. */

function reference(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('crc32c: the standard check value and the bitwise definition at every alignment and length', () => {
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  expect(crc32c(new Uint8Array(0))).toBe(0);
  const bytes = new Uint8Array(300);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 0xff;
  for (let start = 0; start < 9; start++) {
    for (let len = 0; len < 40; len++) expect(crc32c(bytes.subarray(start, start + len))).toBe(reference(bytes.subarray(start, start + len)));
  }
  expect(crc32c(bytes)).toBe(reference(bytes));
});

test('framed records read back, in order, with their checksums verified', () => {
  const records = [new Uint8Array(0), Buffer.from('a'), Buffer.alloc(70000, 0xab)];
  const file = Buffer.concat(records.flatMap((r) => tfRecordFrame(r)));
  expect(file.byteLength).toBe(records.reduce((n, r) => n + r.byteLength + TFRECORD_OVERHEAD, 0));
  expect(readTfRecords(file).map((r) => Buffer.from(r))).toEqual(records.map((r) => Buffer.from(r)));
});
