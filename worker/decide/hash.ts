/**
 * The one string hash the decision maker uses (text-token buckets, item-id buckets, holdout
 * assignment, state checksums): 32-bit FNV-1a over the UTF-8 bytes of the string, followed by
 * murmur3's 32-bit finalizer. FNV-1a alone is portable but mixes its last bytes poorly (ids that
 * differ only in their last character land in nearby values); the finalizer spreads every bit.
 * UTF-8 rather than UTF-16 code units so a port in any language gets the same numbers
 * (test/unit/decide/fixtures/holdout-cases.json pins them).
 */
import { mix32 as fmix32 } from '../mix32.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a (32-bit) over the UTF-8 encoding of `text`. Written out byte by byte without a helper
 * closure: it hashes every text token of a catalog and the whole stored state once a second, and
 * the closure made it several times slower.
 */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, FNV_PRIME);
      continue;
    }
    // A surrogate pair is one code point; a lone surrogate is encoded as U+FFFD, as TextEncoder does.
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        code = 0xfffd;
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      code = 0xfffd;
    }
    if (code < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (code >> 6)), FNV_PRIME);
    } else if (code < 0x10000) {
      hash = Math.imul(hash ^ (0xe0 | (code >> 12)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
    } else {
      hash = Math.imul(hash ^ (0xf0 | (code >> 18)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | ((code >> 12) & 0x3f)), FNV_PRIME);
      hash = Math.imul(hash ^ (0x80 | ((code >> 6) & 0x3f)), FNV_PRIME);
    }
    hash = Math.imul(hash ^ (0x80 | (code & 0x3f)), FNV_PRIME);
  }
  return hash >>> 0;
}

/** murmur3's 32-bit finalizer (worker/mix32.ts). */
export { mix32 as fmix32 } from '../mix32.js';

/** The decision maker's string hash: fmix32(fnv1a32(utf8(text))), an unsigned 32-bit integer. */
export function hashString(text: string): number {
  return fmix32(fnv1a32(text));
}

/** The hash as a uniform number in [0, 1). */
export function hashUnit(text: string): number {
  return hashString(text) / 4294967296;
}
