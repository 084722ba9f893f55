// Reading a request body from uWS: bounded in size (413, not an
// out-of-memory crash) and parsed as one JSON object.
import { spikeError } from '../errors/errors';
import { checkKnownFields } from './known-fields';
import type { Exchange } from './respond';

/** Collects the body; rejects with 413 as soon as it passes maxBytes. */
export function readBody(exchange: Exchange, maxBytes: number, contentLength: string): Promise<Buffer> {
  if (contentLength !== '' && Number(contentLength) > maxBytes) {
    return Promise.reject(tooLarge(maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    exchange.res.onData((chunk, isLast) => {
      if (failed) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        failed = true;
        reject(tooLarge(maxBytes));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(Buffer.from(chunk)));
      if (isLast) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  });
}

/**
 * The body as one JSON object. `example` is what the route takes, shown when
 * the body is empty; `known` (when given) are the only fields it may have.
 */
export function parseJsonObject(body: Buffer, example = '{"userId":"alice"}', known?: readonly string[]): Record<string, unknown> {
  if (body.length === 0 || body.toString('utf8').trim() === '') throw spikeError('BODY_MISSING', { example });
  const object = parseObject(body);
  if (known) checkKnownFields(object, known);
  return object;
}

function parseObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw spikeError('INVALID_JSON', { reason: `the body is not valid JSON: ${(error as Error).message}` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw spikeError('INVALID_JSON', { reason: 'the body must be a JSON object, e.g. {"userId":"alice"}' });
  }
  return value as Record<string, unknown>;
}

function tooLarge(maxBytes: number) {
  return spikeError('BODY_TOO_LARGE', { maxBytes });
}
