/**
 * What an origin's IndexedDB occupies on disk in a Chromium profile, split by kind.
 * `navigator.storage.estimate()` charges the origin for the LevelDB directory and the Blob files
 * beside it. Most of the LevelDB part can be its write-ahead log (`*.log`), which holds every
 * record written since LevelDB last flushed it (at ~4 MB), overwritten and deleted copies
 * included; the store keeps events and large state as Blobs (`.indexeddb.blob`, one file per
 * Blob, deleted with its record) so that the log sees only small records.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface LevelDbBytes {
  logBytes: number;
  tableBytes: number;
  otherBytes: number;
  /** Blob files, counted by estimate() too. */
  blobBytes: number;
  blobFiles: number;
}

function filesUnder(dir: string): Array<{ name: string; size: number }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [{ name: entry.name, size: statSync(join(dir, entry.name)).size }],
  );
}

/** `origin` like `http://127.0.0.1:4173`; Chromium names the directories `http_127.0.0.1_4173.indexeddb.{leveldb,blob}`. */
export function indexedDbDiskBytes(userDataDir: string, origin: string): LevelDbBytes | undefined {
  const url = new URL(origin);
  const base = join(userDataDir, 'Default', 'IndexedDB', `${url.protocol.replace(':', '')}_${url.hostname}_${url.port}.indexeddb`);
  if (!existsSync(`${base}.leveldb`)) return undefined;
  const bytes: LevelDbBytes = { logBytes: 0, tableBytes: 0, otherBytes: 0, blobBytes: 0, blobFiles: 0 };
  for (const { name, size } of filesUnder(`${base}.leveldb`)) {
    if (name.endsWith('.log')) bytes.logBytes += size;
    else if (name.endsWith('.ldb') || name.endsWith('.sst')) bytes.tableBytes += size;
    else bytes.otherBytes += size;
  }
  for (const { size } of filesUnder(`${base}.blob`)) {
    bytes.blobBytes += size;
    bytes.blobFiles++;
  }
  return bytes;
}
