/**
 * The silent-monitoring panel: the customer's and the teller's videos side by side with their
 * names and the business, a status line, a sound switch and the stop button.
 *
 * Test hooks: `monitor-panel` (`data-state`: `connecting|live|ended`; `data-session-id`;
 * `data-reason` once ended: a {@link MonitorEndReason}; `data-muted`), `monitor-status`,
 * `monitor-business` (`data-business`: the protocol value), `monitor-customer`, `monitor-teller`,
 * `monitor-customer-video`, `monitor-teller-video` (each with a `data-frames` counter),
 * `monitor-unmute`, `monitor-stop`, `monitor-close`.
 *
 * @module supervisor/monitor-panel
 */

import {byId, byTestId} from '/shared/dom.js';
import {countFrames} from '/shared/video.js';
import {businessLabel, monitorEndText} from '/supervisor/labels.js';
import {t} from '/supervisor/strings.js';

/** @typedef {import('/supervisor/monitor.js').Leg} Leg */
/** @typedef {import('/supervisor/labels.js').MonitorEndReason} MonitorEndReason */
/** @typedef {'connecting'|'live'|'ended'} MonitorPanelState */

/**
 * @typedef {object} MonitorLabels who and what is being monitored
 * @property {string} sessionId
 * @property {string} business protocol value, shown by its label
 * @property {string} customer the customer's display name
 * @property {string} teller the teller's name as shown to people
 */

export class MonitorPanel {
  constructor() {
    /** @private */ this.root = byTestId('monitor-panel', HTMLElement);
    /** @private */ this.status = byTestId('monitor-status', HTMLElement);
    /** @private */ this.business = byTestId('monitor-business', HTMLElement);
    /** @private */ this.customer = byTestId('monitor-customer', HTMLElement);
    /** @private */ this.teller = byTestId('monitor-teller', HTMLElement);
    /** @private */ this.sound = byTestId('monitor-unmute', HTMLButtonElement);
    /** @private */ this.stopButton = byTestId('monitor-stop', HTMLButtonElement);
    /** @private */ this.closeButton = byTestId('monitor-close', HTMLButtonElement);
    /** @type {Readonly<Record<Leg, HTMLVideoElement>>} */
    this.videos = Object.freeze({
      customer: byTestId('monitor-customer-video', HTMLVideoElement),
      teller: byTestId('monitor-teller-video', HTMLVideoElement),
    });
    /** @private @type {Readonly<Record<Leg, HTMLElement>>} shown over a video without a picture */
    this.placeholders = Object.freeze({
      customer: byId('monitor-customer-placeholder', HTMLElement),
      teller: byId('monitor-teller-placeholder', HTMLElement),
    });
    this.videos.customer.setAttribute('aria-label', t('monitor.customer_video'));
    this.videos.teller.setAttribute('aria-label', t('monitor.teller_video'));
    countFrames(this.videos.customer);
    countFrames(this.videos.teller);
    this.sound.addEventListener('click', () => this.setSound(this.videos.customer.muted));
    this.closeButton.addEventListener('click', () => this.hide());
  }

  /** @returns {MonitorPanelState} */
  get state() {
    return /** @type {MonitorPanelState} */ (this.root.dataset.state);
  }

  /**
   * Call `handler` when the supervisor presses "Stop monitoring".
   * @param {() => void} handler
   */
  onStop(handler) {
    this.stopButton.addEventListener('click', handler);
  }

  /**
   * Show the panel for a newly granted monitoring, connecting, with the sound off.
   * @param {MonitorLabels} labels
   */
  open(labels) {
    this.root.dataset.sessionId = labels.sessionId;
    this.root.dataset.reason = '';
    this.business.dataset.business = labels.business;
    this.business.textContent = businessLabel(labels.business);
    this.customer.textContent = labels.customer;
    this.teller.textContent = labels.teller;
    this.setState('connecting', t('monitor.connecting'));
    this.setSound(false);
    this.sound.disabled = false;
    this.stopButton.disabled = false;
    this.closeButton.hidden = true;
    this.root.hidden = false;
    this.root.scrollIntoView({block: 'nearest'});
    this.stopButton.focus({preventScroll: true});
  }

  /** Media flows: the connection to the hub is up. */
  live() {
    if (this.state === 'connecting') {
      this.setState('live', t('monitor.live'));
    }
  }

  /** "Stop monitoring" was sent; the server's `monitor_stopped` will end the panel. */
  stopping() {
    this.stopButton.disabled = true;
    this.status.textContent = t('monitor.stopping');
  }

  /**
   * Monitoring is over: say why; the panel stays until closed or monitoring starts again.
   * @param {MonitorEndReason} reason
   */
  end(reason) {
    this.root.dataset.reason = reason;
    this.setState('ended', monitorEndText(reason));
    this.setSound(false);
    this.sound.disabled = true;
    this.stopButton.disabled = true;
    this.closeButton.hidden = false;
  }

  /** Hide the panel (after it ended, or on sign-out). */
  hide() {
    this.root.hidden = true;
  }

  /**
   * @private
   * @param {MonitorPanelState} state
   * @param {string} text
   */
  setState(state, text) {
    this.root.dataset.state = state;
    this.status.textContent = text;
    for (const leg of /** @type {const} */ (['customer', 'teller'])) {
      const waiting = t(`monitor.waiting_${leg}`);
      this.placeholders[leg].textContent = state === 'ended' ? t('monitor.not_monitoring') : waiting;
    }
  }

  /**
   * Turn both parties' sound on or off. Turning it on is a click, which browsers require before
   * they play sound.
   * @private
   * @param {boolean} on
   */
  setSound(on) {
    for (const video of Object.values(this.videos)) {
      video.muted = !on;
      if (on && video.srcObject) {
        video.play().catch(() => {}); // a newer stream replaced this one: nothing to do
      }
    }
    this.root.dataset.muted = String(!on);
    this.sound.textContent = t(on ? 'monitor.sound_off' : 'monitor.sound_on');
  }
}
