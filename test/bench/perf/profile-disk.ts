/**
 * What an origin's IndexedDB occupies on disk in a Chromium profile, split by LevelDB file kind.
 * `navigator.storage.estimate()` charges the origin for the whole directory, and most of it can be
 * LevelDB's write-ahead log (`*.log`), which grows to a few MB before LevelDB folds it into its
 * sorted tables (`*.ldb`) whatever the data: the split tells that overhead from the data.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface LevelDbBytes {
  logBytes: number;
  tableBytes: number;
  otherBytes: number;
}

/** `origin` like `http://127.0.0.1:4173`; Chromium names the directory `http_127.0.0.1_4173.indexeddb.leveldb`. */
export function indexedDbDiskBytes(userDataDir: string, origin: string): LevelDbBytes | undefined {
  const url = new URL(origin);
  const dir = join(userDataDir, 'Default', 'IndexedDB', `${url.protocol.replace(':', '')}_${url.hostname}_${url.port}.indexeddb.leveldb`);
  if (!existsSync(dir)) return undefined;
  const bytes: LevelDbBytes = { logBytes: 0, tableBytes: 0, otherBytes: 0 };
  for (const name of readdirSync(dir)) {
    const size = statSync(join(dir, name)).size;
    if (name.endsWith('.log')) bytes.logBytes += size;
    else if (name.endsWith('.ldb') || name.endsWith('.sst')) bytes.tableBytes += size;
    else bytes.otherBytes += size;
  }
  return bytes;
}
