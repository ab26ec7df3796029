/**
 * The bank's service hours and time zone (`GET /api/service-hours`), read once per page: the help
 * text says them, and call-back times are written in the bank's zone and the page language.
 *
 * @module customer/service-hours
 */

import {strings} from '/customer/strings.js';
import {daysFrom, formatClock, formatDay} from '/shared/time.js';

/**
 * @typedef {object} ServiceHours
 * @property {string} opens `08:00`
 * @property {string} closes `20:00` (`24:00`: round the clock)
 * @property {string|undefined} time_zone for `Intl.DateTimeFormat` (undefined: the browser's own)
 */

/** @type {Promise<ServiceHours>|null} */
let loading = null;
/** @type {ServiceHours|null} */
let known = null;

/** @returns {Promise<ServiceHours>} the hours (the browser's zone and no hours if they cannot be read) */
export function serviceHours() {
  if (!loading) {
    loading = fetch('/api/service-hours', {headers: {Accept: 'application/json'}})
      .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
      .then((hours) => {
        known = {opens: String(hours.opens), closes: String(hours.closes), time_zone: String(hours.time_zone)};
        return known;
      })
      .catch((error) => {
        console.warn('customer: service hours unknown', error instanceof Error ? error.message : error);
        known = {opens: '', closes: '', time_zone: undefined};
        return known;
      });
  }
  return loading;
}

/** @returns {string|undefined} the bank's time zone once known (the browser's until then) */
export function bankZone() {
  return known?.time_zone;
}

/**
 * The day of a time relative to now, in words: 今天 / 明天 / 后天 / 9月23日 星期三.
 * @param {number} epochSeconds
 * @param {number} [now] epoch seconds
 * @returns {string}
 */
export function dayWords(epochSeconds, now = Date.now() / 1000) {
  const days = daysFrom(epochSeconds, now, bankZone());
  const named = ['day.today', 'day.tomorrow', 'day.after_tomorrow'][days];
  return named ? strings.t(named) : formatDay(epochSeconds, strings.lang, bankZone());
}

/**
 * A time window in words, in the bank's zone and the page language: "明天 08:00–10:00".
 * @param {number} start epoch seconds
 * @param {number} end epoch seconds
 * @returns {{day: string, from: string, to: string}}
 */
export function windowWords(start, end) {
  return {
    day: dayWords(start),
    from: formatClock(start, strings.lang, bankZone()),
    to: formatClock(end, strings.lang, bankZone()),
  };
}
