import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSignatures } from '../../../src/loaders/saved-model/saved-model-reader';
import { Code } from '../../../src/errors/status-code';
import { VersionState } from '../../../src/lifecycle/servable-state';
import { writeModelMetadataJson, writeModelStatusJson } from '../../../src/rest-json/status-metadata-json';
import { SHARED_TESTDATA } from '../../helpers/paths';
import { describeWithSharedTestdata } from '../../helpers/shared-testdata';

describe('writeModelStatusJson', () => {
  it('prints like protobuf MessageToJsonString(add_whitespace, always_print_fields_with_no_presence)', () => {
    expect(writeModelStatusJson([{ version: 123, state: VersionState.AVAILABLE }])).toBe(
      '{\n' +
        ' "model_version_status": [\n' +
        '  {\n' +
        '   "version": "123",\n' +
        '   "state": "AVAILABLE",\n' +
        '   "status": {\n' +
        '    "error_code": "OK",\n' +
        '    "error_message": ""\n' +
        '   }\n' +
        '  }\n' +
        ' ]\n' +
        '}\n',
    );
  });

  it('prints failed versions with their code name and an escaped message', () => {
    const json = writeModelStatusJson([
      { version: 2, state: VersionState.END, error: { code: Code.NOT_FOUND, message: 'no <file> "x"\n' } },
      { version: 1, state: VersionState.LOADING },
    ]);
    expect(json).toContain('"version": "2",\n   "state": "END",\n   "status": {\n    "error_code": "NOT_FOUND",\n');
    expect(json).toContain('"error_message": "no \\u003cfile\\u003e \\"x\\"\\n"');
    expect(JSON.parse(json).model_version_status[1]).toEqual({
      version: '1',
      state: 'LOADING',
      status: { error_code: 'OK', error_message: '' },
    });
  });
});

/**
 * JSON with object keys sorted, to compare documents modulo key order (map order is unspecified).
 * `withoutDefaults` drops SignatureDef.defaults: the TF2 golden file was made from an export without
 * the default value our copy of the model has (and its init-op entry lacks the field altogether).
 */
const canonical = (text: string, withoutDefaults = false): string =>
  JSON.stringify(JSON.parse(text), (k, v: unknown) => {
    if (withoutDefaults && k === 'defaults') return undefined;
    return v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v;
  });

describeWithSharedTestdata('writeModelMetadataJson against TF Serving golden files', () => {
  const cases: Array<[string, string, string, boolean]> = [
    ['half_plus_two_model_metadata.json', 'saved_model_half_plus_two_cpu/00000123', 'default', false],
    ['saved_model_half_plus_two_2_versions_metadata.json', 'saved_model_half_plus_two_2_versions/00000123', 'saved_model_half_plus_two_2_versions', false],
    ['saved_model_half_plus_two_tf2_2_versions_metadata.json', 'saved_model_half_plus_two_tf2_cpu/00000123', 'saved_model_half_plus_two_2_versions', true],
  ];
  it.each(cases)('%s', async (golden, modelDir, name, withoutDefaults) => {
    const { rawSignatureDefEntries } = await readSignatures(path.join(SHARED_TESTDATA, modelDir), ['serve']);
    const json = writeModelMetadataJson({ name, version: 123, signatureDefEntries: rawSignatureDefEntries });
    expect(canonical(json, withoutDefaults)).toBe(canonical(fs.readFileSync(path.join(SHARED_TESTDATA, golden), 'utf8'), withoutDefaults));
  });

  it('glues the two printed messages together exactly as http_rest_api_util.cc does', async () => {
    const { rawSignatureDefEntries } = await readSignatures(path.join(SHARED_TESTDATA, 'saved_model_half_plus_two_cpu/00000123'), ['serve']);
    const json = writeModelMetadataJson({ name: 'default', version: 123, signatureDefEntries: rawSignatureDefEntries });
    expect(json.startsWith('{\n"model_spec":{\n "name": "default",\n "version": "123",\n "signature_name": ""\n}\n,\n"metadata": {"signature_def": {\n "signature_def": {\n')).toBe(true);
    expect(json.endsWith('\n  }\n }\n}\n}\n}\n')).toBe(true);
    expect(json).toContain('"defaults": {}');
    expect(json).toContain('"tensor_shape": {\n      "dim": [],\n      "unknown_rank": true\n     }');
  });
});
