// The page the browser tests drive: the npm build loaded as a module, configured from the query
// string so one file serves every test (consent, auto-capture, worker URL, collector).
import { createInsitu } from '/dist/insitu.esm.js';

const params = new URLSearchParams(location.search);
const personalization = params.get('personalization') ?? 'pending';
const metrics = params.get('metrics') ?? 'pending';
const violations = [];
// Every error the SDK handled itself, as codes: what a fault test expects to see (or not).
const handled = [];
document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));

const insitu = createInsitu({
  catalog: '/pages/catalog.json',
  consent: { kind: 'explicit', initial: { personalization, metrics } },
  autoCapture: params.get('autocapture') === '1',
  ...(params.get('worker') ? { workerUrl: params.get('worker') } : {}),
  // Reports: hourly periods (the shortest allowed) so a test can close one by moving the clock.
  ...(params.get('collector') ? { collectorUrl: params.get('collector'), report: { periodMs: 3_600_000, graceMs: 0, placements: ['hero'] } } : {}),
  ...(params.get('gpc') ? { globalPrivacyControl: params.get('gpc') } : {}),
  ...(params.get('holdout') ? { holdoutFraction: Number(params.get('holdout')) } : {}),
  onError: (error) => handled.push(error.code),
});
window.insitu = insitu;
window.cspViolations = violations;
window.insituErrors = handled;
window.insituLoaded = insitu.ready.then(() => true);
