import { notFound, toServingError, unimplemented } from '../errors/serving-error';
import { Code } from '../errors/status-code';
import { objectStoreClient } from './object-store-client';
import { parseObjectStoreUri } from './object-store-uri';

/** Reads one object as UTF-8 text (a --model_config_file at gs://… or s3://…). */
export async function readObjectStoreText(uri: string): Promise<string> {
  const parsed = parseObjectStoreUri(uri);
  if (!parsed) throw unimplemented(`File system scheme '${uri.split(':')[0]}' not implemented (file: '${uri}')`);
  if (parsed.prefix === '') throw notFound(`${uri}; No such file or directory`);
  const client = await objectStoreClient(parsed.scheme);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await client.read(parsed.bucket, parsed.prefix)) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    const e = toServingError(err);
    // The same wording as a missing local file.
    if (e.code === Code.NOT_FOUND) throw notFound(`${uri}; No such file or directory`);
    throw e;
  }
}
