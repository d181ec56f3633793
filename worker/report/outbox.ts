/**
 * The outbox where built reports wait, and its withdrawal. Apart from delivery so that the consent
 * gate and a withdrawal of `metrics` need none of the reporting code, which loads after the first
 * decision (worker/reporting-slot.ts).
 */
import type { OutboxEntry } from '../types.js';

/** The outbox port: the engine backs it with ProfileStore's outbox methods (same names). */
export interface Outbox {
  getOutbox(): Promise<OutboxEntry[]>;
  putOutbox(entries: OutboxEntry[]): Promise<void>;
  deleteOutbox(ids: string[]): Promise<void>;
}

/** An outbox held in memory (pending consent, tests, React Native without storage). */
export function createMemoryOutbox(initial: OutboxEntry[] = []): Outbox & { entries(): OutboxEntry[] } {
  const entries = new Map<string, OutboxEntry>(initial.map((e) => [e.id, { ...e }]));
  return {
    getOutbox: async () => [...entries.values()].map((e) => ({ ...e })),
    putOutbox: async (list) => {
      for (const e of list) entries.set(e.id, { ...e });
    },
    deleteOutbox: async (ids) => {
      for (const id of ids) entries.delete(id);
    },
    entries: () => [...entries.values()],
  };
}

/** Consent to `metrics` withdrawn: nothing built may leave any more. */
export async function withdraw(outbox: Outbox): Promise<number> {
  const ids = (await outbox.getOutbox()).map((e) => e.id);
  if (ids.length > 0) await outbox.deleteOutbox(ids);
  return ids.length;
}
