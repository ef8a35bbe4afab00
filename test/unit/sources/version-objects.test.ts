/**
 * Version prefixes in a bucket listing and when they count as complete (src/sources/version-objects.ts).
 */
import { StoredObject } from '../../../src/sources/object-store-client';
import { groupVersions, isVersionComplete } from '../../../src/sources/version-objects';

const obj = (key: string, modifiedMs = 1000, etag = `"${key}"`, size = 3): StoredObject => ({ key, size, etag, modifiedMs });

describe('groupVersions', () => {
  it('numbered prefixes are versions; markers, other names and unsafe keys are skipped', () => {
    const groups = groupVersions('m/', [
      obj('m/1/saved_model.pb'),
      obj('m/1/variables/variables.index'),
      obj('m/1/variables/'),
      obj('m/00000123/saved_model.pb'),
      obj('m/tmp/saved_model.pb'),
      obj('m/3.partial/saved_model.pb'),
      obj('m/4/../../etc/passwd'),
      obj('m/5/./x'),
      obj('m/6//x'),
      obj('m/saved_model.pb'),
      obj('other/1/saved_model.pb'),
    ]);
    expect(groups.map((g) => [g.version, g.objects.map((o) => o.rel)])).toEqual([
      [1, ['saved_model.pb', 'variables/variables.index']],
      [123, ['saved_model.pb']],
    ]);
    expect(groups.map((g) => g.snapshot.hasSavedModel)).toEqual([true, true]);
  });

  it('a version holding model.tflite has a model; one with only variables has none', () => {
    const groups = groupVersions('m/', [obj('m/1/model.tflite'), obj('m/2/variables/variables.index')]);
    expect(groups.map((g) => [g.version, g.snapshot.hasSavedModel])).toEqual([
      [1, true],
      [2, false],
    ]);
  });

  it('a bucket root as base path has the empty prefix', () => {
    expect(groupVersions('', [obj('7/saved_model.pb')]).map((g) => g.version)).toEqual([7]);
  });

  it('the fingerprint changes with any key, size or ETag, not with listing order', () => {
    const fp = (objects: StoredObject[]) => groupVersions('m/', objects)[0].snapshot.fingerprint;
    const base = [obj('m/1/saved_model.pb'), obj('m/1/variables/variables.data-00000-of-00001')];
    expect(fp([...base].reverse())).toBe(fp(base));
    expect(fp([base[0]])).not.toBe(fp(base));
    expect(fp([base[0], { ...base[1], size: 4 }])).not.toBe(fp(base));
    expect(fp([base[0], { ...base[1], etag: '"new"' }])).not.toBe(fp(base));
  });

  it('newestChangeMs is the latest object write', () => {
    expect(groupVersions('m/', [obj('m/1/saved_model.pb', 5), obj('m/1/x', 9)])[0].snapshot.newestChangeMs).toBe(9);
  });
});

describe('isVersionComplete', () => {
  const complete = { hasSavedModel: true, fingerprint: 'a', newestChangeMs: 10_000 };
  it.each([
    ['no saved_model.pb', { ...complete, hasSavedModel: false }, { fingerprint: 'a', sinceMs: 0, firstLook: false }, 20_000, false],
    ['first look, every object older than the settle period', complete, { fingerprint: 'a', sinceMs: 20_000, firstLook: true }, 20_000, true],
    ['first look, an object written just now', complete, { fingerprint: 'a', sinceMs: 10_500, firstLook: true }, 10_500, false],
    ['unchanged listing for the settle period', complete, { fingerprint: 'a', sinceMs: 10_500, firstLook: false }, 11_500, true],
    ['unchanged listing for less than the settle period', complete, { fingerprint: 'a', sinceMs: 10_500, firstLook: false }, 11_499, false],
  ])('%s', (_what, snapshot, seen, now, expected) => {
    expect(isVersionComplete(snapshot, seen, now, 1000)).toBe(expected);
  });
});
