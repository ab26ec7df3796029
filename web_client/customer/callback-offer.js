/**
 * The call-back offer (`data-testid="callback-offer"`): when the wait is long the server offers a
 * call-back; the customer gives a phone number (`callback-phone`) and a time that suits them, and
 * `callback-accept` sends `callback_request`.
 *
 * @module customer/callback-offer
 */

import {byId, byTestId, setNotice} from '/shared/dom.js';
import {strings, waitText} from '/customer/strings.js';
import {formatTimeOfDay} from '/shared/time.js';

/** What the protocol accepts as a phone number (docs/protocol.md, `callback_request`). */
const PHONE_PATTERN = /^\+?[0-9]{6,20}$/;
const HOUR = 3600;

/**
 * @typedef {object} CallbackRequestFields
 * @property {string} phone digits, optionally after a `+`
 * @property {number} [window_start] epoch seconds; absent: as soon as possible
 * @property {number} [window_end] epoch seconds
 */

/**
 * @typedef {object} WindowChoice
 * @property {string} label
 * @property {number} [start] epoch seconds
 * @property {number} [end] epoch seconds
 */

/**
 * The time windows offered, computed from `now` (absent start and end: as soon as possible,
 * the server's default window).
 * @param {Date} now
 * @returns {Map<string, WindowChoice>}
 */
export function windowChoices(now) {
  const seconds = Math.floor(now.getTime() / 1000);
  /** @param {number} hour @returns {number} epoch seconds of that hour tomorrow */
  const tomorrowAt = (hour) => {
    const day = new Date(now);
    day.setDate(day.getDate() + 1);
    day.setHours(hour, 0, 0, 0);
    return Math.floor(day.getTime() / 1000);
  };
  const inAnHour = seconds + HOUR;
  return new Map([
    ['soon', {label: strings.t('callback.window_soon')}],
    ['later', {
      label: strings.t('callback.window_later',
        {from: formatTimeOfDay(inAnHour), to: formatTimeOfDay(inAnHour + 2 * HOUR)}),
      start: inAnHour,
      end: inAnHour + 2 * HOUR,
    }],
    ['tomorrow-morning', {label: strings.t('callback.window_morning'), start: tomorrowAt(9), end: tomorrowAt(12)}],
    ['tomorrow-afternoon', {
      label: strings.t('callback.window_afternoon'),
      start: tomorrowAt(14),
      end: tomorrowAt(17),
    }],
  ]);
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
    /** @private @type {Map<string, WindowChoice>} */ this.choices = new Map();
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
   */
  show(estimatedWaitSeconds) {
    const {ui} = this;
    ui.eta.textContent = strings.t('callback.eta', {wait: waitText(estimatedWaitSeconds)});
    this.choices = windowChoices(new Date());
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
   * The server refused the request: say why and allow another try.
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
    if (choice?.start !== undefined && choice.end !== undefined) {
      fields.window_start = choice.start;
      fields.window_end = choice.end;
    }
    setNotice(ui.error, '');
    if (this.request(fields)) {
      ui.accept.disabled = true;
    }
  }
}
