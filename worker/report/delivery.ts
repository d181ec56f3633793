/**
 * Delivery of built reports: the rules for sending the outbox (outbox.ts).
 *
 * - Consent is read again at send time: without `metrics` granted nothing is sent; a denial
 *   (withdrawal) empties the outbox.
 * - Each entry is sent with its report id as the idempotency key, so a retry that reached the
 *   collector the first time is counted once.
 * - Network errors (status 0), 408, 429 and 5xx are retried with exponential backoff and full
 *   jitter (delay uniform in [0, min(cap, base·2^attempt)]), never sooner than a Retry-After;
 *   any other 4xx is dropped (resending the same bytes cannot succeed); after
 *   MAX_DELIVERY_ATTEMPTS an entry is dropped.
 */
import type { ConsentState, OutboxEntry, RandomSource } from '../types.js';
import type { Transport } from '../engine-types.js';
import { withdraw, type Outbox } from './outbox.js';

export { createMemoryOutbox, withdraw, type Outbox } from './outbox.js';

/** Attempts per report before it is dropped: with the backoff below, about a day of trying. */
export const MAX_DELIVERY_ATTEMPTS = 8;

/** First retry delay (upper bound of the jitter window). */
export const RETRY_BASE_MS = 30_000;

/** Longest backoff window: past this, a report still waits for the next opportunity, not for days. */
export const RETRY_CAP_MS = 6 * 60 * 60 * 1000;

/** A Retry-After longer than this is treated as this: a collector cannot park a device's reports for weeks. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** A report older than this is stale (its period is long gone from any dashboard) and dropped. */
export const MAX_OUTBOX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** Reports waiting at most: a week of daily reports, with room for a few retries. */
export const MAX_OUTBOX_ENTRIES = 14;

export interface DeliveryOptions {
  /** The collector's OTLP/HTTP metrics endpoint, e.g. `https://collector.example/v1/metrics`. */
  url: string;
  /** Jitter source. */
  random: RandomSource;
  /**
   * The clock, read when an answer arrives: a Retry-After counts from the answer, not from the
   * start of the round (earlier sends in the round, or a slow answer, may have taken a while).
   */
  clock?: () => number;
}

export type DeliveryOutcome =
  | { id: string; outcome: 'sent'; status: number }
  | { id: string; outcome: 'retry'; status: number; nextAttemptAt: number }
  | { id: string; outcome: 'dropped'; status: number; reason: 'rejected' | 'attempts_exhausted' | 'expired' | 'overflow' };

export interface DeliveryResult {
  /** Why nothing was sent, when nothing was. */
  withheld?: 'consent_pending' | 'consent_denied' | 'no_url';
  outcomes: DeliveryOutcome[];
}

/** Add built reports to the outbox, dropping the oldest beyond MAX_OUTBOX_ENTRIES. */
export async function enqueue(outbox: Outbox, entries: OutboxEntry[]): Promise<DeliveryOutcome[]> {
  if (entries.length === 0) return [];
  await outbox.putOutbox(entries);
  const all = (await outbox.getOutbox()).sort((a, b) => a.createdAt - b.createdAt);
  const overflow = all.slice(0, Math.max(0, all.length - MAX_OUTBOX_ENTRIES));
  if (overflow.length > 0) await outbox.deleteOutbox(overflow.map((e) => e.id));
  return overflow.map((e) => ({ id: e.id, outcome: 'dropped', status: 0, reason: 'overflow' }));
}

export function isRetryable(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Full-jitter backoff for the given attempt number (1 = first retry), honouring Retry-After. */
export function retryDelay(attempt: number, random: RandomSource, retryAfterMs?: number): number {
  const window = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  const jitter = Math.floor(random.next() * window);
  const floor = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(floor, jitter);
}

/**
 * Send what is due. Entries go one at a time, oldest first; the round stops at the first
 * retryable failure (the network or the collector is struggling: sending more only adds load).
 */
export async function deliver(
  outbox: Outbox,
  transport: Transport,
  consent: ConsentState,
  now: number,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  if (consent.metrics === 'denied') {
    await withdraw(outbox);
    return { withheld: 'consent_denied', outcomes: [] };
  }
  if (consent.metrics !== 'granted') return { withheld: 'consent_pending', outcomes: [] };
  if (!options.url) return { withheld: 'no_url', outcomes: [] };

  const outcomes: DeliveryOutcome[] = [];
  const entries = (await outbox.getOutbox()).sort((a, b) => a.createdAt - b.createdAt);
  const expired = entries.filter((e) => now - e.createdAt > MAX_OUTBOX_AGE_MS);
  if (expired.length > 0) {
    await outbox.deleteOutbox(expired.map((e) => e.id));
    for (const e of expired) outcomes.push({ id: e.id, outcome: 'dropped', status: 0, reason: 'expired' });
  }

  for (const entry of entries) {
    if (expired.includes(entry) || entry.nextAttemptAt > now) continue;
    const { status, retryAfterMs } = await sendOnce(transport, options.url, entry);
    if (status >= 200 && status < 300) {
      await outbox.deleteOutbox([entry.id]);
      outcomes.push({ id: entry.id, outcome: 'sent', status });
      continue;
    }
    const attempts = entry.attempts + 1;
    if (!isRetryable(status)) {
      await outbox.deleteOutbox([entry.id]);
      outcomes.push({ id: entry.id, outcome: 'dropped', status, reason: 'rejected' });
      continue;
    }
    if (attempts >= MAX_DELIVERY_ATTEMPTS) {
      await outbox.deleteOutbox([entry.id]);
      outcomes.push({ id: entry.id, outcome: 'dropped', status, reason: 'attempts_exhausted' });
      continue;
    }
    const answeredAt = Math.max(now, options.clock?.() ?? now);
    const nextAttemptAt = answeredAt + retryDelay(attempts, options.random, retryAfterMs);
    await outbox.putOutbox([{ ...entry, attempts, nextAttemptAt }]);
    outcomes.push({ id: entry.id, outcome: 'retry', status, nextAttemptAt });
    break;
  }
  return { outcomes };
}

async function sendOnce(transport: Transport, url: string, entry: OutboxEntry): Promise<{ status: number; retryAfterMs?: number }> {
  try {
    const body = typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body);
    const result = await transport.send(url, body, { keepalive: true, idempotencyKey: entry.id });
    return typeof result?.status === 'number' ? result : { status: 0 };
  } catch {
    // A transport that throws is a network failure, whatever it threw.
    return { status: 0 };
  }
}
