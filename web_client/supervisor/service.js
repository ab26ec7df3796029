/**
 * Service figures (`service` of `supervisor_snapshot`): the service level over the last 15 minutes
 * as the headline (`data-testid="service-level"`, `data-value` = 0–1, empty while nothing counts),
 * and a table of both periods.
 *
 * @module supervisor/service
 */

import {byId, byTestId} from '/shared/dom.js';
import {formatDuration} from '/shared/time.js';

/** @typedef {import('/shared/signaling.js').ServiceSnapshot} ServiceSnapshot */
/** @typedef {import('/shared/signaling.js').ServicePeriod} ServicePeriod */

/**
 * @param {number|null} share 0–1
 * @returns {string} e.g. "95 %", or "—" when there is nothing to count
 */
function percent(share) {
  return share === null ? '—' : `${Math.round(share * 100)} %`;
}

/**
 * @param {number|null} seconds
 * @returns {string} e.g. "0:12", or "—"
 */
function duration(seconds) {
  return seconds === null ? '—' : formatDuration(Math.round(seconds));
}

/**
 * @param {number|null|undefined} value
 * @returns {string} the number for a `data-*` attribute, empty when null
 */
function dataValue(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
}

/** @type {ReadonlyArray<[string, (period: ServicePeriod) => string]>} row label and its figure */
const ROWS = [
  ['Service level', (p) => percent(p.service_level)],
  ['Answered', (p) => String(p.answered)],
  ['Abandoned', (p) => String(p.abandoned)],
  ['Abandon rate', (p) => percent(p.abandon_rate)],
  ['Average wait', (p) => duration(p.average_wait_seconds)],
  ['Average wait, 60+ line', (p) => duration(p.average_wait_elderly_seconds)],
  ['Average handle time', (p) => duration(p.average_handle_seconds)],
];

export class ServiceView {
  constructor() {
    /** @private */ this.ui = {
      level: byTestId('service-level', HTMLElement),
      value: byId('service-level-value', HTMLElement),
      label: byId('service-level-label', HTMLElement),
      rows: byId('service-rows', HTMLTableSectionElement),
    };
  }

  /** @param {ServiceSnapshot} service */
  render(service) {
    const {ui} = this;
    const recent = service.last_15_minutes;
    ui.level.dataset.value = dataValue(recent.service_level);
    ui.level.dataset.today = dataValue(service.today.service_level);
    ui.level.dataset.answered = String(recent.answered);
    ui.value.textContent = percent(recent.service_level);
    ui.label.textContent = `answered within ${service.threshold_seconds} s, last 15 minutes`;
    ui.rows.replaceChildren(...ROWS.map(([label, figure]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = label;
      const last = document.createElement('td');
      last.className = 'num';
      last.textContent = figure(recent);
      const today = document.createElement('td');
      today.className = 'num';
      today.textContent = figure(service.today);
      tr.append(th, last, today);
      return tr;
    }));
  }
}
