/**
 * The storage part of `npm run bench` alone: 100k events into a fresh Chromium profile, then
 * `navigator.storage.estimate()`, the export's size, the ingest rate and what is on disk (LevelDB
 * log and tables, Blob files). The disk is read at the end, so it also holds what the ingest
 * floor wrote into its own, deleted, database; the estimate is read before the floor runs.
 * About a minute where the full bench takes several; run it after `npm run build`:
 *
 *   tsx test/bench/perf/storage-run.ts
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { launchPersistent } from '../../browser/support/chromium.js';
import { startTestServer } from '../../browser/support/server.js';
import { DIST } from '../../support/bundle-sizes.js';
import { BENCH_MOUNTS, serveIsolated } from './bench-page.js';
import { measureStorage } from './measure.js';
import { FULL_PLAN } from './plans.js';
import { indexedDbDiskBytes } from './profile-disk.js';

if (!existsSync(join(DIST, 'insitu.esm.js'))) {
  console.error('dist/ is missing: run `npm run build` first.');
  process.exit(1);
}
const server = await startTestServer({ mounts: BENCH_MOUNTS });
serveIsolated(server);
const browser = await launchPersistent();
try {
  const figures = await measureStorage(browser.context, server.origin, FULL_PLAN, (line) => console.error(`  · ${line}`));
  const disk = indexedDbDiskBytes(browser.userDataDir, server.origin);
  if (disk) {
    figures.storageDiskLogBytesAfter100k = disk.logBytes;
    figures.storageDiskTableBytesAfter100k = disk.tableBytes;
    figures.storageDiskOtherBytesAfter100k = disk.otherBytes;
    figures.storageDiskBlobBytesAfter100k = disk.blobBytes;
    figures.storageDiskBlobFilesAfter100k = disk.blobFiles;
  }
  console.log(JSON.stringify(figures, null, 2));
} finally {
  await browser.close();
  await server.close();
}
