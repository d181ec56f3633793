import type { Page } from 'playwright-core';

/** Names of the IndexedDB databases this page's origin has (read in the page itself). */
export async function databaseNames(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name ?? ''));
}

/**
 * Count the records in one object store of the insitu database; `events` counts stored events,
 * which since schema v3 live many to a record in `eventChunks` (each record's header says how
 * many). Checks that the database exists first: `indexedDB.open()` on a missing name would create
 * it and spoil a "nothing stored" test.
 */
export async function countRecords(page: Page, storeName: string): Promise<number> {
  if (!(await databaseNames(page)).includes('insitu')) return 0;
  return page.evaluate(
    (name) =>
      new Promise<number>((resolve, reject) => {
        const open = indexedDB.open('insitu');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const chunked = name === 'events' && db.objectStoreNames.contains('eventChunks');
          const storeName = chunked ? 'eventChunks' : name;
          if (!db.objectStoreNames.contains(storeName)) {
            db.close();
            resolve(0);
            return;
          }
          const store = db.transaction(storeName, 'readonly').objectStore(storeName);
          const request = (chunked ? store.getAll() : store.count()) as IDBRequest<number | Array<{ count: number }>>;
          request.onsuccess = () => {
            db.close();
            const result = request.result;
            resolve(typeof result === 'number' ? result : result.reduce((sum, chunk) => sum + chunk.count, 0));
          };
          request.onerror = () => reject(request.error);
        };
      }),
    storeName,
  );
}
