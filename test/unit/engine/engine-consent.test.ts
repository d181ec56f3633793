/**
 * The engine's consent gate and storage rules, over a memory store standing in for IndexedDB:
 * pending writes nothing, a grant flushes exactly the pending events, a denial erases, a failing
 * store degrades to memory and is retried without losing events.
 */
import { describe, expect, it } from 'vitest';
import { MAX_UNSAVED_DECISIONS } from '../../../worker/consent-gate.js';
import { composeEngine } from '../../../worker/engine.js';
import { InsituError } from '../../../worker/errors.js';
import { createMemoryStore } from '../../../worker/memory-store.js';
import type { InsituEvent, ProfileStore, Scheduler } from '../../../worker/types.js';
import { recordingParts } from '../../support/recording-personalizer.js';

/** A store that outlives close(), like a database between sessions, with switchable faults. */
function durableStore() {
  const inner = createMemoryStore();
  const faults = { failPuts: 0 };
  let opens = 0;
  let erased = 0;
  const store: ProfileStore = new Proxy(inner, {
    get(target, key: keyof ProfileStore) {
      if (key === 'close') return async () => undefined;
      if (key === 'erase') return async () => (erased++, target.erase());
      if (key === 'putEvents')
        return async (events: InsituEvent[]) => {
          if (faults.failPuts > 0) {
            faults.failPuts--;
            throw new InsituError('storage_aborted', 'injected abort');
          }
          return target.putEvents(events);
        };
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    store,
    faults,
    open: async () => (opens++, store),
    get opens() {
      return opens;
    },
    get erased() {
      return erased;
    },
  };
}

/** Deferred work runs only when the test says so, with its delay recorded. */
function manualScheduler() {
  const tasks: Array<{ task: () => void; delay: number; cancelled: boolean }> = [];
  const scheduler: Scheduler = {
    defer(task, delayMs = 0) {
      const entry = { task, delay: delayMs, cancelled: false };
      tasks.push(entry);
      return () => void (entry.cancelled = true);
    },
  };
  return {
    scheduler,
    async runAll(maxDelay = Infinity) {
      for (let round = 0; round < 20; round++) {
        const due = tasks.filter((t) => !t.cancelled && t.delay <= maxDelay);
        if (!due.length) break;
        for (const t of due) tasks.splice(tasks.indexOf(t), 1);
        for (const t of due) t.task();
        await new Promise((r) => setTimeout(r, 0));
      }
    },
    delays: () => tasks.filter((t) => !t.cancelled).map((t) => t.delay),
  };
}

let clockMs = 1_700_000_000_000;
const clock = { now: () => clockMs };
const events = (n: number, prefix = 'e'): InsituEvent[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, type: 'view', itemId: `item-${prefix}-${i}`, ts: clockMs + i * 2_000 }));

describe('engine consent gate', () => {
  it('writes nothing while personalization is pending, then a grant flushes exactly the pending events', async () => {
    const db = durableStore();
    const engine = composeEngine({ openStore: db.open, clock }, recordingParts());
    await engine.ready;
    engine.track(events(7));
    await engine.flush();
    expect(db.opens).toBe(0);
    expect(engine.status()).toMatchObject({ pendingEvents: 7, storedEvents: 0 });
    expect((await engine.exportData()).memory.events).toHaveLength(7);

    await engine.setConsent({ personalization: 'granted', metrics: 'pending', sensitive: 'pending' });
    await engine.flush();
    expect(await db.store.countEvents()).toBe(7);
    expect(engine.status()).toMatchObject({ pendingEvents: 0, storedEvents: 7 });
  });

  it(`holds at most ${MAX_UNSAVED_DECISIONS} decisions while pending, the newest, and a grant stores exactly those`, async () => {
    const db = durableStore();
    const engine = composeEngine({ openStore: db.open, clock }, recordingParts());
    await engine.ready;
    const made = Array.from({ length: MAX_UNSAVED_DECISIONS + 250 }, () => engine.decide({ placement: 'home', candidates: ['a', 'b'] }).decisionId);
    await engine.flush();
    expect(db.opens).toBe(0);
    await engine.setConsent({ personalization: 'granted', metrics: 'pending', sensitive: 'pending' });
    await engine.flush();
    const stored = (await db.store.getDecisions()).map((d) => d.decisionId);
    expect(stored.sort()).toEqual(made.slice(-MAX_UNSAVED_DECISIONS).sort());
  });

  it('a denial erases the store and memory, and later events are not kept', async () => {
    const db = durableStore();
    const engine = composeEngine({ openStore: db.open, clock, consent: { personalization: 'granted', metrics: 'pending', sensitive: 'pending' } }, recordingParts());
    await engine.ready;
    engine.track(events(5));
    await engine.flush();
    expect(await db.store.countEvents()).toBe(5);
    await engine.setConsent({ personalization: 'denied', metrics: 'denied', sensitive: 'denied' });
    expect(db.erased).toBeGreaterThan(0);
    expect(await db.store.countEvents()).toBe(0);
    engine.track(events(3, 'after'));
    await engine.flush();
    const exported = await engine.exportData();
    expect(exported.events).toEqual([]);
    expect(exported.memory.events).toEqual([]);
  });

  it('keeps working from memory when the store cannot open, says so, and writes everything once it opens', async () => {
    const db = durableStore();
    let failOpens = 1;
    const timers = manualScheduler();
    const openStore = async () => {
      if (failOpens-- > 0) throw new InsituError('storage_timeout', 'open never settled');
      return db.open();
    };
    const engine = composeEngine({ openStore, clock, scheduler: timers.scheduler, consent: { personalization: 'granted', metrics: 'pending', sensitive: 'pending' } }, recordingParts());
    await engine.ready;
    expect(engine.status().storage).toMatchObject({ mode: 'memory', health: 'unavailable', reason: 'storage_timeout' });
    engine.track(events(4));
    expect(engine.status().pendingEvents).toBe(4);
    expect(engine.errors().map((e) => e.code)).toContain('storage_timeout');
    await timers.runAll();
    await engine.flush();
    expect(await db.store.countEvents()).toBe(4);
    expect(engine.status().storage.mode).toBe('memory'); // the memory store stands in for IndexedDB here
    expect(engine.status().pendingEvents).toBe(0);
  });

  it('retries a failed write without losing or doubling events', async () => {
    const db = durableStore();
    const timers = manualScheduler();
    const engine = composeEngine({ openStore: db.open, clock, scheduler: timers.scheduler, consent: { personalization: 'granted', metrics: 'pending', sensitive: 'pending' } }, recordingParts());
    await engine.ready;
    await timers.runAll();
    db.faults.failPuts = 1;
    engine.track(events(6));
    await timers.runAll(100);
    expect(engine.status().storage.health).toBe('degraded');
    expect(await db.store.countEvents()).toBe(0);
    await timers.runAll();
    expect(await db.store.countEvents()).toBe(6);
    expect(engine.status().pendingEvents).toBe(0);
  });

  it('forget() erases everything stored and the memory', async () => {
    const db = durableStore();
    const engine = composeEngine({ openStore: db.open, clock, consent: { personalization: 'granted', metrics: 'pending', sensitive: 'pending' } }, recordingParts());
    await engine.ready;
    engine.track(events(5));
    await engine.flush();
    await engine.forget();
    await engine.flush();
    expect(await db.store.countEvents()).toBe(0);
    expect((await engine.exportData()).memory.events).toEqual([]);
  });
});

describe('engine event handling', () => {
  it('keeps one copy of the same event fired twice within a second, and of a resent id', async () => {
    const parts = recordingParts();
    const engine = composeEngine({ clock }, parts);
    await engine.ready;
    const click: InsituEvent = { id: 'a', type: 'click', itemId: 'dune', ts: clockMs };
    engine.track([click, { ...click, id: 'b', ts: clockMs + 500 }, click]);
    engine.track([{ ...click, id: 'c', ts: clockMs + 1_500 }]);
    expect(parts.last().seen).toEqual(['a', 'c']);
  });

  it('a click on the shown item rewards its decision once; a convert later does not reward it twice', async () => {
    const parts = recordingParts();
    const engine = composeEngine({ clock }, parts);
    await engine.ready;
    const decision = engine.decide({ placement: 'hero', candidates: ['dune', 'emma'] });
    engine.track([{ id: 'k', type: 'click', itemId: 'emma', ts: clockMs + 10 }]);
    expect(parts.last().rewards).toEqual([]);
    engine.track([{ id: 'l', type: 'click', itemId: 'dune', ts: clockMs + 20 }]);
    engine.track([{ id: 'm', type: 'convert', itemId: 'dune', value: 5, ts: clockMs + 30 }]);
    expect(parts.last().rewards).toEqual([[decision.decisionId, 1]]);
    const exported = await engine.exportData();
    expect(exported.decisions.find((d) => d.decisionId === decision.decisionId)?.reward).toBe(1);
  });

  it('a click outside the attribution window rewards nothing', async () => {
    const parts = recordingParts();
    const engine = composeEngine({ clock }, parts);
    await engine.ready;
    engine.decide({ placement: 'hero', candidates: ['dune'] });
    engine.track([{ id: 'late', type: 'click', itemId: 'dune', ts: clockMs + 31 * 60_000 }]);
    expect(parts.last().rewards).toEqual([]);
  });
});
