// A drawn cover: the catalog ships no images (the page's CSP allows only same-origin images, and
// the data set's cover URLs point elsewhere), so each book gets a typographic cover in CSS.
import { h } from './dom.js';

/** Palettes in style.css (.cover--p0 … .cover--p11). */
const PALETTES = 12;

function hash(text) {
  let value = 2166136261;
  for (let i = 0; i < text.length; i++) value = Math.imul(value ^ text.charCodeAt(i), 16777619);
  return value >>> 0;
}

/** size: 'sm' | 'md' | 'lg'. Decorative: the title is read from the card beside it. */
export function cover(book, size = 'md') {
  const palette = hash(book.id) % PALETTES;
  const motif = hash(`${book.id}:motif`) % 4;
  return h(
    'div',
    { class: `cover cover--${size} cover--p${palette} cover--m${motif}`, 'aria-hidden': 'true' },
    h('span', { class: 'cover__rule' }),
    h('span', { class: 'cover__title', text: book.title }),
    h('span', { class: 'cover__author', text: book.authors }),
  );
}
