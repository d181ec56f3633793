/**
 * How a page marks what it shows, read by auto-capture and declarative slots alike:
 *   <div data-insitu-slot="hero">
 *     <article data-insitu-item="sku-1" data-insitu-decision="d-42">…</article>
 *   </div>
 */
import type { TrackInput } from '../worker/types.js';

export const ITEM_ATTRIBUTE = 'data-insitu-item';
export const SLOT_ATTRIBUTE = 'data-insitu-slot';
export const DECISION_ATTRIBUTE = 'data-insitu-decision';
export const ITEM_SELECTOR = `[${ITEM_ATTRIBUTE}]`;
const SLOT_SELECTOR = `[${SLOT_ATTRIBUTE}]`;

/**
 * What an item element says about itself: its id, the placement of the nearest slot around it,
 * and the decision that put it there (on the element, as slots.ts marks the chosen child, or on
 * the slot). Read when the event happens, so a decision applied after load is still attributed.
 */
export function itemInputOf(element: Element): TrackInput | undefined {
  const itemId = element.getAttribute(ITEM_ATTRIBUTE);
  if (!itemId) return undefined;
  const input: TrackInput = { itemId };
  const slot = element.parentElement?.closest(SLOT_SELECTOR) ?? null;
  const placement = slot?.getAttribute(SLOT_ATTRIBUTE);
  if (placement) input.placement = placement;
  const decisionId = element.getAttribute(DECISION_ATTRIBUTE) ?? slot?.getAttribute(DECISION_ATTRIBUTE);
  if (decisionId) input.decisionId = decisionId;
  return input;
}

/** A page about one item says so: `<meta name="insitu:item" content="sku-1">`; its views are views of that item. */
export const PAGE_ITEM_META = 'meta[name="insitu:item"]';

export function pageItemOf(document: Document): string | undefined {
  const content = document.querySelector(PAGE_ITEM_META)?.getAttribute('content')?.trim();
  return content ? content : undefined;
}

/** The first marked item on an event's path, looking through open shadow roots. */
export function itemOnPath(path: readonly EventTarget[]): Element | undefined {
  for (const node of path) {
    if (isElement(node) && node.hasAttribute(ITEM_ATTRIBUTE)) return node;
  }
  return undefined;
}

/** Duck-typed rather than `instanceof Element`, which fails for nodes from another frame. */
export function isElement(node: unknown): node is Element {
  return typeof node === 'object' && node !== null && (node as Node).nodeType === 1;
}
