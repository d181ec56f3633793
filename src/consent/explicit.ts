/**
 * Explicit consent: what a page passes to `consent.set()` or as `consent.initial`, checked before
 * anything acts on it. Only the known purposes with the three known values are accepted, read
 * once each from own keys, so a hostile object cannot change its answer between check and use.
 */
import { InsituError } from '../../worker/errors.js';
import { PURPOSES, type ConsentState, type ConsentValue, type Purpose } from '../../worker/types.js';

export const CONSENT_VALUES: readonly ConsentValue[] = ['granted', 'denied', 'pending'];

/** A copy of `update` with only known purposes and values, or why it is not one. */
export function parseConsentUpdate(update: unknown): Partial<ConsentState> | InsituError {
  try {
    if (typeof update !== 'object' || update === null || Array.isArray(update)) {
      return new InsituError('invalid_argument', 'consent update must be an object like { personalization: "granted" }');
    }
    const parsed: Partial<ConsentState> = {};
    for (const key of Object.keys(update)) {
      if (!isPurpose(key)) {
        return new InsituError('invalid_argument', `unknown consent purpose "${key.slice(0, 40)}"; expected one of ${PURPOSES.join(', ')}`, {
          purpose: key.slice(0, 40),
        });
      }
      const value: unknown = (update as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (!isConsentValue(value)) {
        return new InsituError('invalid_argument', `consent for ${key} must be one of ${CONSENT_VALUES.join(', ')}`, { purpose: key });
      }
      parsed[key] = value;
    }
    return parsed;
  } catch {
    return new InsituError('invalid_argument', 'consent update could not be read (a getter or proxy threw)');
  }
}

export function isPurpose(key: string): key is Purpose {
  return (PURPOSES as readonly string[]).includes(key);
}

export function isConsentValue(value: unknown): value is ConsentValue {
  return typeof value === 'string' && (CONSENT_VALUES as readonly string[]).includes(value);
}
