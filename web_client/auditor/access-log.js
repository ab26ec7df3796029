/**
 * The access log: every opening of a record (who, when, which, why), shown and verified here.
 *
 * The server sends each entry's stored line; this page checks the chain itself: entry n has
 * `seq` n and `prev` = SHA-256 of line n-1 (64 zeros for the first), so an edited, removed or
 * reordered entry shows as broken (docs/auditing.md).
 *
 * @module access-log
 */

import {getJson} from '/auditor/api.js';
import {sha256, toHex} from '/auditor/record-crypto.js';
import {t} from '/auditor/strings.js';

const GENESIS = '0'.repeat(64);

/**
 * @typedef {object} AccessEntry
 * @property {number} seq
 * @property {number} at_us
 * @property {string} auditor
 * @property {string} record_id
 * @property {string} reason
 * @property {string} prev
 */

/**
 * @typedef {object} ChainProblem where the chain breaks
 * @property {'numbered'|'chain'|'json'} code
 * @property {number} entry 1-based position in the log
 * @property {number} [seq] the number the entry carries (`numbered`)
 */

/**
 * @param {string[]} lines stored lines, in order
 * @returns {Promise<{entries: AccessEntry[], problems: ChainProblem[], head: string}>}
 */
export async function checkAccessLog(lines) {
  /** @type {AccessEntry[]} */
  const entries = [];
  /** @type {ChainProblem[]} */
  const problems = [];
  let prev = GENESIS;
  for (let i = 0; i < lines.length; i += 1) {
    const bytes = new TextEncoder().encode(lines[i]);
    try {
      const entry = JSON.parse(lines[i]);
      entries.push(entry);
      if (entry.seq !== i + 1) {
        problems.push({code: 'numbered', entry: i + 1, seq: entry.seq});
      }
      if (entry.prev !== prev) {
        problems.push({code: 'chain', entry: i + 1});
      }
    } catch {
      problems.push({code: 'json', entry: i + 1});
    }
    prev = toHex(await sha256(bytes));
  }
  return {entries, problems, head: prev};
}

/**
 * @param {ChainProblem} problem
 * @returns {string} the problem in the page language
 */
function problemText(problem) {
  return t(`access.problem_${problem.code}`, {entry: problem.entry, previous: problem.entry - 1,
    seq: String(problem.seq ?? '')});
}

/**
 * Fetch, verify and show the log.
 * @param {HTMLTableSectionElement} rows
 * @param {HTMLElement} table carries `data-count`
 * @param {HTMLElement} status carries `data-state` = `intact` | `broken` | `error`
 * @returns {Promise<void>}
 */
export async function showAccessLog(rows, table, status) {
  status.dataset.state = 'checking';
  status.textContent = t('access.checking');
  let lines;
  try {
    lines = /** @type {{lines: string[]}} */ (await getJson('/api/access-log')).lines;
  } catch {
    status.dataset.state = 'error';
    status.textContent = t('access.load_failed');
    return;
  }
  const {entries, problems, head} = await checkAccessLog(lines);
  rows.replaceChildren();
  for (const entry of [...entries].reverse()) {
    const row = document.createElement('tr');
    row.dataset.seq = String(entry.seq);
    row.dataset.recordId = entry.record_id;
    for (const [text, cls] of [
      [String(entry.seq), 'num'],
      [new Date(entry.at_us / 1000).toLocaleString(), ''],
      [entry.auditor, ''],
      [entry.record_id, 'mono'],
      [entry.reason, ''],
    ]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      if (cls) {
        cell.className = cls;
      }
      row.append(cell);
    }
    rows.append(row);
  }
  table.dataset.count = String(entries.length);
  status.dataset.state = problems.length ? 'broken' : 'intact';
  status.dataset.head = head;
  status.textContent = problems.length
    ? t('access.broken', {problems: problems.map(problemText).join('; ')})
    : t('access.intact', {count: entries.length, head: head.slice(0, 16)});
}
