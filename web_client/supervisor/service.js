/**
 * Service figures (`service` of `supervisor_snapshot`): the service level over the last 15 minutes
 * as the headline (`data-testid="service-level"`, `data-value` = 0–1, empty while nothing counts),
 * today's card-review pass rate (`data-testid="review-pass-rate"`, `data-value` = 0–1 or empty,
 * `data-approved`, `data-rejected`, and `data-recent` for the last 15 minutes), and a table of both
 * periods.
 *
 * @module supervisor/service
 */

import {byId, byTestId} from '/shared/dom.js';
import {formatDuration} from '/shared/time.js';
import {t} from '/supervisor/strings.js';

/** @typedef {import('/supervisor/wait-chart.js').ServiceFigures} ServiceFigures */
/** @typedef {import('/supervisor/wait-chart.js').PeriodFigures} PeriodFigures */

/**
 * @param {number|null} share 0–1
 * @param {number} [digits] decimals of the percentage
 * @returns {string} e.g. "95 %", or "—" when there is nothing to count
 */
export function percent(share, digits = 0) {
  return share === null ? '—' : `${(share * 100).toFixed(digits)}\u00a0%`;
}

/**
 * @param {number|null} seconds
 * @returns {string} e.g. "0:12", or "—"
 */
export function duration(seconds) {
  return seconds === null ? '—' : formatDuration(Math.round(seconds));
}

/**
 * @param {number|null|undefined} value
 * @returns {string} the number for a `data-*` attribute, empty when null
 */
function dataValue(value) {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
}

/** @type {ReadonlyArray<[string, (period: PeriodFigures) => string]>} row label key and its figure */
const ROWS = [
  ['row.service_level', (p) => percent(p.service_level)],
  ['row.answered', (p) => String(p.answered)],
  ['row.abandoned', (p) => String(p.abandoned)],
  ['row.abandon_rate', (p) => percent(p.abandon_rate)],
  ['row.average_wait', (p) => duration(p.average_wait_seconds)],
  ['row.average_wait_elderly', (p) => duration(p.average_wait_elderly_seconds)],
  ['row.average_handle', (p) => duration(p.average_handle_seconds)],
  ['row.review_pass_rate', (p) => percent(p.review_pass_rate, 2)],
  ['row.reviews', (p) => `${p.reviews_approved} / ${p.reviews_rejected}`],
];

export class ServiceView {
  constructor() {
    /** @private */ this.ui = {
      level: byTestId('service-level', HTMLElement),
      value: byId('service-level-value', HTMLElement),
      label: byId('service-level-label', HTMLElement),
      passRate: byTestId('review-pass-rate', HTMLElement),
      passRateValue: byId('review-pass-rate-value', HTMLElement),
      passRateLabel: byId('review-pass-rate-label', HTMLElement),
      rows: byId('service-rows', HTMLTableSectionElement),
    };
  }

  /** @param {ServiceFigures} service */
  render(service) {
    const {ui} = this;
    const recent = service.last_15_minutes;
    const today = service.today;
    ui.level.dataset.value = dataValue(recent.service_level);
    ui.level.dataset.today = dataValue(today.service_level);
    ui.level.dataset.answered = String(recent.answered);
    ui.value.textContent = percent(recent.service_level);
    ui.label.textContent = t('service.level_label', {threshold: service.threshold_seconds});

    ui.passRate.dataset.value = dataValue(today.review_pass_rate);
    ui.passRate.dataset.recent = dataValue(recent.review_pass_rate);
    ui.passRate.dataset.approved = String(today.reviews_approved);
    ui.passRate.dataset.rejected = String(today.reviews_rejected);
    ui.passRateValue.textContent = percent(today.review_pass_rate, 2);
    const decided = today.reviews_approved + today.reviews_rejected;
    ui.passRateLabel.textContent = decided ?
      t('service.pass_rate_label', {approved: today.reviews_approved, decided}) :
      t('service.pass_rate_label_none');

    ui.rows.replaceChildren(...ROWS.map(([key, figure]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = t(key);
      const last = document.createElement('td');
      last.className = 'num';
      last.textContent = figure(recent);
      const whole = document.createElement('td');
      whole.className = 'num';
      whole.textContent = figure(today);
      tr.append(th, last, whole);
      return tr;
    }));
  }
}
