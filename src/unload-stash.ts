/**
 * Events the page cannot be sure reached storage when it goes away. A dedicated worker dies with
 * its page, so on a reload or a navigation the events still queued here, and those sent in the
 * last moments (the engine writes them after a short delay), would be lost. On `pagehide` (and
 * when the page is hidden, the last moment mobile browsers reliably give) they are written
 * synchronously to localStorage, and the next page of the site hands them to its engine.
 *
 * - Only with `personalization` granted: the stash holds what IndexedDB would hold, nothing else.
 *   A denial or forget() removes it.
 * - The store is idempotent by event id, so an event that did reach storage is not doubled.
 * - Only events sent within UNCONFIRMED_WINDOW_MS are kept with the queue: older ones were
 *   written (and learned) by the engine already, and handing them over again would teach the
 *   model twice. A flush the engine confirms (everything written) drops what was sent before it
 *   at once, for the same reason.
 * - One key per page (tabs closing together do not overwrite each other); a page that comes back
 *   into view flushes and removes its key, so a stash never outlives the page that needed it.
 * - Taken by the next page when it starts, or, when the old page's pagehide runs only after that
 *   (Chromium may commit the new page first), from the storage event its write fires there. An
 *   open tab of the site may take it too: the profile is shared, so that is where it belongs.
 * - Read back through the same validation as track(): localStorage is writable by any script of
 *   the site, so what comes back is input, not trusted state.
 */
import type { InsituEvent } from '../worker/types.js';
import { toEvent } from './validate.js';
import { MAX_QUEUED_EVENTS } from './event-queue.js';

/** Key prefix; the page's own id follows. */
export const STASH_KEY_PREFIX = 'insitu:unsent:';
/**
 * How long a sent event may still be unwritten: the engine writes events at most
 * MAX_WRITE_DELAY_MS (500 ms) after they arrive, and its model STATE_WRITE_DELAY_MS (1 s) after
 * it changes, that write again within 500 ms; doubled for a busy worker.
 */
export const UNCONFIRMED_WINDOW_MS = 3_000;
/** The stash holds at most what the page queue may hold. */
export const MAX_STASHED_EVENTS = MAX_QUEUED_EVENTS;

/** The slice of the Web Storage API used here (tests pass a Map-backed one). */
export interface StashStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface UnloadStash {
  /** A batch is going to the engine now. Returns a mark for noteStored(). */
  noteSent(batch: readonly InsituEvent[]): number;
  /** The engine has written every batch sent up to `mark` (a noteSent() answer): those are not kept any more. */
  noteStored(mark: number): void;
  /** Write what may not be stored yet: `queued` plus recently sent batches. Never throws. */
  save(queued: readonly InsituEvent[]): void;
  /** Remove this page's stash (its events are known to be stored, or must not be). */
  clear(): void;
  /** Remove every page's stash (consent denied, forget()). */
  clearAll(): void;
  /** Read and remove what other pages left (never this page's own), validated, oldest first. Never throws. */
  take(): InsituEvent[];
  /**
   * Touch the storage now: Chromium loads an origin's localStorage on its first use (1–5 ms on
   * the build machine), which take() would otherwise pay when the engine is ready, just before a
   * page's first decision. Never throws.
   */
  warm(): void;
}

export function createUnloadStash(storage: StashStorage | undefined, pageId: string, now: () => number = Date.now): UnloadStash {
  const key = STASH_KEY_PREFIX + pageId;
  let recent: Array<{ at: number; mark: number; events: readonly InsituEvent[] }> = [];
  let marks = 0;

  const stashKeys = (): string[] => {
    const keys: string[] = [];
    for (let i = 0; storage && i < storage.length; i++) {
      const name = storage.key(i);
      if (name?.startsWith(STASH_KEY_PREFIX)) keys.push(name);
    }
    return keys;
  };

  return {
    noteSent(batch) {
      const at = now();
      recent = recent.filter((entry) => at - entry.at <= UNCONFIRMED_WINDOW_MS);
      recent.push({ at, mark: ++marks, events: batch });
      return marks;
    },
    noteStored(mark) {
      recent = recent.filter((entry) => entry.mark > mark);
    },
    save(queued) {
      if (!storage) return;
      const at = now();
      const sent = recent.filter((entry) => at - entry.at <= UNCONFIRMED_WINDOW_MS).flatMap((entry) => entry.events);
      const events = [...sent, ...queued].slice(-MAX_STASHED_EVENTS);
      try {
        if (events.length) storage.setItem(key, JSON.stringify(events));
        else storage.removeItem(key);
      } catch {
        // Storage full or blocked (Safari private mode, sandboxed frames): nothing more can be done.
      }
    },
    clear() {
      recent = [];
      try {
        storage?.removeItem(key);
      } catch {
        // Blocked storage holds nothing of ours.
      }
    },
    clearAll() {
      recent = [];
      try {
        for (const name of stashKeys()) storage?.removeItem(name);
      } catch {
        // As above.
      }
    },
    warm() {
      try {
        void storage?.length;
      } catch {
        // Blocked storage: take() finds nothing either.
      }
    },
    take() {
      const found: InsituEvent[] = [];
      let names: string[] = [];
      try {
        names = stashKeys().filter((name) => name !== key);
      } catch {
        return [];
      }
      for (const name of names) {
        try {
          const text = storage?.getItem(name);
          storage?.removeItem(name);
          const parsed: unknown = text ? JSON.parse(text) : [];
          if (!Array.isArray(parsed)) continue;
          for (const item of parsed.slice(0, MAX_STASHED_EVENTS)) {
            const event = revalidate(item);
            if (event) found.push(event);
          }
        } catch {
          // Unreadable or tampered: this page's stash is dropped, the others still read.
        }
      }
      const unique = new Map(found.map((event) => [event.id, event]));
      return [...unique.values()].sort((a, b) => a.ts - b.ts).slice(-MAX_STASHED_EVENTS);
    },
  };
}

/** An event read back from storage, through track()'s validation, keeping its id, time and page. */
function revalidate(value: unknown): InsituEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, type, ts, page, ...input } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 128 || typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
  const event = toEvent(type, input, { id, ts, ...(typeof page === 'string' ? { page } : {}) });
  return event instanceof Error ? undefined : event;
}

/** localStorage where it can be read (it throws in sandboxed frames and with storage blocked). */
export function pageStorage(): StashStorage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined;
  }
}
