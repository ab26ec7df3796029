/**
 * The call-back offer (`data-testid="callback-offer"`): when the wait is long the server offers a
 * call-back; the customer gives a phone number (`callback-phone`) and a time that suits them, and
 * `callback-accept` sends `callback_request`.
 *
 * @module customer/callback-offer
 */

import {byId, byTestId, setNotice} from '/shared/dom.js';
import {strings, waitText} from '/customer/strings.js';
import {windowWords} from '/customer/service-hours.js';

/** What the protocol accepts as a phone number (docs/protocol.md, `callback_request`). */
const PHONE_PATTERN = /^\+?[0-9]{6,20}$/;

/**
 * @typedef {object} CallbackRequestFields
 * @property {string} phone digits, optionally after a `+`
 * @property {number} [window_start] epoch seconds; absent: as soon as possible
 * @property {number} [window_end] epoch seconds
 */

/** @typedef {import('/shared/signaling.js').CallbackWindow} CallbackWindow */

/**
 * The choices of the windows the server offered (each inside the service hours), in words.
 * @param {CallbackWindow[]} windows
 * @returns {Map<string, {label: string, window: CallbackWindow}>}
 */
export function windowChoices(windows) {
  const choices = new Map();
  for (const [index, offered] of windows.entries()) {
    const words = strings.t('callback.window', windowWords(offered.start, offered.end));
    const label = offered.kind === 'soon' ? strings.t('callback.soon_label', {window: words}) : words;
    choices.set(`${offered.kind}-${index}`, {label, window: offered});
  }
  return choices;
}

/**
 * @param {string} raw what the customer typed
 * @returns {string|null} the number as the protocol wants it (spaces, dashes and brackets removed),
 *   or null when it is not a phone number
 */
export function normalisePhone(raw) {
  const phone = raw.replace(/[\s\-().]/g, '');
  return PHONE_PATTERN.test(phone) ? phone : null;
}

export class CallbackOfferCard {
  /** @param {(fields: CallbackRequestFields) => boolean} request sends `callback_request` */
  constructor(request) {
    /** @private */ this.request = request;
    /** @private */ this.ui = {
      card: byTestId('callback-offer', HTMLElement),
      eta: byId('callback-eta', HTMLElement),
      form: byId('callback-form', HTMLFormElement),
      phone: byTestId('callback-phone', HTMLInputElement),
      window: byTestId('callback-window', HTMLSelectElement),
      error: byTestId('callback-error', HTMLElement),
      accept: byTestId('callback-accept', HTMLButtonElement),
    };
    /** @private @type {Map<string, {label: string, window: CallbackWindow}>} */ this.choices = new Map();
    this.ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.ui.phone.addEventListener('input', () => setNotice(this.ui.error, ''));
  }

  /** @returns {boolean} whether the offer is on screen */
  get visible() {
    return !this.ui.card.hidden;
  }

  /**
   * Show the offer.
   * @param {number} estimatedWaitSeconds the wait that made the server offer it
   * @param {CallbackWindow[]} windows the times offered (none: "as soon as possible" only)
   */
  show(estimatedWaitSeconds, windows) {
    const {ui} = this;
    ui.eta.textContent = strings.t('callback.eta', {wait: waitText(estimatedWaitSeconds)});
    this.choices = windowChoices(windows);
    ui.window.replaceChildren(...[...this.choices].map(([value, {label}]) => new Option(label, value)));
    setNotice(ui.error, '');
    ui.accept.disabled = false;
    ui.card.hidden = false;
  }

  /** Hide the offer (booked, or no longer waiting). */
  hide() {
    this.ui.card.hidden = true;
    this.ui.accept.disabled = false;
  }

  /**
   * The server refused the request: say why (in the page language) and allow another try.
   * @param {string} text
   */
  refused(text) {
    setNotice(this.ui.error, text, 'error');
    this.ui.accept.disabled = false;
  }

  /** @private */
  submit() {
    const {ui} = this;
    const phone = normalisePhone(ui.phone.value);
    if (phone === null) {
      setNotice(ui.error, strings.t('callback.phone_invalid'), 'error');
      ui.phone.focus();
      return;
    }
    const choice = this.choices.get(ui.window.value);
    /** @type {CallbackRequestFields} */
    const fields = {phone};
    if (choice && choice.window.kind !== 'soon') {
      fields.window_start = choice.window.start;
      fields.window_end = choice.window.end;
    }
    setNotice(ui.error, '');
    if (this.request(fields)) {
      ui.accept.disabled = true;
    }
  }
}
