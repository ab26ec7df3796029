/**
 * The supervisor's live tables, rebuilt from each `supervisor_snapshot`: the queue by business and
 * lane, the tellers with their states, and the live sessions. Every row carries its key figures in
 * `data-*` attributes for automated checks; text goes in through `textContent` only.
 *
 * @module supervisor/tables
 */

import {businessLabel} from '/shared/businesses.js';
import {formatDuration} from '/shared/time.js';
import {awayReasonLabel, laneLabel, sessionStateLabel, tellerStateLabel} from '/supervisor/labels.js';

/** @typedef {import('/shared/signaling.js').QueueSnapshot} QueueSnapshot */
/** @typedef {import('/shared/signaling.js').TellerSnapshot} TellerSnapshot */
/** @typedef {import('/shared/signaling.js').SessionSnapshot} SessionSnapshot */

/** Why the monitor buttons are disabled (DESIGN.md: forbidden buttons are present but disabled). */
export const MONITOR_UNAVAILABLE = 'Silent monitoring is not available yet: it comes in a later version.';

/**
 * @param {string|Node} content text, or an element
 * @param {string} [className]
 * @returns {HTMLTableCellElement}
 */
function cell(content, className) {
  const td = document.createElement('td');
  if (typeof content === 'string') {
    td.textContent = content;
  } else {
    td.append(content);
  }
  if (className) {
    td.className = className;
  }
  return td;
}

/**
 * @param {string} text
 * @param {string} className
 * @returns {HTMLSpanElement}
 */
function pill(text, className) {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = text;
  return span;
}

/**
 * Replace the rows of `body`; an empty list shows one row saying `emptyText`.
 * @template T
 * @param {HTMLTableSectionElement} body
 * @param {readonly T[]} items
 * @param {(item: T) => HTMLTableRowElement} row
 * @param {string} emptyText
 */
function fill(body, items, row, emptyText) {
  if (items.length === 0) {
    const tr = document.createElement('tr');
    tr.className = 'empty';
    const td = cell(emptyText);
    const columns = body.closest('table')?.tHead?.rows[0]?.cells.length ?? 1;
    td.colSpan = columns;
    tr.append(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...items.map(row));
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {readonly QueueSnapshot[]} queues
 */
export function renderQueues(body, queues) {
  fill(body, queues, (queue) => {
    const tr = document.createElement('tr');
    tr.dataset.business = queue.business;
    tr.dataset.lane = queue.lane;
    tr.dataset.waiting = String(queue.waiting);
    tr.dataset.callbacks = String(queue.callbacks);
    tr.dataset.longestWaitSeconds = String(queue.longest_wait_seconds);
    tr.append(
      cell(businessLabel(queue.business)),
      cell(pill(laneLabel(queue.lane), `lane lane-${queue.lane}`)),
      cell(String(queue.waiting), 'num'),
      cell(String(queue.callbacks), 'num'),
      cell(formatDuration(queue.longest_wait_seconds), 'num mono'),
    );
    return tr;
  }, 'Nobody is waiting.');
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {readonly TellerSnapshot[]} tellers
 */
export function renderTellers(body, tellers) {
  const sorted = [...tellers].sort((a, b) => a.display_name.localeCompare(b.display_name));
  fill(body, sorted, (teller) => {
    const tr = document.createElement('tr');
    tr.dataset.username = teller.username;
    tr.dataset.state = teller.state;
    tr.dataset.reason = teller.reason ?? '';
    tr.dataset.secondsInState = String(teller.seconds_in_state);
    const name = document.createElement('span');
    name.textContent = teller.display_name;
    const username = pill(teller.username, 'username mono');
    const who = document.createElement('span');
    who.append(name, ' ', username);
    const state = pill(tellerStateLabel(teller.state), 'state-pill');
    state.dataset.state = teller.state;
    tr.append(
      cell(who),
      cell(state),
      cell(awayReasonLabel(teller.reason)),
      cell(formatDuration(teller.seconds_in_state), 'num mono'),
      cell(teller.elder_care ? 'Yes' : 'No'),
    );
    return tr;
  }, 'No teller is signed in.');
}

/**
 * @param {HTMLTableSectionElement} body
 * @param {readonly SessionSnapshot[]} sessions
 */
export function renderSessions(body, sessions) {
  const sorted = [...sessions].sort((a, b) => b.seconds - a.seconds);
  fill(body, sorted, (session) => {
    const tr = document.createElement('tr');
    tr.dataset.sessionId = session.session_id;
    tr.dataset.state = session.state;
    tr.dataset.kind = session.kind;
    const monitor = document.createElement('button');
    monitor.type = 'button';
    monitor.className = 'button secondary small';
    monitor.dataset.testid = 'monitor-button';
    monitor.textContent = 'Monitor';
    monitor.disabled = true;
    monitor.title = MONITOR_UNAVAILABLE;
    monitor.setAttribute('aria-label', `Monitor the call of ${session.customer} (not available yet)`);
    const customer = document.createElement('span');
    customer.textContent = session.customer;
    if (session.kind === 'callback') {
      customer.append(' ', pill('call-back', 'badge'));
    }
    tr.append(
      cell(customer),
      cell(session.teller),
      cell(businessLabel(session.business)),
      cell(sessionStateLabel(session.state)),
      cell(formatDuration(session.seconds), 'num mono'),
      cell(monitor),
    );
    return tr;
  }, 'No call in progress.');
}
