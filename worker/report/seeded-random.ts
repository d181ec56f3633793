/**
 * The report code's seeded RandomSource is the engine's mulberry32 (worker/seeded-random.ts).
 * Production reporting must seed it from a cryptographic source: report ids and noise draw from it.
 */
export { createSeededRandom } from '../seeded-random.js';
