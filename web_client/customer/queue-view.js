/**
 * The customer's place in line (`data-testid="queue-status"`): position, estimated wait and lane,
 * in words and in `data-position`, `data-eta-seconds` and `data-lane`.
 *
 * @module customer/queue-view
 */

import {byId, byTestId} from '/shared/dom.js';
import {strings, waitText} from '/customer/strings.js';

/** @typedef {import('/shared/signaling.js').QueueUpdateMessage} QueueUpdateMessage */

export class QueueView {
  constructor() {
    /** @private */ this.ui = {
      panel: byTestId('queue-status', HTMLElement),
      lane: byId('queue-lane', HTMLElement),
      position: byId('queue-position', HTMLElement),
      eta: byId('queue-eta', HTMLElement),
    };
  }

  /**
   * Show the latest `queue_update`.
   * @param {QueueUpdateMessage} update
   */
  show(update) {
    const {panel, lane, position, eta} = this.ui;
    panel.dataset.position = String(update.position);
    panel.dataset.etaSeconds = String(update.estimated_wait_seconds);
    panel.dataset.lane = update.lane;
    lane.hidden = update.lane !== 'elderly';
    position.textContent = update.position === 1 ? strings.t('queue.next_in_line') :
      strings.t('queue.number_in_line', {position: update.position});
    eta.textContent = strings.t('queue.estimated_wait', {wait: waitText(update.estimated_wait_seconds)});
  }

  /** Forget the last place in line (the customer is no longer waiting). */
  clear() {
    const {panel, lane, position, eta} = this.ui;
    panel.dataset.position = '';
    panel.dataset.etaSeconds = '';
    panel.dataset.lane = '';
    lane.hidden = true;
    position.textContent = '';
    eta.textContent = '';
  }
}
