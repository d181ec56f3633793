/**
 * Writes wait for a quiet moment and decisions reach storage in small transactions, so a burst of
 * decisions is never serialized in one block that a decision asked for meanwhile would wait
 * behind (the tail of decide()); every one of them is stored, in the order made, and a page busy
 * without pause still has them stored within MAX_WRITE_DELAY_MS.
 */
import { describe, expect, it } from 'vitest';
import { DECISION_WRITE_CHUNK, MAX_WRITE_DELAY_MS, WRITE_DELAY_MS } from '../../../worker/consent-gate.js';
import { composeEngine } from '../../../worker/engine.js';
import { createMemoryStore } from '../../../worker/memory-store.js';
import type { DecisionRecord, ProfileStore } from '../../../worker/types.js';
import { manualTime } from '../../support/manual-scheduler.js';
import { recordingParts } from '../../support/recording-personalizer.js';

async function engineWithSpiedStore() {
  const inner = createMemoryStore();
  const transactions: Array<{ at: number; ids: string[] }> = [];
  const time = manualTime();
  const store: ProfileStore = Object.assign(Object.create(inner) as ProfileStore, {
    putDecisions: async (records: DecisionRecord[]) => {
      transactions.push({ at: time.now(), ids: records.map((r) => r.decisionId) });
      return inner.putDecisions(records);
    },
  });
  const engine = composeEngine(
    { clock: time, scheduler: time, openStore: async () => store, consent: { personalization: 'granted', metrics: 'denied', sensitive: 'denied' } },
    recordingParts(),
  );
  await engine.ready;
  return { engine, inner, transactions, time };
}

describe('decision log writes', () => {
  it(`stores a burst of decisions in transactions of at most ${DECISION_WRITE_CHUNK}, all of them, in order`, async () => {
    const { engine, inner, transactions, time } = await engineWithSpiedStore();
    const burst = DECISION_WRITE_CHUNK * 2 + 1;
    const made = Array.from({ length: burst }, () => engine.decide({ placement: 'home', candidates: ['a', 'b'] }).decisionId);
    await time.advance(WRITE_DELAY_MS);

    expect(transactions.every(({ ids }) => ids.length <= DECISION_WRITE_CHUNK)).toBe(true);
    expect(transactions.flatMap(({ ids }) => ids)).toEqual(made);
    expect((await inner.getDecisions()).map((d) => d.decisionId).sort()).toEqual([...made].sort());
  });

  it('writes once the decisions pause, and at the latest MAX_WRITE_DELAY_MS after the first', async () => {
    const { engine, transactions, time } = await engineWithSpiedStore();
    const started = time.now();
    const step = WRITE_DELAY_MS / 2;
    // Decisions closer together than the quiet period, for longer than the longest wait.
    for (let at = 0; at < MAX_WRITE_DELAY_MS * 2; at += step) {
      engine.decide({ placement: 'home', candidates: ['a', 'b'] });
      await time.advance(step);
    }
    const firstWrite = transactions[0]!.at - started;
    expect(firstWrite).toBeGreaterThan(MAX_WRITE_DELAY_MS - step);
    expect(firstWrite).toBeLessThanOrEqual(MAX_WRITE_DELAY_MS);
    const before = transactions.length;
    engine.decide({ placement: 'home', candidates: ['a', 'b'] });
    await time.advance(WRITE_DELAY_MS);
    expect(transactions.length).toBeGreaterThan(before);
  });
});
