/**
 * Short words for the supervisor's tables and panel, in the page language (supervisor/strings.js):
 * businesses, teller states, away reasons, lanes, session states, why monitoring ended.
 *
 * @module supervisor/labels
 */

import {label, t} from '/supervisor/strings.js';

/**
 * @param {string} business a protocol business value
 * @returns {string}
 */
export function businessLabel(business) {
  return label('business', business);
}

/**
 * @param {string} state a teller state
 * @returns {string}
 */
export function tellerStateLabel(state) {
  return label('teller_state', state);
}

/**
 * @param {string|null} reason an away reason code
 * @returns {string} empty when there is none
 */
export function awayReasonLabel(reason) {
  return reason ? label('away', reason) : '';
}

/**
 * @param {string} lane `standard` or `elderly`
 * @returns {string}
 */
export function laneLabel(lane) {
  return t(lane === 'elderly' ? 'lane.elderly' : 'lane.standard');
}

/**
 * @param {string} state a session state
 * @returns {string}
 */
export function sessionStateLabel(state) {
  return label('session_state', state);
}

/**
 * Why monitoring ended: the server's `monitor_stopped` reasons, and the page's own `failed`
 * (the monitoring connection broke) and `disconnected` (the signaling socket closed).
 * @typedef {import('/shared/signaling.js').MonitorStopReason|'failed'|'disconnected'} MonitorEndReason
 */

/**
 * @param {string} reason a {@link MonitorEndReason}
 * @returns {string} a sentence for the monitoring panel
 */
export function monitorEndText(reason) {
  const key = `monitor.end_${reason}`;
  const text = t(key);
  return text === key ? t('monitor.end_other') : text;
}
