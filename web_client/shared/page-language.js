/**
 * Putting a page's strings into its static markup (shared/i18n.js holds the tables and the choice
 * of language): `<html lang>` says the language in use, `data-i18n="key"` elements get their text,
 * and `data-i18n-attr="aria-label:key title:key"` elements get those attributes (placeholders,
 * labels, tooltips). Text only through `textContent` and `setAttribute`, never as HTML.
 *
 * @module shared/page-language
 */

/**
 * @param {import('/shared/i18n.js').Strings} strings the page's strings in the chosen language
 * @param {ParentNode} [root]
 */
export function applyPageLanguage(strings, root = document) {
  document.documentElement.lang = strings.lang;
  strings.fill(root);
  for (const element of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of (element.getAttribute('data-i18n-attr') ?? '').split(/\s+/)) {
      const [name, key] = pair.split(':');
      if (name && key) {
        element.setAttribute(name, strings.t(key));
      }
    }
  }
}
