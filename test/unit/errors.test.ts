import { describe, expect, it } from 'vitest';
import { InsituError, fromErrorValue, toErrorValue } from '../../worker/errors.js';

describe('InsituError across the worker boundary', () => {
  it('survives a structured clone as a value and is rebuilt with its code', () => {
    const original = new InsituError('too_deep', 'props nest deeper than 3', { depth: 4 });
    const rebuilt = fromErrorValue(structuredClone(toErrorValue(original)));
    expect(rebuilt).toBeInstanceOf(InsituError);
    expect(rebuilt.code).toBe('too_deep');
    expect(rebuilt.detail).toEqual({ depth: 4 });
  });

  it('turns a foreign error into a worker_unavailable value', () => {
    expect(toErrorValue(new TypeError('boom'))).toMatchObject({ code: 'worker_unavailable', message: 'boom' });
  });
});
