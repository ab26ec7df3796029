/**
 * What the teller console says about states, away reasons, withdrawn offers and ended calls, in the
 * page language (teller/strings.js).
 *
 * @module teller/texts
 */

import {t, tOr} from '/teller/strings.js';

/** @typedef {import('/shared/signaling.js').TellerState} TellerState */

/**
 * @param {TellerState|string} state a `teller_state` state, or `offline`
 * @returns {[string, string]} status text and hint
 */
export function stateText(state) {
  return [tOr(`state.${state}`, state), tOr(`state.${state}_hint`, '')];
}

/**
 * Away reasons a teller can choose; the server adds `login`, `no_answer` and `rejected` by itself.
 * @returns {[string, string][]} value and label, in menu order
 */
export function awayChoices() {
  return ['break', 'meal', 'meeting', 'training', 'paperwork'].map((value) => [value, t(`away.${value}`)]);
}

/**
 * @param {string|null|undefined} reason the `reason` of a `teller_state` in `away`
 * @returns {string} the reason in words, or the code itself when it is not a known one
 */
export function awayReasonText(reason) {
  if (!reason) {
    return '';
  }
  return tOr(`away_reason.${reason}`, t('away_reason.other', {reason}));
}

/**
 * @param {string} reason a `task_offer_withdrawn` reason
 * @returns {string}
 */
export function withdrawnText(reason) {
  return tOr(`withdrawn.${reason}`, t('withdrawn.other'));
}

/**
 * @param {string} reason a `session_ended` reason
 * @returns {string}
 */
export function endText(reason) {
  return tOr(`end.${reason}`, t('end.other'));
}
