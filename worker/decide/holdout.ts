/**
 * The holdout arm: a stable share of devices gets the non-personalized default, so the lift of
 * personalization can be measured against them.
 *
 * Assignment: bucket = hashString("insitu-holdout/v1:" + deviceId) / 2^32 (hash.ts: FNV-1a 32 over
 * UTF-8, then the murmur3 finalizer); the device is in the holdout when bucket < fraction. The same
 * id is in the same arm on every visit and in every port, and raising the fraction only adds
 * devices (nobody leaves the holdout because it grew). The salt keeps this bucketing independent
 * of any other hash of the same id.
 */
import { InsituError } from '../errors.js';
import { hashUnit } from './hash.js';

export const HOLDOUT_SALT = 'insitu-holdout/v1:';

/** The device's bucket in [0, 1); exported for the shared fixture file. */
export function holdoutBucket(deviceId: string): number {
  return hashUnit(HOLDOUT_SALT + deviceId);
}

export function isInHoldout(deviceId: string, fraction: number): boolean {
  if (typeof deviceId !== 'string') throw new InsituError('invalid_argument', 'deviceId must be a string');
  if (!(fraction >= 0 && fraction <= 1)) throw new InsituError('invalid_argument', 'holdout fraction must be in [0, 1]');
  return holdoutBucket(deviceId) < fraction;
}
