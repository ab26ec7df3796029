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

/**
 * Why monitoring ended: the server's `monitor_stopped` reasons, and the page's own `failed`
 * (the monitoring connection broke) and `disconnected` (the signaling socket closed).
 * @typedef {import('/shared/signaling.js').MonitorStopReason|'failed'|'disconnected'} MonitorEndReason
 */

/** @type {Record<MonitorEndReason, string>} */
const MONITOR_ENDS = {
  stopped: 'You stopped monitoring this call.',
  session_ended: 'The call has ended, so monitoring stopped.',
  media_failed: 'The call’s video connection failed, so monitoring stopped.',
  failed: 'Your monitoring connection failed, so monitoring stopped. The call itself goes on.',
  disconnected: 'The connection to the service was lost, so monitoring stopped.',
};

/**
 * @param {string} reason a {@link MonitorEndReason}
 * @returns {string} a sentence for the monitoring panel
 */
export function monitorEndText(reason) {
  return MONITOR_ENDS[/** @type {MonitorEndReason} */ (reason)] ?? 'Monitoring stopped.';
}
