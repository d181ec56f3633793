import { loadMovieLens, leaveLastOut } from './test/bench/quality/movielens.ts';
import * as A from './test/bench/quality/anchors.ts';
import { invertSpd } from './test/bench/quality/spd-inverse.ts';
const data = loadMovieLens();
const split = leaveLastOut(data, 1);
const gram = A.gramMatrix(split);
const n = split.items;
for (let i = 0; i < n; i++) gram[i*n+i]! += 500;
let t = performance.now();
const p = invertSpd(gram, n);
console.log('inv', performance.now() - t);
// check: G·P ≈ I on a few rows
let maxErr = 0;
for (const r of [0, 5, 900, 1681]) for (let c = 0; c < n; c++) { let s = 0; for (let k = 0; k < n; k++) s += gram[r*n+k]! * p[k*n+c]!; maxErr = Math.max(maxErr, Math.abs(s - (r===c?1:0))); }
console.log('maxErr', maxErr);
