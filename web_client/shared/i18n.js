/**
 * Page language and strings in one place.
 *
 * The language is, in order: the `lang` URL parameter (`?lang=en`), the choice the user made earlier
 * on this device (localStorage), then Chinese (`zh-CN`). Each page keeps its strings in a table per
 * language (e.g. customer/strings.js); adding a language is adding a table. Missing keys fall back to
 * the default language, then to the key itself, so a half-translated table still works.
 *
 * Tests find elements by `data-testid` and read state from `data-*`, never from these texts; a test
 * that must read text opens the page with `?lang=en`.
 *
 * @module shared/i18n
 */

export const DEFAULT_LANGUAGE = 'zh-CN';
const STORAGE_KEY = 'video_bank.lang';

/** @typedef {Record<string, string>} StringTable */

/**
 * @param {string[]} supported language tags the page has tables for
 * @returns {string} the language to use
 */
export function chooseLanguage(supported) {
  const fromUrl = new URLSearchParams(location.search).get('lang');
  let stored = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage disabled: fine
  }
  for (const candidate of [fromUrl, stored]) {
    const match = candidate ? supported.find((tag) => tag.toLowerCase() === candidate.toLowerCase() ||
      tag.split('-')[0] === candidate.toLowerCase()) : undefined;
    if (match) {
      return match;
    }
  }
  return DEFAULT_LANGUAGE;
}

/** @param {string} lang remember the user's choice on this device */
export function rememberLanguage(lang) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage disabled: the choice lasts for this page only
  }
}

export class Strings {
  /**
   * @param {Record<string, StringTable>} tables one table per language tag
   * @param {string} lang
   */
  constructor(tables, lang) {
    /** @private */ this.tables = tables;
    this.lang = lang in tables ? lang : DEFAULT_LANGUAGE;
  }

  /**
   * The string `key` in the page language, with `{name}` placeholders filled from `vars`.
   * @param {string} key
   * @param {Record<string, string|number>} [vars]
   * @returns {string}
   */
  t(key, vars = {}) {
    const template = this.tables[this.lang]?.[key] ?? this.tables[DEFAULT_LANGUAGE]?.[key] ?? key;
    return template.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
  }

  /**
   * Fill every `[data-i18n]` element under `root` with its string (as text, never as HTML), and
   * give every `[data-i18n-label]` element its `aria-label`.
   * @param {ParentNode} root
   */
  fill(root) {
    for (const element of root.querySelectorAll('[data-i18n]')) {
      element.textContent = this.t(/** @type {HTMLElement} */ (element).dataset.i18n ?? '');
    }
    for (const element of root.querySelectorAll('[data-i18n-label]')) {
      element.setAttribute('aria-label', this.t(/** @type {HTMLElement} */ (element).dataset.i18nLabel ?? ''));
    }
  }
}
