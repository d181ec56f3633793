/**
 * JSON values kept in IndexedDB as Blobs, compressed where the platform can. Chromium writes a
 * Blob to a file of its own beside LevelDB and deletes the file with the record, so bulky values
 * never pass through LevelDB's write-ahead log; a plain value does, once per write, and stays in
 * the log and in level-0 tables (with every overwritten and deleted copy) until LevelDB compacts,
 * which a page cannot ask for. `navigator.storage.estimate()` charges the origin for all of it:
 * 100k events written as records read 3.5–7 MB for 0.8 MB of data (see README, "Storage").
 */
import { InsituError } from './errors.js';

/** `deflate` (zlib) is in every CompressionStream (Chrome 80, Safari 16.4, Firefox 113); older engines store plain JSON. */
export type BodyEncoding = 'deflate' | 'json';

export interface EncodedBody {
  encoding: BodyEncoding;
  body: Blob;
}

/** The JSON text of `value`, or an `invalid_argument` error for what JSON cannot hold (cycles, getters that throw, BigInt). */
export function toJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InsituError('invalid_argument', `cannot store a value that is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === undefined) throw new InsituError('invalid_argument', 'cannot store a value that is not JSON');
  return text;
}

/** JSON text as a Blob, as it is: synchronous, so it fits where nothing may be awaited (an upgrade transaction, a quick state write). */
export function plainJsonBody(text: string): EncodedBody {
  return { encoding: 'json', body: new Blob([text]) };
}

/** JSON text as a deflate-compressed Blob (about a tenth of the size for event chunks), or plain where the platform cannot compress. */
export async function compressedJsonBody(text: string): Promise<EncodedBody> {
  const plain = plainJsonBody(text);
  if (typeof CompressionStream !== 'function') return plain;
  const compressed = await new Response(plain.body.stream().pipeThrough(new CompressionStream('deflate'))).blob();
  return { encoding: 'deflate', body: compressed };
}

export function isEncodedBody(value: unknown): value is EncodedBody {
  const v = value as Partial<EncodedBody> | null;
  return typeof v === 'object' && v !== null && (v.encoding === 'deflate' || v.encoding === 'json') && typeof Blob === 'function' && v.body instanceof Blob;
}

/** Read back what plainJsonBody or compressedJsonBody wrote; a body that cannot be read or parsed is a storage failure, not data. */
export async function decodeJson(encoded: EncodedBody): Promise<unknown> {
  try {
    const text =
      encoded.encoding === 'json'
        ? await encoded.body.text()
        : await new Response(encoded.body.stream().pipeThrough(new DecompressionStream('deflate'))).text();
    return JSON.parse(text);
  } catch (error) {
    throw new InsituError('storage_unavailable', `IndexedDB: a stored value could not be read back: ${error instanceof Error ? error.message : String(error)}`);
  }
}
