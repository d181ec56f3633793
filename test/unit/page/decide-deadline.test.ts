import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import { checkDecideRequest, fallbackDecision, withinDeadline } from '../../../src/decide-deadline.js';

describe('decide() arguments and deadline', () => {
  it('rejects bad arguments with a code, and defaults the fallback to the first candidate', () => {
    expect((checkDecideRequest('', { candidates: ['a'] }, 100) as InsituError).code).toBe('invalid_argument');
    expect((checkDecideRequest('hero', { candidates: [] }, 100) as InsituError).code).toBe('no_candidates');
    expect((checkDecideRequest('hero', { candidates: ['a', 7 as unknown as string] }, 100) as InsituError).code).toBe('invalid_argument');
    expect((checkDecideRequest('hero', { candidates: ['a'], context: { hour: Number.NaN } }, 100) as InsituError).code).toBe('non_finite_number');
    const hostile = JSON.parse('{"__proto__": 1}') as Record<string, number>;
    expect((checkDecideRequest('hero', { candidates: ['a'], context: hostile }, 100) as InsituError).code).toBe('forbidden_key');
    expect(checkDecideRequest('hero', { candidates: ['a', 'b'] }, 100)).toEqual({ placement: 'hero', candidates: ['a', 'b'], fallback: 'a', timeoutMs: 100 });
  });

  it('a fallback decision is its own policy with propensity 1', () => {
    const request = checkDecideRequest('hero', { candidates: ['a', 'b'], fallback: 'b' }, 100);
    if (request instanceof InsituError) throw request;
    expect(fallbackDecision(request, 'd1', 'late')).toMatchObject({ itemId: 'b', policy: 'fallback', propensity: 1, exploring: false, reasons: ['late'] });
  });

  it('resolves undefined at the deadline when the engine never answers, and the answer when it is in time', async () => {
    const started = Date.now();
    expect(await withinDeadline(() => new Promise(() => undefined), 30)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await withinDeadline(async () => 'decided', 1_000)).toBe('decided');
    expect(await withinDeadline(() => Promise.reject(new Error('dead')), 1_000)).toBeUndefined();
  });

  it('hands an answer that arrives after the deadline to `late`, and tells the call the deadline passed', async () => {
    const late: string[] = [];
    let answer: (value: string) => void = () => undefined;
    let expiredBefore = true;
    let expiredAfter = false;
    let check: () => boolean = () => false;
    const result = withinDeadline(
      (expired) => {
        check = expired;
        expiredBefore = expired();
        return new Promise<string>((resolve) => (answer = resolve));
      },
      20,
      (value) => late.push(value),
    );
    expect(await result).toBeUndefined();
    expiredAfter = check();
    answer('decided-too-late');
    await new Promise((r) => setTimeout(r, 0));
    expect({ expiredBefore, expiredAfter, late }).toEqual({ expiredBefore: false, expiredAfter: true, late: ['decided-too-late'] });
    // In time: nothing is late.
    const inTime: string[] = [];
    expect(await withinDeadline(async () => 'ok', 1_000, (v) => inTime.push(v))).toBe('ok');
    expect(inTime).toEqual([]);
  });
});
