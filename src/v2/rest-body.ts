import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { ServingError, invalidArgument } from '../errors/serving-error';
import { Code } from '../errors/status-code';

/** A body past --rest_api_max_request_bytes (HTTP 413). */
export class BodyTooLarge extends ServingError {
  constructor(limit: number) {
    super(Code.RESOURCE_EXHAUSTED, `Request body exceeds the limit of ${limit} bytes`);
  }
}

/**
 * Reads a request body, inflating `Content-Encoding: gzip` or `deflate` (tritonclient's
 * request_compression_algorithm), refusing more than `limit` bytes after inflation. Past the limit the
 * rest of the upload is still read and dropped, so the client gets the 413 instead of a reset.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let stream: NodeJS.ReadableStream = req;
    if (encoding === 'gzip') stream = req.pipe(zlib.createGunzip());
    else if (encoding === 'deflate') stream = req.pipe(zlib.createInflate());
    else if (encoding !== 'identity') return reject(invalidArgument(`Unsupported Content-Encoding: ${encoding}`));
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      chunks.length = 0;
      if (stream !== req) {
        req.unpipe();
        (stream as zlib.Gunzip).destroy();
      }
      // Drain what the client still sends, then answer.
      req.resume();
      if (req.readableEnded) reject(err);
      else {
        const timer = setTimeout(() => reject(err), 1000);
        req.once('end', () => {
          clearTimeout(timer);
          reject(err);
        });
      }
    };
    stream.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) fail(new BodyTooLarge(limit));
      else chunks.push(c);
    });
    stream.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    stream.on('error', (err: Error) => fail(invalidArgument(`Failed to read request body: ${err.message}`)));
    if (encoding === 'identity' && Number(req.headers['content-length'] ?? 0) > limit) fail(new BodyTooLarge(limit));
  });
}
