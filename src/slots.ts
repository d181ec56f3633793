/**
 * Declarative slots for the script tag:
 *   <div data-insitu-slot="hero" data-insitu-candidates="a,b,c">
 *     <article data-insitu-item="a">…</article> <article data-insitu-item="b">…</article> …
 *   </div>
 * The chosen child is shown and the others hidden. Anti-flicker applies to slots only, never the
 * page: a slot stays hidden until its decision or its deadline, then shows the fallback; the
 * stub's own timer reveals every slot even if this file never loads.
 */
import type { InsituClient } from './types.js';

/** The deadline for a slot when the page sets none: the design's decide() deadline. */
export const DEFAULT_SLOT_DEADLINE_MS = 100;
/** Candidates read from one attribute: a slot is not a catalog. */
export const MAX_SLOT_CANDIDATES = 100;

export const READY_ATTRIBUTE = 'data-insitu-ready';

/** What is left of a slot's deadline (`data-insitu-timeout`, default 100 ms) counted from the stub. */
export function slotWaitMs(slot: HTMLElement, startedAt: number): number {
  const deadline = Number(slot.dataset.insituTimeout ?? DEFAULT_SLOT_DEADLINE_MS);
  return Math.max(0, (Number.isFinite(deadline) ? deadline : DEFAULT_SLOT_DEADLINE_MS) - (Date.now() - startedAt));
}

function candidatesOf(slot: HTMLElement): string[] {
  const listed = (slot.dataset.insituCandidates ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const ids = listed.length ? listed : [...slot.querySelectorAll<HTMLElement>('[data-insitu-item]')].map((el) => el.dataset.insituItem ?? '');
  return ids.filter(Boolean).slice(0, MAX_SLOT_CANDIDATES);
}

function show(slot: HTMLElement, itemId: string, decisionId: string | undefined): void {
  for (const child of slot.querySelectorAll<HTMLElement>('[data-insitu-item]')) {
    const chosen = child.dataset.insituItem === itemId;
    child.hidden = !chosen;
    if (chosen && decisionId) child.dataset.insituDecision = decisionId;
  }
  slot.setAttribute(READY_ATTRIBUTE, '');
}

export function applySlots(client: InsituClient, root: ParentNode, startedAt: number): Promise<void[]> {
  const slots = [...root.querySelectorAll<HTMLElement>('[data-insitu-slot]')];
  return Promise.all(
    slots.map(async (slot) => {
      const candidates = candidatesOf(slot);
      const fallback = slot.dataset.insituFallback ?? candidates[0];
      if (!candidates.length || !fallback) {
        slot.setAttribute(READY_ATTRIBUTE, '');
        return;
      }
      if (slot.hasAttribute(READY_ATTRIBUTE)) {
        // The stub's timer already revealed the fallback: swapping now would be the flicker we promise not to cause.
        show(slot, fallback, undefined);
        return;
      }
      const remaining = slotWaitMs(slot, startedAt);
      try {
        const decision = await client.decide(slot.dataset.insituSlot ?? 'slot', { candidates, fallback, timeoutMs: remaining });
        show(slot, decision.itemId, decision.decisionId);
      } catch {
        show(slot, fallback, undefined);
      }
    }),
  );
}
