/**
 * The wrap-up panel (`data-testid="wrapup"`): after each call the teller has a few seconds for notes
 * before the next customer is offered. `wrapup-done` ends it early, `wrapup-extend` asks for more
 * time; the timer (`wrapup-timer[data-seconds-left]`) restarts from every `teller_state` the server
 * sends.
 *
 * @module teller/wrap-up
 */

import {byTestId} from '/shared/dom.js';
import {Countdown, formatDuration} from '/shared/time.js';

/**
 * @typedef {object} WrapUpActions
 * @property {() => void} done
 * @property {() => void} extend
 */

export class WrapUpPanel {
  /** @param {WrapUpActions} actions */
  constructor(actions) {
    /** @private */ this.ui = {
      panel: byTestId('wrapup', HTMLElement),
      timer: byTestId('wrapup-timer', HTMLElement),
      done: byTestId('wrapup-done', HTMLButtonElement),
      extend: byTestId('wrapup-extend', HTMLButtonElement),
    };
    /** @private */ this.countdown = new Countdown((left) => {
      this.ui.timer.textContent = formatDuration(left);
      this.ui.timer.dataset.secondsLeft = String(left);
    });
    this.ui.done.addEventListener('click', () => {
      this.setPending(true);
      actions.done();
    });
    this.ui.extend.addEventListener('click', () => {
      this.setPending(true);
      actions.extend();
    });
  }

  /**
   * Show the panel with the time the server says is left.
   * @param {number} secondsLeft
   */
  show(secondsLeft) {
    this.ui.panel.hidden = false;
    this.setPending(false);
    this.countdown.start(secondsLeft);
  }

  /** Hide the panel (the teller is no longer wrapping up). */
  hide() {
    this.countdown.stop();
    this.ui.panel.hidden = true;
    this.setPending(false);
  }

  /**
   * Buttons are disabled while a request is on its way.
   * @param {boolean} pending
   */
  setPending(pending) {
    this.ui.done.disabled = pending;
    this.ui.extend.disabled = pending;
  }
}
