/**
 * Masking at the source: what of the customer's app never leaves the phone.
 *
 * Masked: password inputs, the PIN pad (`[data-testid=pin-pad]`), and any element carrying the
 * `data-sensitive` attribute — with everything inside them. Their values and texts become bullets of
 * the same length, so the teller sees where something was typed and how long it is, never what it is.
 * Other features mark their own fields the same way (DESIGN.md, "Security model").
 *
 * @module customer/cobrowse/masking
 */

/** The selector of every element whose value and text are masked (with its subtree). */
export const SENSITIVE_SELECTOR = 'input[type=password], [data-sensitive], [data-testid="pin-pad"]';

/** One bullet per character. */
const BULLET = '•';

/**
 * @param {Node} node
 * @returns {boolean} whether `node` is, or lies inside, a sensitive element
 */
export function isSensitive(node) {
  const element = node instanceof Element ? node : node.parentElement;
  return element !== null && element.closest(SENSITIVE_SELECTOR) !== null;
}

/**
 * @param {string} text
 * @returns {string} as many bullets as `text` has characters (whitespace kept, so layout stays)
 */
export function bullets(text) {
  return Array.from(text, (ch) => (/\s/.test(ch) ? ch : BULLET)).join('');
}

/**
 * What may be shown of `text` found in `node`.
 * @param {Node} node
 * @param {string} text
 * @returns {string}
 */
export function maskText(node, text) {
  return isSensitive(node) ? bullets(text) : text;
}
