/**
 * Small DOM helpers for the pages.
 *
 * @module dom
 */

/**
 * The element carrying `data-testid="<id>"` (the pages' stable hooks, DESIGN.md "Test hooks").
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type the expected element class, e.g. HTMLButtonElement
 * @returns {T}
 */
export function byTestId(id, type) {
  return expect(document.querySelector(`[data-testid="${id}"]`), type, `[data-testid="${id}"]`);
}

/**
 * The element with `id`.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
  return expect(document.getElementById(id), type, `#${id}`);
}

/**
 * @template {HTMLElement} T
 * @param {Element|null} element
 * @param {new () => T} type
 * @param {string} selector for the error message
 * @returns {T}
 */
function expect(element, type, selector) {
  if (!(element instanceof type)) {
    throw new Error(`page markup is missing ${selector} (${type.name})`);
  }
  return element;
}

/**
 * Show `text` in a notice element, or hide it when `text` is empty.
 * @param {HTMLElement} element
 * @param {string} text
 * @param {'info'|'error'} [kind]
 */
export function setNotice(element, text, kind = 'info') {
  element.textContent = text;
  element.classList.toggle('error', kind === 'error');
  element.hidden = text === '';
}

/**
 * Server messages are short lower-case phrases ("the ID number's check character is wrong");
 * shown on their own they read better as a sentence.
 * @param {string} text
 * @returns {string} `text` starting with a capital and ending with a full stop
 */
export function sentence(text) {
  const trimmed = text.trim();
  if (!trimmed) {
    return '';
  }
  const capital = trimmed[0].toLocaleUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}
