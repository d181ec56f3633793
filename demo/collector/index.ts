/** The reference collector: server, decoding, estimates, priors, and the priors simulation. */
export { startCollector, openCollector, MAX_BODY_BYTES, type CollectorHandler, type Collector, type CollectorOptions, type RequestLogEntry } from './server.js';
export { decodeReport } from './decode.js';
export { buildEstimates, type Estimates, type Interval } from './estimates.js';
export { buildPriors } from './priors.js';
export { simulatePriorsFromHistories, type SimulationOptions } from './simulate.js';
export { addReport, emptyTotals, type CollectorTotals } from './totals.js';
