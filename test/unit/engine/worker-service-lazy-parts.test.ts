/**
 * The worker's service loads the site-rules code only for a site that has rules, and before the
 * first decision, which must honour them; a failed import of it leaves decisions working without
 * the rules and says so in status. Reporting loads after the first decision.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../worker/memory-store.js';
import { createWorkerService } from '../../../worker/worker-service.js';
import type { EngineStatus } from '../../../worker/engine-types.js';
import type { Result } from '../../../worker/worker-api.js';
import type { CatalogItem, ConsentState } from '../../../worker/types.js';

const GRANTED: ConsentState = { personalization: 'granted', metrics: 'denied', sensitive: 'denied' };
const CATALOG: CatalogItem[] = ['dune', 'emma', 'welcome'].map((id) => ({ id, tags: [`tag-${id}`] }));
const PIN_FOR_NEW_VISITORS = { version: 1, placements: { hero: { pin: [{ item: 'welcome', when: { stage: ['new'] } }] } } };

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('worker service: parts loaded when needed', () => {
  it('honours the site rules from the first decision', async () => {
    const service = createWorkerService({ openStore: async () => createMemoryStore() });
    value(await service.init({ catalog: CATALOG, consent: GRANTED, rules: PIN_FOR_NEW_VISITORS, seed: 1 }));
    const first = value(await service.decide({ placement: 'hero', candidates: ['dune', 'welcome'] }));
    expect(first).toMatchObject({ itemId: 'welcome', policy: 'pinned' });
    await service.close();
  });

  it('without rules, imports no rules code', async () => {
    let imports = 0;
    const service = createWorkerService({
      openStore: async () => createMemoryStore(),
      importRules: async () => (imports++, import('../../../worker/rules/index.js')),
    });
    const status: EngineStatus = value(await service.init({ catalog: CATALOG, consent: GRANTED, seed: 1 }));
    expect(status.rulesRefused).toBeUndefined();
    expect(value(await service.decide({ placement: 'hero', candidates: ['dune', 'welcome'] })).policy).not.toBe('pinned');
    expect(imports).toBe(0);
    await service.close();
  });

  it('decides without the rules when their code cannot load, and says why in status', async () => {
    const service = createWorkerService({
      openStore: async () => createMemoryStore(),
      importRules: () => Promise.reject(new TypeError('Failed to fetch dynamically imported module')),
    });
    const status = value(await service.init({ catalog: CATALOG, consent: GRANTED, rules: PIN_FOR_NEW_VISITORS, seed: 1 }));
    expect(status.rulesRefused).toEqual({ code: 'invalid_rules', message: expect.stringMatching(/rules code could not load \(Failed to fetch/) });
    const first = value(await service.decide({ placement: 'hero', candidates: ['dune', 'welcome'] }));
    expect(first.policy).toBe('personalized');
    await service.close();
  });
});
