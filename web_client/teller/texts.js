/**
 * What the teller console says about states, away reasons, withdrawn offers and ended calls.
 *
 * @module teller/texts
 */

/** @typedef {import('/shared/signaling.js').TellerState} TellerState */
/** @typedef {import('/shared/signaling.js').EndReason} EndReason */
/** @typedef {import('/shared/signaling.js').TaskOfferWithdrawnMessage} TaskOfferWithdrawnMessage */

/** @type {Record<TellerState, [string, string]>} state -> status text and hint */
export const STATE_TEXT = {
  'offline': ['Signed out', 'Sign in to take customers.'],
  'away': ['Away', 'Press Available to take the next customer.'],
  'available': ['Available', 'The next customer in the queue will be offered to you.'],
  'reserved': ['Customer offered', 'Accept or decline the customer before the time runs out.'],
  'in-call': ['In a call', 'The customer is shown on the right.'],
  'wrap-up': ['Wrapping up', 'Finish your notes; you become available when the timer ends.'],
};

/**
 * Away reasons a teller can choose (value -> label); the server adds `login`, `no_answer` and
 * `rejected` by itself.
 * @type {ReadonlyMap<string, string>}
 */
export const AWAY_CHOICES = new Map([
  ['break', 'Break'],
  ['meal', 'Meal'],
  ['meeting', 'Meeting'],
  ['training', 'Training'],
  ['paperwork', 'Paperwork'],
]);

/** @type {Record<string, string>} away reason code -> why, in words */
const AWAY_REASONS = {
  login: 'You just signed in.',
  no_answer: 'An offer was not answered in time, so you were set to away.',
  rejected: 'You declined an offer, so you were set to away.',
  break: 'On a break.',
  meal: 'At a meal.',
  meeting: 'In a meeting.',
  training: 'In training.',
  paperwork: 'Doing paperwork.',
};

/**
 * @param {string|null|undefined} reason the `reason` of a `teller_state` in `away`
 * @returns {string} the reason in words, or the code itself when it is not a known one
 */
export function awayReasonText(reason) {
  if (!reason) {
    return '';
  }
  return AWAY_REASONS[reason] ?? `Reason: ${reason}.`;
}

/** @type {Record<TaskOfferWithdrawnMessage['reason'], string>} */
export const WITHDRAWN_TEXT = {
  customer_left: 'The customer left the queue before you answered.',
  timeout: 'The offer was not answered in time.',
  rejected: 'You declined the customer; they keep their place in line.',
};

/** @type {Record<EndReason, string>} */
export const END_REASONS = {
  customer_hangup: 'The customer ended the call.',
  teller_hangup: 'You ended the call.',
  customer_lost: 'The customer’s connection was lost.',
  teller_lost: 'Your connection was lost.',
  media_failed: 'The video connection failed.',
  server_shutdown: 'The service is restarting.',
  callback_missed: 'The customer did not follow the call-back link in time.',
};
