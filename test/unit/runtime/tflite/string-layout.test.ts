import { packStrings, unpackStrings } from '../../../../src/runtime/tflite/string-layout';

const enc = (s: string) => new TextEncoder().encode(s);

describe("TFLite's string tensor layout", () => {
  it('packs count, offsets from the buffer start, then the bytes', () => {
    const packed = packStrings([enc('ab'), enc(''), enc('c')]);
    // 3 | offsets 20, 22, 22, 23 | "abc"
    expect(Array.from(packed)).toEqual([3, 0, 0, 0, 20, 0, 0, 0, 22, 0, 0, 0, 22, 0, 0, 0, 23, 0, 0, 0, 97, 98, 99]);
  });

  it.each([[[]], [['x']], [['test string', 'missing', '']]])('round-trips %j', (strings) => {
    const back = unpackStrings(packStrings(strings.map(enc)));
    expect(back.map((b) => new TextDecoder().decode(b))).toEqual(strings);
  });

  it('refuses offsets beyond the buffer', () => {
    const bad = packStrings([enc('abc')]);
    bad[8] = 99; // the end offset of the only string
    expect(() => unpackStrings(bad)).toThrow('malformed TFLite string tensor');
  });
});
