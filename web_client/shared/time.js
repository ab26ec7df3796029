/**
 * Durations, clock times and countdowns as the pages show them.
 *
 * The server is the source of truth for time (docs/protocol.md): a countdown starts from the number
 * of seconds the server sent and only ticks locally until the server says what happened.
 *
 * @module time
 */

/**
 * @param {number} seconds a duration (negative values count as 0)
 * @returns {string} `m:ss`, or `h:mm:ss` from one hour, e.g. "0:07", "12:45", "1:02:03"
 */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/**
 * @param {number} seconds an estimated wait
 * @returns {string} in plain words, e.g. "less than a minute", "about 3 minutes"
 */
export function formatWait(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) {
    return 'less than a minute';
  }
  if (minutes < 90) {
    return minutes === 1 ? 'about 1 minute' : `about ${minutes} minutes`;
  }
  const hours = Math.round(minutes / 60);
  return hours === 1 ? 'about 1 hour' : `about ${hours} hours`;
}

/**
 * @param {number} epochSeconds a server time
 * @returns {string} the local time of day, e.g. "14:05"
 */
export function formatTimeOfDay(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'});
}

/**
 * A clock time in a language and time zone, always on the 24-hour clock (as bank hours are given).
 * @param {number} epochSeconds a server time
 * @param {string} lang e.g. `zh-CN`, `en`
 * @param {string} [timeZone] an IANA zone or offset (the bank's, from `/api/service-hours`); the
 *   browser's when absent
 * @returns {string} e.g. "09:14", "21:14"
 */
export function formatClock(epochSeconds, lang, timeZone) {
  return new Intl.DateTimeFormat(lang, {hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone})
    .format(new Date(epochSeconds * 1000));
}

/**
 * The calendar day of a time in a time zone, as `YYYY-MM-DD`.
 * @param {number} epochSeconds
 * @param {string} [timeZone]
 * @returns {string}
 */
export function calendarDay(epochSeconds, timeZone) {
  return new Intl.DateTimeFormat('en-CA', {year: 'numeric', month: '2-digit', day: '2-digit', timeZone})
    .format(new Date(epochSeconds * 1000));
}

/**
 * How many calendar days `epochSeconds` lies after `nowSeconds`, in the time zone (0: the same day).
 * @param {number} epochSeconds
 * @param {number} nowSeconds
 * @param {string} [timeZone]
 * @returns {number}
 */
export function daysFrom(epochSeconds, nowSeconds, timeZone) {
  const day = (/** @type {number} */ seconds) => Date.parse(`${calendarDay(seconds, timeZone)}T00:00:00Z`);
  return Math.round((day(epochSeconds) - day(nowSeconds)) / 86_400_000);
}

/**
 * A date without the time, in a language and time zone, e.g. "9月23日 星期三", "Wednesday 23 September".
 * @param {number} epochSeconds
 * @param {string} lang
 * @param {string} [timeZone]
 * @returns {string}
 */
export function formatDay(epochSeconds, lang, timeZone) {
  return new Intl.DateTimeFormat(lang, {weekday: 'long', day: 'numeric', month: 'long', timeZone})
    .format(new Date(epochSeconds * 1000));
}

/** How often a countdown re-checks the time; it reports only whole-second changes. */
const COUNTDOWN_POLL_MS = 250;

/**
 * Counts whole seconds down to zero from a number of seconds, calling `onTick(secondsLeft)` once at
 * the start and again each time the whole number of seconds left changes. Stops by itself at zero.
 */
export class Countdown {
  /** @param {(secondsLeft: number) => void} onTick */
  constructor(onTick) {
    /** @private */ this.onTick = onTick;
    /** @private */ this.deadline = 0;
    /** @private */ this.last = -1;
    /** @private @type {ReturnType<typeof setInterval>|undefined} */ this.timer = undefined;
  }

  /** @returns {number} whole seconds left (0 when stopped or over) */
  get secondsLeft() {
    return this.timer === undefined ? 0 : this.remaining();
  }

  /**
   * (Re)start from `seconds`.
   * @param {number} seconds
   */
  start(seconds) {
    this.stop();
    this.deadline = performance.now() + Math.max(0, seconds) * 1000;
    this.last = -1;
    this.timer = setInterval(() => this.check(), COUNTDOWN_POLL_MS);
    this.check();
  }

  /** Stop ticking. Safe to call when not running. */
  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** @private @returns {number} */
  remaining() {
    return Math.max(0, Math.ceil((this.deadline - performance.now()) / 1000));
  }

  /** @private */
  check() {
    const left = this.remaining();
    if (left !== this.last) {
      this.last = left;
      this.onTick(left);
    }
    if (left === 0) {
      this.stop();
    }
  }
}

/**
 * Counts seconds up from a starting value (e.g. how long a customer has waited), calling
 * `onTick(seconds)` on every whole-second change until stopped.
 */
export class Stopwatch {
  /** @param {(seconds: number) => void} onTick */
  constructor(onTick) {
    /** @private */ this.onTick = onTick;
    /** @private */ this.origin = 0;
    /** @private */ this.last = -1;
    /** @private @type {ReturnType<typeof setInterval>|undefined} */ this.timer = undefined;
  }

  /**
   * (Re)start at `seconds`.
   * @param {number} seconds
   */
  start(seconds) {
    this.stop();
    this.origin = performance.now() - Math.max(0, seconds) * 1000;
    this.last = -1;
    this.timer = setInterval(() => this.check(), COUNTDOWN_POLL_MS);
    this.check();
  }

  /** Stop ticking. Safe to call when not running. */
  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** @private */
  check() {
    const seconds = Math.floor((performance.now() - this.origin) / 1000);
    if (seconds !== this.last) {
      this.last = seconds;
      this.onTick(seconds);
    }
  }
}
