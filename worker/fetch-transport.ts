/**
 * The Transport over `fetch`: how a worker (or any runtime with fetch) sends a report home.
 * `keepalive: true` lets a report posted during `pagehide` outlive the page (browsers cap
 * keepalive bodies at 64 KB, which is also the collector's limit). Any network failure, CORS
 * refusal or abort becomes status 0, which delivery retries; Retry-After is read as seconds or as
 * an HTTP date.
 */
import type { Transport } from './engine-types.js';

export interface FetchTransportOptions {
  /** Defaults to the global fetch; tests and React Native may pass their own. */
  fetch?: typeof fetch;
  /** Clock for Retry-After dates. */
  now?: () => number;
}

export function createFetchTransport(options: FetchTransportOptions = {}): Transport {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? (() => Date.now());
  return {
    async send(url, body, { keepalive, idempotencyKey }) {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          body,
          keepalive,
          // No cookies or auth travel with a report: it must not be linkable to a session.
          credentials: 'omit',
          headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
        });
      } catch {
        return { status: 0 };
      }
      // The body is never needed; cancel it so the connection can be reused.
      response.body?.cancel().catch(() => undefined);
      const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), now());
      return retryAfterMs === undefined ? { status: response.status } : { status: response.status, retryAfterMs };
    },
  };
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
