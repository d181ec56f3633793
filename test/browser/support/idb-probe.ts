import type { Page } from 'playwright-core';

/** Names of the IndexedDB databases this page's origin has (read in the page itself). */
export async function databaseNames(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name ?? ''));
}

/**
 * Count the records in one object store of the insitu database. Checks that the database exists
 * first: `indexedDB.open()` on a missing name would create it and spoil a "nothing stored" test.
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
          if (!db.objectStoreNames.contains(name)) {
            db.close();
            resolve(0);
            return;
          }
          const request = db.transaction(name, 'readonly').objectStore(name).count();
          request.onsuccess = () => {
            db.close();
            resolve(request.result);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    storeName,
  );
}
