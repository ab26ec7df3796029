/**
 * Today at a glance: an inline SVG of the average wait (bars) and the service level (lines) per
 * 15 minutes, the 60+ line beside the others, drawn from `service.intervals` of each
 * `supervisor_snapshot` (docs/protocol.md). No framework: SVG elements made with `createElementNS`,
 * text only through `textContent`, colours from supervisor.css classes (strict CSP: no inline style).
 *
 * The time axis runs from 08:00 (or the first interval, if earlier) to 20:00 (or the end of the
 * current interval, if later), local time.
 *
 * Test hooks: `wait-chart` (`data-state`: `empty|drawn`, `data-intervals`, `data-answered` today's
 * answered customers over all intervals, `data-threshold`); one `g.slot` per interval with
 * `data-start` (epoch seconds), `data-service-level`, and per lane `data-standard-answered`,
 * `data-standard-wait`, `data-standard-level`, `data-elderly-answered`, `data-elderly-wait`,
 * `data-elderly-level` (empty where there is nothing to count).
 *
 * @module supervisor/wait-chart
 */

import {byId, byTestId} from '/shared/dom.js';
import {formatDuration} from '/shared/time.js';
import {duration, percent} from '/supervisor/service.js';
import {strings, t} from '/supervisor/strings.js';

/**
 * @typedef {object} PeriodFigures `service.today` / `service.last_15_minutes` (null: nothing to count)
 * @property {number} answered
 * @property {number} abandoned
 * @property {number|null} service_level 0–1
 * @property {number|null} abandon_rate 0–1
 * @property {number|null} average_wait_seconds
 * @property {number|null} average_wait_elderly_seconds
 * @property {number|null} average_handle_seconds
 * @property {number} reviews_approved card reviews approved
 * @property {number} reviews_rejected card reviews rejected
 * @property {number|null} review_pass_rate approved ÷ decided
 */
/**
 * @typedef {object} LaneFigures one lane over one interval
 * @property {number} answered
 * @property {number} abandoned
 * @property {number|null} service_level
 * @property {number|null} average_wait_seconds
 */
/**
 * @typedef {object} IntervalFigures
 * @property {number} start epoch seconds
 * @property {number|null} service_level both lanes
 * @property {LaneFigures} standard
 * @property {LaneFigures} elderly
 */
/**
 * @typedef {object} ServiceFigures the `service` part of `supervisor_snapshot`
 * @property {number} threshold_seconds
 * @property {PeriodFigures} last_15_minutes
 * @property {PeriodFigures} today
 * @property {number} interval_seconds
 * @property {IntervalFigures[]} intervals
 */

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 960;
const LEFT = 56;
const RIGHT = 24;
const WAIT_TOP = 16;
const WAIT_BOTTOM = 170;
const LEVEL_TOP = 206;
const LEVEL_BOTTOM = 286;
const AXIS_Y = 306;
const HEIGHT = 316;
const OPEN_HOUR = 8;
const CLOSE_HOUR = 20;
/** Wait scale tops (seconds): the first that holds every bar and the threshold with room. */
const WAIT_SCALES = [30, 60, 120, 180, 300, 600, 900, 1800, 3600];
/** @type {readonly ('standard'|'elderly')[]} */
const LANES = ['standard', 'elderly'];

/**
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string|number>} [attributes]
 * @param {string} [text]
 * @returns {SVGElementTagNameMap[K]}
 */
function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

/**
 * @param {number|null|undefined} value
 * @returns {string}
 */
function dataValue(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
}

/**
 * @param {number} at epoch seconds
 * @param {number} hour local hour of that day
 * @returns {number} epoch seconds
 */
function hourOfDay(at, hour) {
  const date = new Date(at * 1000);
  date.setHours(hour, 0, 0, 0);
  return date.getTime() / 1000;
}

/**
 * @param {number} epochSeconds
 * @returns {string} e.g. "14:00"
 */
function clock(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString(strings.lang, {
    hour: '2-digit', minute: '2-digit', hour12: false,
  });
}

export class WaitChart {
  constructor() {
    /** @private */ this.root = byTestId('wait-chart', HTMLElement);
    /** @private */ this.empty = byId('wait-chart-empty', HTMLElement);
    /** @private */ this.svg = svg('svg', {
      'viewBox': `0 0 ${WIDTH} ${HEIGHT}`,
      'class': 'chart',
      'role': 'img',
      'aria-label': t('chart.label'),
    });
    const caption = this.root.querySelector('figcaption');
    if (caption) {
      caption.after(this.svg);
    } else {
      this.root.prepend(this.svg);
    }
  }

  /**
   * Redraw from a snapshot's service figures.
   * @param {ServiceFigures} service
   * @param {number} at the snapshot's server time
   */
  render(service, at) {
    const intervals = service.intervals;
    const width = service.interval_seconds;
    const threshold = service.threshold_seconds;
    const first = intervals.length ? intervals[0].start : at;
    const last = intervals.length ? intervals[intervals.length - 1].start + width : at;
    const from = Math.min(hourOfDay(at, OPEN_HOUR), first);
    const to = Math.max(hourOfDay(at, CLOSE_HOUR), last);
    const x = (/** @type {number} */ time) => LEFT + (time - from) / (to - from) * (WIDTH - LEFT - RIGHT);
    const waits = intervals.flatMap((i) => LANES.map((lane) => i[lane].average_wait_seconds ?? 0));
    const top = WAIT_SCALES.find((s) => s >= Math.max(threshold * 1.5, ...waits)) ??
      Math.ceil(Math.max(...waits) / 3600) * 3600;
    const waitY = (/** @type {number} */ seconds) => WAIT_BOTTOM - seconds / top * (WAIT_BOTTOM - WAIT_TOP);
    const levelY = (/** @type {number} */ share) => LEVEL_BOTTOM - share * (LEVEL_BOTTOM - LEVEL_TOP);

    const nodes = [
      ...this.grid(from, to, x, top, waitY, levelY, threshold),
      ...intervals.map((interval) => this.slot(interval, width, x, waitY, levelY)),
      ...LANES.map((lane) => this.levelLine(intervals, lane, width, x, levelY)),
    ];
    this.svg.replaceChildren(...nodes);
    const answered = intervals.reduce((sum, i) => sum + i.standard.answered + i.elderly.answered, 0);
    this.root.dataset.state = intervals.length ? 'drawn' : 'empty';
    this.root.dataset.intervals = String(intervals.length);
    this.root.dataset.answered = String(answered);
    this.root.dataset.threshold = String(threshold);
    this.empty.hidden = intervals.length > 0;
  }

  /**
   * Axes, hour ticks, the wait threshold and the panel titles.
   * @private
   * @param {number} from
   * @param {number} to
   * @param {(time: number) => number} x
   * @param {number} top
   * @param {(seconds: number) => number} waitY
   * @param {(share: number) => number} levelY
   * @param {number} threshold
   * @returns {SVGElement[]}
   */
  grid(from, to, x, top, waitY, levelY, threshold) {
    /** @type {SVGElement[]} */
    const out = [];
    const right = WIDTH - RIGHT;
    for (const seconds of [0, top / 2, top]) {
      out.push(svg('line', {'class': 'grid', 'x1': LEFT, 'x2': right, 'y1': waitY(seconds), 'y2': waitY(seconds)}));
      out.push(svg('text', {'class': 'tick', 'x': LEFT - 6, 'y': waitY(seconds) + 4, 'text-anchor': 'end'},
        formatDuration(seconds)));
    }
    for (const share of [0, 0.5, 1]) {
      out.push(svg('line', {'class': 'grid', 'x1': LEFT, 'x2': right, 'y1': levelY(share), 'y2': levelY(share)}));
      out.push(svg('text', {'class': 'tick', 'x': LEFT - 6, 'y': levelY(share) + 4, 'text-anchor': 'end'},
        percent(share)));
    }
    out.push(svg('line', {
      'class': 'threshold', 'x1': LEFT, 'x2': right, 'y1': waitY(threshold), 'y2': waitY(threshold),
    }));
    out.push(svg('text', {'class': 'tick threshold-label', 'x': right, 'y': waitY(threshold) - 4,
      'text-anchor': 'end'}, t('chart.threshold', {threshold})));
    out.push(svg('text', {'class': 'panel-title', 'x': LEFT, 'y': WAIT_TOP - 4}, t('chart.wait_title')));
    out.push(svg('text', {'class': 'panel-title', 'x': LEFT, 'y': LEVEL_TOP - 8}, t('chart.level_title')));
    const hour = 3600;
    const step = to - from > 14 * hour ? 4 * hour : 2 * hour;
    for (let time = Math.ceil(from / hour) * hour; time <= to; time += hour) {
      out.push(svg('line', {'class': 'hour', 'x1': x(time), 'x2': x(time), 'y1': WAIT_BOTTOM, 'y2': WAIT_BOTTOM + 4}));
      if (Math.round((time - hourOfDay(time, 0)) / hour) % (step / hour) === 0) {
        out.push(svg('text', {'class': 'tick', 'x': x(time), 'y': AXIS_Y, 'text-anchor': 'middle'}, clock(time)));
      }
    }
    return out;
  }

  /**
   * One interval: a bar per lane (the lane's average wait) and the data the tests read.
   * @private
   * @param {IntervalFigures} interval
   * @param {number} width seconds
   * @param {(time: number) => number} x
   * @param {(seconds: number) => number} waitY
   * @param {(share: number) => number} levelY
   * @returns {SVGGElement}
   */
  slot(interval, width, x, waitY, levelY) {
    const g = svg('g', {'class': 'slot'});
    g.dataset.start = String(interval.start);
    g.dataset.serviceLevel = dataValue(interval.service_level);
    const left = x(interval.start);
    const span = x(interval.start + width) - left;
    const bar = Math.max(1, span * 0.4);
    LANES.forEach((lane, index) => {
      const figures = interval[lane];
      g.dataset[`${lane}Answered`] = String(figures.answered);
      g.dataset[`${lane}Wait`] = dataValue(figures.average_wait_seconds);
      g.dataset[`${lane}Level`] = dataValue(figures.service_level);
      if (figures.average_wait_seconds !== null) {
        const y = waitY(figures.average_wait_seconds);
        g.append(svg('rect', {
          'class': `bar ${lane}`, 'x': left + span * 0.1 + index * bar, 'y': Math.min(y, WAIT_BOTTOM - 1),
          'width': bar, 'height': Math.max(1, WAIT_BOTTOM - y),
        }));
      }
      if (figures.service_level !== null) {
        g.append(svg('circle', {
          'class': `point ${lane}`, 'cx': left + span / 2, 'cy': levelY(figures.service_level), 'r': 3,
        }));
      }
    });
    // Hovering anywhere over the interval's column shows its figures.
    g.prepend(svg('rect', {'class': 'hit', 'x': left, 'y': WAIT_TOP, 'width': span, 'height': LEVEL_BOTTOM - WAIT_TOP}));
    g.append(svg('title', {}, t('chart.tip', {
      time: clock(interval.start),
      standard: duration(interval.standard.average_wait_seconds),
      elderly: duration(interval.elderly.average_wait_seconds),
      level: percent(interval.service_level),
    })));
    return g;
  }

  /**
   * A lane's service level as a line through its intervals, broken where nothing counted.
   * @private
   * @param {readonly IntervalFigures[]} intervals
   * @param {'standard'|'elderly'} lane
   * @param {number} width
   * @param {(time: number) => number} x
   * @param {(share: number) => number} levelY
   * @returns {SVGPathElement}
   */
  levelLine(intervals, lane, width, x, levelY) {
    let d = '';
    let drawing = false;
    for (const interval of intervals) {
      const level = interval[lane].service_level;
      if (level === null) {
        drawing = false;
        continue;
      }
      const point = `${(x(interval.start) + (x(interval.start + width) - x(interval.start)) / 2).toFixed(1)},` +
        `${levelY(level).toFixed(1)}`;
      d += `${drawing ? 'L' : 'M'}${point}`;
      drawing = true;
    }
    return svg('path', {'class': `level ${lane}`, 'd': d || 'M0,0'});
  }
}
