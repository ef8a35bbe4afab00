/**
 * The README's flag table (src/config/flag-table.ts) is generated from FLAGS: the README must hold
 * exactly what `node scripts/flag-table.js --write` would write, so a flag changed without
 * regenerating fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FLAGS, flagStatus } from '../../../src/config/flags';
import { FLAG_TABLE_BEGIN, FLAG_TABLE_END, flagTableMarkdown, readmeFlagTable, withFlagTable } from '../../../src/config/flag-table';

const README = path.resolve(__dirname, '../../../README.md');

describe('the README flag table', () => {
  const readme = fs.readFileSync(README, 'utf8');

  it('is in the README once, between its two markers', () => {
    expect(readme.split(FLAG_TABLE_BEGIN)).toHaveLength(2);
    expect(readme.split(FLAG_TABLE_END)).toHaveLength(2);
  });

  it('equals the table generated from FLAGS (run `npx tsc -p tsconfig.json && node scripts/flag-table.js --write` if not)', () => {
    expect(readmeFlagTable(readme)).toBe(flagTableMarkdown());
    expect(withFlagTable(readme)).toBe(readme);
  });

  it("has one row per flag: TF Serving's 48 in the first table, ours in the second", () => {
    const table = flagTableMarkdown();
    const [theirs, ours] = table.split('Flags of ours');
    const rows = (t: string) => [...t.matchAll(/^\| `--(\w+)` \|/gm)].map((m) => m[1]);
    expect(rows(theirs)).toEqual(FLAGS.filter((f) => f.tfServing).map((f) => f.name));
    expect(rows(theirs)).toHaveLength(48);
    expect(rows(ours)).toEqual(FLAGS.filter((f) => !f.tfServing).map((f) => f.name));
  });

  it('counts: 41 of the 48 act, 6 are ignored, --use_alts_credentials is refused', () => {
    const theirs = FLAGS.filter((f) => f.tfServing);
    const by = (s: string) => theirs.filter((f) => flagStatus(f) === s).map((f) => f.name);
    expect(by('acts')).toHaveLength(41);
    expect(by('ignored').sort()).toEqual([
      'flush_filesystem_caches',
      'grpc_max_threads',
      'num_unload_threads',
      'rest_api_num_threads',
      'skip_initialize_tpu',
      'thread_pool_factory_config_file',
    ]);
    expect(by('refused')).toEqual(['use_alts_credentials']);
    expect(flagTableMarkdown().split('\n')[0]).toBe(
      "TF Serving's 48 flags: 41 act (except `--remove_unused_fields_from_bundle_metagraph=false`, ignored), 6 are accepted and ignored with a warning saying why, and 1 is refused (`--use_alts_credentials=true` stops the server).",
    );
  });

  it('a row shows the status and the note; machine-dependent defaults are shown in words', () => {
    const table = flagTableMarkdown();
    expect(table).toContain('| `--use_alts_credentials` | `false` | refused when `true` | no ALTS here');
    expect(table).toContain('| `--grpc_max_threads` | 4 × CPUs | accepted, ignored (warning) | gRPC and REST are both served by the front-end threads');
    expect(table).toContain('| `--mixed_precision` | `""` | acts | bfloat16 turns on');
    expect(table).toContain('| `--xla_gpu_compilation_enabled` | `false` | acts |');
    // The same on every machine: no default computed from this one's cores.
    expect(table).toContain('| `--rest_api_num_threads` | 4 × CPUs |');
    expect(table).toContain('| `--num_tflite_pools` | CPUs | acts |');
  });

  it('withFlagTable refuses a README without the markers', () => {
    expect(() => withFlagTable('# no table here\n')).toThrow('lacks the markers');
  });
});
