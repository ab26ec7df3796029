/**
 * Short words for the supervisor's tables: teller states, away reasons, lanes, session states.
 *
 * @module supervisor/labels
 */

/** @typedef {import('/shared/signaling.js').TellerState} TellerState */

/** @type {Record<TellerState, string>} */
const TELLER_STATES = {
  'offline': 'Signed out',
  'available': 'Available',
  'reserved': 'Offered a customer',
  'away': 'Away',
  'in-call': 'In a call',
  'wrap-up': 'Wrapping up',
};

/** @type {Record<string, string>} */
const AWAY_REASONS = {
  login: 'Just signed in',
  no_answer: 'Missed an offer',
  rejected: 'Declined an offer',
  break: 'Break',
  meal: 'Meal',
  meeting: 'Meeting',
  training: 'Training',
  paperwork: 'Paperwork',
};

/** @type {Record<string, string>} */
const SESSION_STATES = {
  negotiating: 'Connecting',
  active: 'Connected',
  ended: 'Ended',
};

/**
 * @param {string} state a teller state
 * @returns {string}
 */
export function tellerStateLabel(state) {
  return TELLER_STATES[/** @type {TellerState} */ (state)] ?? state;
}

/**
 * @param {string|null} reason an away reason code
 * @returns {string} empty when there is none
 */
export function awayReasonLabel(reason) {
  return reason ? AWAY_REASONS[reason] ?? reason : '';
}

/**
 * @param {string} lane `standard` or `elderly`
 * @returns {string}
 */
export function laneLabel(lane) {
  return lane === 'elderly' ? 'Priority (60+)' : 'Standard';
}

/**
 * @param {string} state a session state
 * @returns {string}
 */
export function sessionStateLabel(state) {
  return SESSION_STATES[state] ?? state;
}
