// Building DOM without innerHTML: every text goes through a text node, so catalog text, reasons and
// payloads can never become markup.

/**
 * h('a', { href: '/x', class: 'link', onclick: fn }, 'text', child)
 * Attributes are set with setAttribute; `text` sets textContent; `on*` adds listeners.
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  applyProps(element, props);
  appendChildren(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements (the affinity chart). */
export function s(tag, props = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  applyProps(element, props);
  appendChildren(element, children);
  return element;
}

function applyProps(element, props) {
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') element.textContent = String(value);
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : String(value));
  }
}

function appendChildren(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  appendChildren(element, children);
  return element;
}

/** "3 s ago", "2 min ago", or a time of day. */
export function when(ts) {
  const seconds = Math.round((Date.now() - ts) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return new Date(ts).toLocaleString();
}

/** A number with a fixed count of decimals, without trailing noise. */
export function fixed(value, digits = 3) {
  return Number.isFinite(value) ? Number(value.toFixed(digits)).toString() : String(value);
}

/** "14:03:27": compact and unambiguous in a narrow column. */
export function clockTime(ts) {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/** A probability as a percentage a person can read: "90%", "4.5%", "0.034%". */
export function percent(probability) {
  if (!Number.isFinite(probability)) return '—';
  const value = probability * 100;
  if (value === 0) return '0%';
  if (value >= 10) return `${Number(value.toFixed(1))}%`;
  return `${Number(value.toPrecision(2))}%`;
}
