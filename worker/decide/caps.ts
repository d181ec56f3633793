/**
 * Per-item frequency caps: an item shown FREQUENCY_CAP_SHOWS times in a placement without a
 * click within FREQUENCY_CAP_WINDOW_MS rests there, unless every candidate is resting (a
 * placement never goes blank because of caps). A click or conversion on the item lifts its caps.
 */

/** Shows without a click before an item rests: the third ignored showing is evidence enough. */
export const FREQUENCY_CAP_SHOWS = 3;
/** The window the shows are counted in: a day, so an item can come back tomorrow. */
export const FREQUENCY_CAP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** (placement, item) pairs tracked; the least recently shown are dropped beyond it. */
export const MAX_CAP_ENTRIES = 2_000;

export type CapEntry = [placement: string, itemId: string, shows: number[]];

export class FrequencyCaps {
  /** Insertion-ordered by last show, so the first key is the one to drop. */
  private shows = new Map<string, Map<string, number[]>>();
  private size = 0;

  record(placement: string, itemId: string, ts: number): void {
    let byItem = this.shows.get(placement);
    if (!byItem) this.shows.set(placement, (byItem = new Map()));
    const list = byItem.get(itemId) ?? [];
    if (!byItem.has(itemId)) this.size++;
    byItem.delete(itemId);
    list.push(ts);
    if (list.length > FREQUENCY_CAP_SHOWS) list.shift();
    byItem.set(itemId, list);
    if (this.size > MAX_CAP_ENTRIES) this.dropOldest();
  }

  /** Take back one show recorded at `ts` (a decision the page never showed). */
  unrecord(placement: string, itemId: string, ts: number): void {
    const byItem = this.shows.get(placement);
    const list = byItem?.get(itemId);
    if (!byItem || !list) return;
    const at = list.lastIndexOf(ts);
    if (at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) {
      byItem.delete(itemId);
      this.size--;
    }
  }

  isCapped(placement: string, itemId: string, now: number): boolean {
    const list = this.shows.get(placement)?.get(itemId);
    if (!list || list.length < FREQUENCY_CAP_SHOWS) return false;
    let recent = 0;
    for (const ts of list) if (now - ts < FREQUENCY_CAP_WINDOW_MS) recent++;
    return recent >= FREQUENCY_CAP_SHOWS;
  }

  /**
   * The candidates that may be shown now (1) and how many rest (are capped). When every candidate
   * is resting, all are eligible and none counts as capped: a placement never goes blank because of caps.
   */
  eligibility(placement: string, itemIds: readonly string[], now: number): { eligible: Uint8Array; capped: number } {
    const eligible = new Uint8Array(itemIds.length);
    let capped = 0;
    itemIds.forEach((itemId, a) => {
      if (this.isCapped(placement, itemId, now)) capped++;
      else eligible[a] = 1;
    });
    if (capped === itemIds.length) return { eligible: eligible.fill(1), capped: 0 };
    return { eligible, capped };
  }

  /** A click: the item is wanted again, in one placement or (no placement) everywhere. */
  clear(itemId: string, placement?: string): void {
    for (const [name, byItem] of this.shows) {
      if (placement !== undefined && name !== placement) continue;
      if (byItem.delete(itemId)) this.size--;
    }
  }

  entries(): CapEntry[] {
    const out: CapEntry[] = [];
    for (const [placement, byItem] of this.shows) for (const [itemId, list] of byItem) out.push([placement, itemId, [...list]]);
    return out;
  }

  load(entries: CapEntry[]): void {
    this.shows.clear();
    this.size = 0;
    for (const [placement, itemId, list] of entries) for (const ts of list) this.record(placement, itemId, ts);
  }

  reset(): void {
    this.shows.clear();
    this.size = 0;
  }

  private dropOldest(): void {
    // Drop the entry with the oldest last show across placements.
    let oldest: [string, string, number] | undefined;
    for (const [placement, byItem] of this.shows) {
      const first = byItem.entries().next().value;
      if (first && (!oldest || first[1][first[1].length - 1]! < oldest[2])) oldest = [placement, first[0], first[1][first[1].length - 1]!];
    }
    if (oldest) {
      this.shows.get(oldest[0])!.delete(oldest[1]);
      this.size--;
    }
  }
}
