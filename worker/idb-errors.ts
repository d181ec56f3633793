/**
 * How IndexedDB failures become InsituError codes. Browsers name the same failure differently
 * (and sometimes only in the message), so the mapping looks at both.
 */
import { InsituError, type ErrorCode } from './errors.js';

/**
 * Safari (WebKit bug 197050 and kin) drops the connection to its storage process and then fails
 * every call with this message, as an UnknownError; only a new connection recovers.
 */
const CONNECTION_LOST = /connection to indexed database server lost/i;
/** Chrome and Safari name it QuotaExceededError; older Firefox builds reported NS_ERROR_DOM_QUOTA_REACHED. */
const QUOTA = /quota/i;

const CODE_BY_NAME: ReadonlyMap<string, ErrorCode> = new Map(Object.entries({
  QuotaExceededError: 'storage_quota',
  // transaction() on a connection the browser (or another tab's versionchange) has closed.
  InvalidStateError: 'storage_connection_lost',
  AbortError: 'storage_aborted',
  TransactionInactiveError: 'storage_aborted',
  ConstraintError: 'storage_aborted',
  TimeoutError: 'storage_timeout',
  DataCloneError: 'invalid_argument',
  DataError: 'invalid_argument',
  // A newer version of the SDK upgraded the database; this one cannot read it.
  VersionError: 'storage_unavailable',
  SecurityError: 'storage_unavailable',
} satisfies Record<string, ErrorCode>));

export function toStorageError(error: unknown, fallback: ErrorCode): InsituError {
  if (error instanceof InsituError) return error;
  const name = typeof (error as { name?: unknown })?.name === 'string' ? (error as { name: string }).name : '';
  const message = typeof (error as { message?: unknown })?.message === 'string' ? (error as { message: string }).message : String(error);
  const code: ErrorCode = CONNECTION_LOST.test(message)
    ? 'storage_connection_lost'
    : QUOTA.test(name) || QUOTA.test(message)
      ? 'storage_quota'
      : (CODE_BY_NAME.get(name) ?? fallback);
  return new InsituError(code, `IndexedDB: ${name ? `${name}: ` : ''}${message}`, name ? { name } : undefined);
}

/** Opening either works or the store is unavailable; only quota, blocking and timeouts say more. */
export function toOpenError(error: unknown): InsituError {
  const mapped = toStorageError(error, 'storage_unavailable');
  const specific: ErrorCode[] = ['storage_quota', 'storage_blocked', 'storage_timeout'];
  return specific.includes(mapped.code) ? mapped : new InsituError('storage_unavailable', mapped.message, mapped.detail);
}
