/**
 * InsituError: the one error type the SDK surfaces. `code` is stable and documented in the
 * README; `message` is for people. Errors cross the worker boundary as plain values
 * (`toErrorValue` / `fromErrorValue`) and are rebuilt on the other side.
 */

export const ERROR_CODES = [
  // validation of page input
  'invalid_event_type',
  'invalid_props',
  'too_many_keys',
  'string_too_long',
  'too_deep',
  'function_value',
  'cyclic_value',
  'forbidden_key',
  'non_finite_number',
  'invalid_argument',
  'duplicate_event',
  // consent
  'consent_pending',
  'consent_denied',
  // storage
  'storage_unavailable',
  'storage_timeout',
  'storage_quota',
  'storage_aborted',
  'storage_connection_lost',
  'storage_blocked',
  // worker and decisions
  'worker_unavailable',
  'deadline_exceeded',
  'unknown_item',
  'no_candidates',
  'unknown_decision',
  'invalid_catalog',
  'invalid_priors',
  'invalid_rules',
  // reports
  'budget_exhausted',
  'network_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class InsituError extends Error {
  override readonly name = 'InsituError';
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}

export interface ErrorValue {
  insituError: true;
  code: ErrorCode;
  message: string;
  detail?: Record<string, unknown>;
}

export function toErrorValue(error: unknown): ErrorValue {
  if (error instanceof InsituError) {
    return { insituError: true, code: error.code, message: error.message, ...(error.detail ? { detail: error.detail } : {}) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { insituError: true, code: 'worker_unavailable', message };
}

export function fromErrorValue(value: ErrorValue): InsituError {
  return new InsituError(value.code, value.message, value.detail);
}

export function isErrorValue(value: unknown): value is ErrorValue {
  return typeof value === 'object' && value !== null && (value as ErrorValue).insituError === true;
}
