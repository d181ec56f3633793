/**
 * Retention: keeps the stored log bounded by count and age. Events are compacted into the
 * `profile` snapshot (worker/compacted-events.ts) before they are deleted, so the profile keeps
 * what it needs of them; decisions are simply dropped past their bounds (their value to
 * evaluation is in the reports already sent and in the recent log).
 *
 * Order of writes: snapshot first, then delete. If the page dies between the two, the next pass
 * counts that chunk again (a small over-count), never loses it. Two tabs never compact at once:
 * the pass runs under the Web Lock RETENTION_LOCK, and a tab that finds it taken skips its pass.
 */
import { compactEvents, emptyCompactedEvents, readCompactedEvents } from './compacted-events.js';
import { runIfLockAvailable } from './web-locks.js';
import type { InsituEvent, ProfileStore } from './types.js';

/**
 * Raw events kept. Months of browsing for a typical visitor, and enough history for the affinity
 * model; ~150 bytes each as JSON (0.75 MB in an export), ~10 bytes each as stored compressed
 * chunks, inside the 2 MB storage budget with room for the model, snapshot and decision log. Equal
 * to MAX_UNSAVED_EVENTS in consent-gate.ts: memory never holds more than storage would keep.
 */
export const MAX_STORED_EVENTS = 5_000;

/** Raw events older than this are kept only as counts: recency weighting gives them almost no weight, and data minimisation says not to keep what is not used. */
export const MAX_EVENT_AGE_MS = 90 * 24 * 60 * 60 * 1000;

/** Decisions kept for explain(), delayed rewards and off-policy evaluation; ~0.5 KB each with ten candidates. */
export const MAX_STORED_DECISIONS = 1_000;

/** Decisions older than this cannot receive a reward any more and have been reported. */
export const MAX_DECISION_AGE_MS = MAX_EVENT_AGE_MS;

/** Events compacted and deleted per step: decoding, counting and rewriting two chunks' worth keeps each step to a few ms, so the worker stays responsive. */
export const RETENTION_CHUNK = 1_000;

/** Oldest events read to look for aged ones once the count is within bounds: a day of heavy browsing, so one small read usually settles it. */
export const AGE_PROBE = 100;

export const RETENTION_LOCK = 'insitu-retention';

export async function applyRetention(store: ProfileStore, now: number): Promise<void> {
  await runIfLockAvailable(RETENTION_LOCK, async () => {
    await trimEvents(store, now);
    await trimDecisions(store, now);
  });
}

async function trimEvents(store: ProfileStore, now: number): Promise<void> {
  const cutoff = now - MAX_EVENT_AGE_MS;
  let stored = await store.countEvents();
  let snapshot = readCompactedEvents(await store.getState('profile'));
  // Start the read where the last pass stopped: reading from the start of the index makes
  // IndexedDB (LevelDB) step over every deleted record's tombstone, and ingest slowed 7× as the
  // log filled. Stragglers older than that point are found by the full read below.
  let since: number | undefined = snapshot?.lastTs ?? undefined;
  for (;;) {
    // Read what the count bound will drop anyway, or a small probe for aged events.
    const limit = Math.min(RETENTION_CHUNK, Math.max(AGE_PROBE, stored - MAX_STORED_EVENTS));
    const oldest = await store.getEvents({ limit, ...(since !== undefined ? { sinceTs: since } : {}) });
    const drop: InsituEvent[] = [];
    for (const event of oldest) {
      if (stored - drop.length > MAX_STORED_EVENTS || event.ts < cutoff) drop.push(event);
      else break;
    }
    if (drop.length === 0) {
      if (since !== undefined && stored > MAX_STORED_EVENTS) {
        since = undefined;
        continue;
      }
      return;
    }
    snapshot = compactEvents(snapshot ?? emptyCompactedEvents(), drop);
    await store.putState('profile', snapshot);
    await store.deleteEvents(drop.map((event) => event.id));
    stored -= drop.length;
    if (since !== undefined) since = drop[drop.length - 1]!.ts;
    if (drop.length < oldest.length || oldest.length < limit) {
      if (since !== undefined && stored > MAX_STORED_EVENTS) {
        since = undefined;
        continue;
      }
      return;
    }
  }
}

/**
 * Reads only the oldest decisions: those the count bound drops, or a probe for aged ones (a
 * decision carries its whole slate, and reading the full log each pass cost the worker tens of ms).
 */
async function trimDecisions(store: ProfileStore, now: number): Promise<void> {
  const cutoff = now - MAX_DECISION_AGE_MS;
  let over = Math.max(0, (await store.countDecisions()) - MAX_STORED_DECISIONS);
  for (;;) {
    const limit = Math.min(RETENTION_CHUNK, Math.max(AGE_PROBE, over));
    const oldest = await store.getDecisions({ limit });
    const drop = oldest.filter((record, index) => index < over || record.ts < cutoff);
    if (drop.length > 0) await store.deleteDecisions(drop.map((record) => record.decisionId));
    over = Math.max(0, over - drop.length);
    // Oldest first: past the count bound, only a full read of aged records can hide more.
    if (drop.length < limit || oldest.length < limit) return;
  }
}
