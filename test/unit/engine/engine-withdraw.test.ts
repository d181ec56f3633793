/**
 * A decision that answered after the page's deadline is withdrawn: the page showed its fallback,
 * so the engine's own decision leaves the log (stored or not yet), the frequency caps and the
 * learner, and each decide() call is logged once, as what was shown.
 */
import { describe, expect, it } from 'vitest';
import { WRITE_DELAY_MS } from '../../../worker/consent-gate.js';
import { createPersonalizer, isInHoldout } from '../../../worker/decide/index.js';
import { FREQUENCY_CAP_SHOWS } from '../../../worker/decide/caps.js';
import { composeEngine } from '../../../worker/engine.js';
import { createMemoryStore } from '../../../worker/memory-store.js';
import { createReporting } from '../../../worker/reporting.js';
import { manualTime } from '../../support/manual-scheduler.js';

const catalog = [{ id: 'a', tags: ['x'] }, { id: 'b', tags: ['y'] }];

async function engineWithStore() {
  const store = createMemoryStore();
  const time = manualTime();
  const engine = composeEngine(
    { catalog, seed: 7, holdoutFraction: 0, clock: time, scheduler: time, openStore: async () => store, consent: { personalization: 'granted', metrics: 'denied', sensitive: 'denied' } },
    { createPersonalizer, isInHoldout, reporting: { createReporting } },
  );
  await engine.ready;
  return { engine, store, time };
}

interface ModelBody {
  pending: Array<[string, string, number, string | null, unknown]>;
  caps: Array<[string, string, number[]]>;
}
const modelOf = (exported: { state: { model?: unknown } }) => exported.state.model as { body: ModelBody };

describe('withdrawing a decision the page did not show', () => {
  it('removes it from the stored log, whether it was written already or not', async () => {
    const { engine, store, time } = await engineWithStore();
    const written = engine.decide({ placement: 'home', candidates: ['a', 'b'] });
    await time.advance(WRITE_DELAY_MS);
    expect((await store.getDecisions()).map((d) => d.decisionId)).toEqual([written.decisionId]);
    const unwritten = engine.decide({ placement: 'home', candidates: ['a', 'b'] });
    const kept = engine.decide({ placement: 'home', candidates: ['a', 'b'] });

    expect(engine.withdraw(written.decisionId)).toBe(true);
    expect(engine.withdraw(unwritten.decisionId)).toBe(true);
    expect(engine.withdraw('dec-unknown')).toBe(false);
    await time.advance(WRITE_DELAY_MS);

    expect((await store.getDecisions()).map((d) => d.decisionId)).toEqual([kept.decisionId]);
    expect((await engine.exportData()).decisions.map((d) => d.decisionId)).toEqual([kept.decisionId]);
    expect(engine.explain(written.decisionId)).toBeUndefined();
    expect(engine.reward(unwritten.decisionId, 1)).toBe(false);
    await engine.close();
  });

  it('does not count the show against the frequency cap, and leaves nothing for the learner to settle', async () => {
    const { engine, time } = await engineWithStore();
    const made = Array.from({ length: FREQUENCY_CAP_SHOWS }, () => engine.decide({ placement: 'home', candidates: ['a'] }));
    await engine.flush();
    const before = modelOf(await engine.exportData()).body;
    expect(before.caps).toEqual([['home', 'a', made.map((d) => d.ts)]]);
    expect(before.pending.map((p) => p[3])).toEqual(made.map((d) => d.decisionId));

    engine.withdraw(made[1]!.decisionId);
    await time.advance(1_000);
    await engine.flush();
    const after = modelOf(await engine.exportData()).body;
    expect(after.caps).toEqual([['home', 'a', [made[0]!.ts, made[2]!.ts]]]);
    expect(after.pending.map((p) => p[3])).toEqual([made[0]!.decisionId, made[2]!.decisionId]);
    await engine.close();
  });
});
