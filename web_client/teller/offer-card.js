/**
 * The incoming-offer card (`data-testid="task-offer"`): who the customer is, what they need, how
 * long they have waited, and how long the teller has left to accept (`offer-accept`) or decline
 * (`offer-reject`). The server decides what happens at the end of the countdown.
 *
 * @module teller/offer-card
 */

import {byId, byTestId} from '/shared/dom.js';
import {Countdown, Stopwatch, formatDuration} from '/shared/time.js';
import {businessName, t} from '/teller/strings.js';

/** @typedef {import('/shared/signaling.js').TaskOfferMessage} TaskOfferMessage */

/**
 * @typedef {object} OfferActions
 * @property {(taskId: string) => void} accept
 * @property {(taskId: string) => void} reject
 */

export class OfferCard {
  /** @param {OfferActions} actions */
  constructor(actions) {
    /** @private */ this.actions = actions;
    /** @private */ this.ui = {
      card: byTestId('task-offer', HTMLElement),
      heading: byId('offer-heading', HTMLElement),
      name: byTestId('offer-customer-name', HTMLElement),
      elderly: byTestId('offer-elderly', HTMLElement),
      business: byId('offer-business', HTMLElement),
      waited: byId('offer-waited', HTMLElement),
      countdown: byTestId('offer-countdown', HTMLElement),
      progress: byId('offer-progress', HTMLProgressElement),
      accept: byTestId('offer-accept', HTMLButtonElement),
      reject: byTestId('offer-reject', HTMLButtonElement),
    };
    /** @private @type {string|null} */ this.taskId = null;
    /** @private */ this.countdown = new Countdown((left) => this.showSecondsLeft(left));
    /** @private */ this.waited = new Stopwatch((seconds) => {
      this.ui.waited.textContent = formatDuration(seconds);
    });
    this.ui.accept.addEventListener('click', () => this.answer(this.actions.accept));
    this.ui.reject.addEventListener('click', () => this.answer(this.actions.reject));
  }

  /** @returns {string|null} the task on offer, if any */
  get currentTaskId() {
    return this.taskId;
  }

  /**
   * Show an offer and start its countdown; focus Accept so a key press takes the customer.
   * @param {TaskOfferMessage} offer
   */
  show(offer) {
    const {ui} = this;
    this.taskId = offer.task_id;
    ui.card.dataset.taskId = offer.task_id;
    ui.card.dataset.kind = offer.kind;
    ui.card.dataset.elderly = String(offer.customer.elderly);
    ui.heading.textContent = t(offer.kind === 'callback' ? 'offer.heading_callback' : 'offer.heading_call');
    ui.name.textContent = offer.customer.display_name || t('offer.customer');
    ui.elderly.hidden = !offer.customer.elderly;
    ui.business.textContent = businessName(offer.business);
    ui.business.dataset.business = offer.business;
    ui.progress.max = Math.max(1, offer.expires_in_seconds);
    ui.accept.disabled = false;
    ui.reject.disabled = false;
    ui.card.hidden = false;
    this.waited.start(offer.waited_seconds);
    this.countdown.start(offer.expires_in_seconds);
    ui.accept.focus();
  }

  /**
   * Hide the card (accepted, withdrawn, or the teller's state moved on).
   * @param {string} [taskId] only if this is the offer shown
   */
  hide(taskId) {
    if (taskId !== undefined && taskId !== this.taskId) {
      return;
    }
    this.taskId = null;
    this.countdown.stop();
    this.waited.stop();
    this.ui.card.hidden = true;
    delete this.ui.card.dataset.taskId;
  }

  /** The server refused the answer (e.g. the offer had just expired): allow another try. */
  answerRefused() {
    if (this.taskId !== null) {
      this.ui.accept.disabled = false;
      this.ui.reject.disabled = false;
    }
  }

  /** @private @param {(taskId: string) => void} action */
  answer(action) {
    if (this.taskId === null) {
      return;
    }
    this.ui.accept.disabled = true;
    this.ui.reject.disabled = true;
    action(this.taskId);
  }

  /** @private @param {number} left */
  showSecondsLeft(left) {
    this.ui.countdown.textContent = String(left);
    this.ui.countdown.dataset.secondsLeft = String(left);
    this.ui.progress.value = left;
    this.ui.card.classList.toggle('urgent', left <= 5);
  }
}
