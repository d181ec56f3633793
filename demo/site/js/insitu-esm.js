// How the module pages start insitu: the npm build, imported as an ES module (no bundler here).
import { createInsitu } from '/dist/insitu.esm.js';
import { savedChoice } from './consent-choice.js';

/** A decision may take this long before the page shows its default instead. */
export const DECIDE_TIMEOUT_MS = 300;
/** The page waits this long for the engine to start before deciding anyway (then the deadline applies). */
export const START_WAIT_MS = 2000;

/** The placements this shop declares: the only ones its anonymous reports may count. */
export const PLACEMENTS = ['home-hero', 'home-shelf', 'shelf-top', 'book-also', 'staff-pick'];

export function startInsitu() {
  const saved = savedChoice();
  const client = createInsitu({
    catalog: '/data/books.json',
    priors: '/data/priors.json',
    rules: '/data/rules.json',
    consent: { kind: 'explicit', ...(saved ? { initial: saved } : {}) },
    collectorUrl: '/v1/metrics',
    report: { placements: PLACEMENTS },
    decideTimeoutMs: DECIDE_TIMEOUT_MS,
  });
  // For the browser console and the tests; the shop itself passes `client` around.
  window.quire = { client };
  return client;
}

/** Settles when the engine runs, or after START_WAIT_MS, whichever is first. */
export function engineStarted(client) {
  return Promise.race([client.ready, new Promise((resolve) => setTimeout(resolve, START_WAIT_MS))]);
}
