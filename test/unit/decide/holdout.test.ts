import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString } from '../../../worker/decide/hash.js';
import { isInHoldout } from '../../../worker/decide/index.js';
import { holdoutBucket, HOLDOUT_SALT } from '../../../worker/decide/holdout.js';
import { InsituError } from '../../../worker/errors.js';
import { harness, twoThemeCatalog } from './helpers.js';

interface HoldoutCase {
  deviceId: string;
  hash: number;
  bucket: number;
  inHoldout: Record<string, boolean>;
}
const fixture = JSON.parse(readFileSync(resolve(import.meta.dirname, 'fixtures/holdout-cases.json'), 'utf8')) as { salt: string; cases: HoldoutCase[] };

/** An independent implementation of the documented hash (BigInt arithmetic, Node's UTF-8 encoder). */
function referenceHash(text: string): number {
  const mask = 0xffffffffn;
  let h = 0x811c9dc5n;
  for (const byte of Buffer.from(text, 'utf8')) h = ((h ^ BigInt(byte)) * 0x01000193n) & mask;
  h ^= h >> 16n;
  h = (h * 0x85ebca6bn) & mask;
  h ^= h >> 13n;
  h = (h * 0xc2b2ae35n) & mask;
  h ^= h >> 16n;
  return Number(h);
}

describe('holdout assignment', () => {
  it('matches the shared fixture file, and the fixture matches an independent computation of the documented hash', () => {
    expect(fixture.salt).toBe(HOLDOUT_SALT);
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
    for (const c of fixture.cases) {
      expect(referenceHash(fixture.salt + c.deviceId)).toBe(c.hash);
      expect(c.bucket).toBe(c.hash / 2 ** 32);
      expect(holdoutBucket(c.deviceId)).toBe(c.bucket);
      for (const [fraction, expected] of Object.entries(c.inHoldout)) expect(isInHoldout(c.deviceId, Number(fraction))).toBe(expected);
    }
  });

  it('hashString equals the documented hash for any string: ASCII, 2-, 3- and 4-byte characters, lone surrogates', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()), (text) => hashString(text) === referenceHash(text)),
      { numRuns: 2_000 },
    );
    for (const text of ['', 'a', 'é', '€', '😀', '\ud800', '\udc00x', 'x\ud83d']) expect(hashString(text)).toBe(referenceHash(text));
  });

  it('is stable per device: the same id gets the same arm on every call', () => {
    for (let d = 0; d < 200; d++) {
      const id = `device-${d}`;
      const first = isInHoldout(id, 0.2);
      for (let again = 0; again < 3; again++) expect(isInHoldout(id, 0.2)).toBe(first);
    }
  });

  it('puts about the requested fraction of devices in the holdout, and growing the fraction only adds devices', () => {
    const ids = Array.from({ length: 20_000 }, (_, d) => `d-${d.toString(36)}-${(d * 7919).toString(36)}`);
    for (const fraction of [0.01, 0.05, 0.2, 0.5]) {
      const share = ids.filter((id) => isInHoldout(id, fraction)).length / ids.length;
      // Binomial standard error at n = 20k is at most 0.0035; allow about four of them.
      expect(Math.abs(share - fraction)).toBeLessThan(0.015);
    }
    for (const id of ids.slice(0, 2_000)) if (isInHoldout(id, 0.05)) expect(isInHoldout(id, 0.1)).toBe(true);
    expect(ids.some((id) => isInHoldout(id, 0))).toBe(false);
    expect(ids.every((id) => isInHoldout(id, 1))).toBe(true);
  });

  it('rejects a fraction outside [0, 1]', () => {
    expect(() => isInHoldout('d', 1.5)).toThrow(InsituError);
    expect(() => isInHoldout('d', Number.NaN)).toThrow(InsituError);
  });

  it('holdout devices get the popularity default with an exact propensity, and learning does not change it', () => {
    const catalog = twoThemeCatalog();
    const priors = { version: 1 as const, popularity: { a0: 5, b0: 9, b1: 9, n0: 1 }, neighbours: {} };
    const h = harness({ catalog, priors, inHoldout: true });
    h.personalizer.observe(h.events('click', ['a1', 'a2', 'a3', 'a4']));
    const record = h.personalizer.decide({ placement: 'home', candidates: ['a0', 'a1', 'b0', 'b1', 'n0'] });
    expect(record.policy).toBe('holdout');
    expect(record.exploring).toBe(false);
    // b0 and b1 tie as most popular: each has probability 1/2, the rest none.
    expect(record.probabilities).toEqual([0, 0, 0.5, 0.5, 0]);
    expect(['b0', 'b1']).toContain(record.itemId);
    expect(record.propensity).toBe(0.5);
    expect(record.reasons.join(' ')).toMatch(/comparison group/);
    const ranked = h.personalizer.rank({ placement: 'home', candidates: ['a1', 'a0', 'n0', 'b0'] }).map((r) => r.itemId);
    expect(ranked).toEqual(['b0', 'a0', 'n0', 'a1']);
  });
});
