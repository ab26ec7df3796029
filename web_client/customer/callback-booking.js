/**
 * A booked call-back (`data-testid="callback-booked"`): when, and a button to cancel it
 * (`callback-cancel`).
 *
 * The reservation id and its cancel token are kept in this tab's `sessionStorage` only so that the
 * customer can still cancel after reloading the page; they are dropped as soon as the booking ends
 * or its window is over, and never sent anywhere but in `callback_cancel`.
 *
 * @module customer/callback-booking
 */

import {strings} from '/customer/strings.js';
import {serviceHours, windowWords} from '/customer/service-hours.js';
import {byTestId} from '/shared/dom.js';

const STORAGE_KEY = 'video_bank.callback';

/**
 * @typedef {object} Booking
 * @property {string} reservation_id
 * @property {string} cancel_token
 * @property {number} window_start epoch seconds
 * @property {number} window_end epoch seconds
 */

/**
 * @param {unknown} value
 * @returns {value is Booking}
 */
function isBooking(value) {
  if (!value || typeof value !== 'object') {
    return false;
  }
  const b = /** @type {Record<string, unknown>} */ (value);
  return typeof b.reservation_id === 'string' && typeof b.cancel_token === 'string' &&
    typeof b.window_start === 'number' && typeof b.window_end === 'number';
}

/** The booking of this tab, in `sessionStorage`. */
export const bookingStore = {
  /** @returns {Booking|null} the stored booking whose window is not over yet */
  load() {
    let raw = null;
    try {
      raw = sessionStorage.getItem(STORAGE_KEY);
    } catch {
      return null; // storage disabled: the booking simply does not survive a reload
    }
    if (raw === null) {
      return null;
    }
    try {
      const booking = JSON.parse(raw);
      if (isBooking(booking) && booking.window_end > Date.now() / 1000) {
        return booking;
      }
    } catch {
      // fall through: not ours, or damaged
    }
    this.clear();
    return null;
  },

  /** @param {Booking} booking */
  save(booking) {
    const {reservation_id, cancel_token, window_start, window_end} = booking;
    try {
      sessionStorage.setItem(
        STORAGE_KEY, JSON.stringify({reservation_id, cancel_token, window_start, window_end}));
    } catch {
      // storage full or disabled: cancelling still works until the page is closed
    }
  },

  clear() {
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
  },
};

/**
 * @param {Booking} booking
 * @returns {string} e.g. "我们将在明天 08:00 至 10:00 之间给您回电。", in the bank's time zone
 */
export function windowText(booking) {
  return strings.t('callback.booked_window', windowWords(booking.window_start, booking.window_end));
}

export class BookingCard {
  /** @param {(booking: Booking) => void} cancel sends `callback_cancel` */
  constructor(cancel) {
    /** @private */ this.ui = {
      card: byTestId('callback-booked', HTMLElement),
      window: byTestId('callback-window-text', HTMLElement),
      cancel: byTestId('callback-cancel', HTMLButtonElement),
    };
    /** @private @type {Booking|null} */ this.booking = null;
    this.ui.cancel.addEventListener('click', () => {
      if (this.booking) {
        this.ui.cancel.disabled = true;
        cancel(this.booking);
      }
    });
  }

  /** @returns {Booking|null} the booking shown */
  get current() {
    return this.booking;
  }

  /** @param {Booking} booking */
  show(booking) {
    this.booking = booking;
    this.ui.window.textContent = windowText(booking);
    // Written again once the bank's time zone is known (a reload shows the booking before that).
    void serviceHours().then(() => {
      if (this.booking === booking) {
        this.ui.window.textContent = windowText(booking);
      }
    });
    this.ui.cancel.disabled = false;
    this.ui.card.hidden = false;
  }

  /** The cancel request could not be sent or was refused: allow another try. */
  cancelFailed() {
    this.ui.cancel.disabled = false;
  }

  /** Hide the card (the booking ended). */
  hide() {
    this.booking = null;
    this.ui.card.hidden = true;
  }
}
