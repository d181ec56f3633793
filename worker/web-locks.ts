/**
 * Web Locks, for work two tabs of a site must not do at once over their one database: compacting
 * the same old events twice would count them twice (retention), and closing the same report
 * period twice would report it twice (report-loop). Where the platform has no Web Locks (Node,
 * old browsers) the task simply runs.
 */

export type LockOutcome = 'ran' | 'skipped';

/**
 * Run `task` holding the exclusive lock `name`. When another tab or worker holds it, skip instead
 * of queueing (`ifAvailable`): that holder is doing the same work right now.
 */
export async function runIfLockAvailable(name: string, task: () => Promise<void>): Promise<LockOutcome> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!locks) {
    await task();
    return 'ran';
  }
  return locks.request(name, { mode: 'exclusive', ifAvailable: true }, async (lock): Promise<LockOutcome> => {
    if (!lock) return 'skipped';
    await task();
    return 'ran';
  });
}
