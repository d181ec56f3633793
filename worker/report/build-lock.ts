/**
 * The lock a page holds while it closes report periods. Each tab of a site runs its own worker
 * with its own copy of the tallies and the ledger, over one database: without it, two tabs open
 * when a period ends would both build that period's report (two reports from one device, the
 * budget charged once). Web Locks where the platform has them (shared by every tab and worker of
 * the origin); otherwise the engines of this realm queue behind each other (Node, tests).
 */

/** The Web Lock's name (one per origin, like the database). */
export const REPORT_BUILD_LOCK = 'insitu-report-build';

let inRealm: Promise<unknown> = Promise.resolve();

/** Run `task` alone: no other page of the origin builds reports meanwhile. */
export function withBuildLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks) return locks.request(REPORT_BUILD_LOCK, { mode: 'exclusive' }, task) as Promise<T>;
  const run = inRealm.then(task, task);
  inRealm = run.catch(() => undefined);
  return run;
}
