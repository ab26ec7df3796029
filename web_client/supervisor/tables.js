/**
 * The supervisor's live tables, rebuilt from each `supervisor_snapshot`: the queue by business and
 * lane, the tellers with their states, and the live sessions. Every row carries its key figures in
 * `data-*` attributes for automated checks; text goes in through `textContent` only.
 *
 * @module supervisor/tables
 */

import {formatDuration} from '/shared/time.js';
import {
  awayReasonLabel, businessLabel, laneLabel, sessionStateLabel, tellerStateLabel,
} from '/supervisor/labels.js';
import {t} from '/supervisor/strings.js';

/** @typedef {import('/shared/signaling.js').QueueSnapshot} QueueSnapshot */
/** @typedef {import('/shared/signaling.js').TellerSnapshot} TellerSnapshot */
/** @typedef {import('/shared/signaling.js').SessionSnapshot} SessionSnapshot */

/**
 * @typedef {object} MonitorButtons how the rows' `monitor-button`s look right now
 * @property {string|null} sessionId the session being monitored (or asked for), if any
 * @property {boolean} available false while signed out or while any monitoring is under way
 */

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
  }, t('queue.empty'));
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
      cell(t(teller.elder_care ? 'tellers.yes' : 'tellers.no')),
    );
    return tr;
  }, t('tellers.empty'));
}

/**
 * Show the live sessions, longest first. Rows are keyed by session and updated in place, so that a
 * row's `monitor-button` survives the snapshots that arrive every 2 s (keeping focus and a click in
 * progress); each row carries `data-session-id`, `data-state`, `data-kind` and, while it is
 * monitored, `data-monitored="true"`.
 * @param {HTMLTableSectionElement} body
 * @param {readonly SessionSnapshot[]} sessions
 * @param {MonitorButtons} monitor
 */
export function renderSessions(body, sessions, monitor) {
  if (sessions.length === 0) {
    fill(body, sessions, () => document.createElement('tr'), t('sessions.empty'));
    return;
  }
  const sorted = [...sessions].sort((a, b) => b.seconds - a.seconds);
  /** @type {Map<string, HTMLTableRowElement>} */
  const existing = new Map();
  for (const tr of body.rows) {
    if (tr.dataset.sessionId) {
      existing.set(tr.dataset.sessionId, tr);
    }
  }
  sorted.forEach((session, index) => {
    const tr = existing.get(session.session_id) ?? sessionRow(session.session_id);
    updateSessionRow(tr, session, monitor);
    if (body.rows[index] !== tr) {
      body.insertBefore(tr, body.rows[index] ?? null);
    }
  });
  while (body.rows.length > sorted.length) {
    body.rows[sorted.length].remove();
  }
}

/**
 * Update only the monitor buttons (after a click or a `monitor_stopped`, between snapshots).
 * @param {HTMLTableSectionElement} body
 * @param {MonitorButtons} monitor
 */
export function updateMonitorButtons(body, monitor) {
  for (const tr of body.rows) {
    const button = tr.querySelector('[data-testid="monitor-button"]');
    if (tr.dataset.sessionId && button instanceof HTMLButtonElement) {
      setMonitorButton(tr, button, monitor);
    }
  }
}

/**
 * @param {string} sessionId
 * @returns {HTMLTableRowElement} an empty row of six cells, the last holding the monitor button
 */
function sessionRow(sessionId) {
  const tr = document.createElement('tr');
  tr.dataset.sessionId = sessionId;
  const monitor = document.createElement('button');
  monitor.type = 'button';
  monitor.className = 'button secondary small';
  monitor.dataset.testid = 'monitor-button';
  tr.append(cell(''), cell(''), cell(''), cell(''), cell('', 'num mono'), cell(monitor));
  return tr;
}

/**
 * @param {HTMLTableRowElement} tr made by {@link sessionRow}
 * @param {SessionSnapshot} session
 * @param {MonitorButtons} monitor
 */
function updateSessionRow(tr, session, monitor) {
  tr.dataset.state = session.state;
  tr.dataset.kind = session.kind;
  const [customerCell, tellerCell, businessCell, stateCell, durationCell, buttonCell] = tr.cells;
  const customer = document.createElement('span');
  customer.textContent = session.customer;
  if (session.kind === 'callback') {
    customer.append(' ', pill(t('sessions.callback'), 'badge'));
  }
  customerCell.replaceChildren(customer);
  tellerCell.textContent = session.teller;
  businessCell.textContent = businessLabel(session.business);
  stateCell.textContent = sessionStateLabel(session.state);
  durationCell.textContent = formatDuration(session.seconds);
  const button = /** @type {HTMLButtonElement} */ (buttonCell.firstElementChild);
  button.dataset.customer = session.customer;
  setMonitorButton(tr, button, monitor);
}

/**
 * @param {HTMLTableRowElement} tr
 * @param {HTMLButtonElement} button
 * @param {MonitorButtons} monitor
 */
function setMonitorButton(tr, button, monitor) {
  const monitored = tr.dataset.sessionId === monitor.sessionId;
  const ended = tr.dataset.state === 'ended';
  const customer = button.dataset.customer ?? '';
  if (monitored) {
    tr.dataset.monitored = 'true';
  } else {
    delete tr.dataset.monitored;
  }
  button.textContent = t(monitored ? 'monitor_button.monitoring' : 'monitor_button.monitor');
  button.disabled = monitored || ended || !monitor.available;
  if (monitored) {
    button.title = t('monitor_button.title_monitored');
  } else if (ended) {
    button.title = t('monitor_button.title_ended');
  } else if (!monitor.available) {
    button.title = t('monitor_button.title_busy');
  } else {
    button.title = t('monitor_button.title_available');
  }
  button.setAttribute('aria-label', t('monitor_button.aria', {customer}));
}
