/**
 * Re-deriving an opened record's identity-check decisions: the recorded evidence (decrypted here, in
 * the auditor's browser) goes to the server's pure decision code, which re-runs it and compares the
 * result with the recorded decision — identical with the same code version; with a later version,
 * the differences reason by reason.
 *
 * Hooks (`data-testid`): `redecide` (the section, `data-state` = `idle`|`running`|`done`|`error`),
 * `redecide-button`, `redecide-current-policy` (checkbox: today's thresholds instead of the recorded
 * ones), `redecide-result` (one `li` per decision: `data-attempt`, `data-verdict` =
 * `identical`|`differs`|`mismatch`, `data-recorded`, `data-rederived`, `data-same-version`), and
 * `redecide-difference` items (`data-what`) inside it.
 *
 * @module auditor/redecide
 */

import {send, recordPath} from '/auditor/api.js';

/** @typedef {{kind: string, data: Record<string, unknown>}} Event */

/**
 * @typedef {object} Difference
 * @property {string} what
 * @property {unknown} recorded
 * @property {unknown} rederived
 */

/**
 * @typedef {object} Redecision
 * @property {string} attempt
 * @property {'identical'|'differs'|'mismatch'} verdict
 * @property {boolean} same_version
 * @property {string} recorded_version
 * @property {string} current_version
 * @property {string} policy
 * @property {string|null} recorded_outcome
 * @property {string|null} rederived_outcome
 * @property {Difference[]} differences
 * @property {string[]} policy_notes
 */

const VERDICT_TEXT = {
  identical: 'Reproduced exactly',
  differs: 'Decided differently',
  mismatch: 'NOT reproduced by the same code: the record or the code was altered',
};

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 * @returns {HTMLElement}
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** @param {unknown} value */
function shown(value) {
  return value === null || value === undefined ? '—' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export class RedecidePanel {
  /** @param {Element} after the element the section goes after (the timeline box) */
  constructor(after) {
    this.root = element('section', 'redecide');
    this.root.dataset.testid = 'redecide';
    this.root.dataset.state = 'idle';
    this.root.hidden = true;
    const heading = element('h3', '', 'Re-derive the identity-check decisions');
    const explain = element('p', 'hint', 'Runs the decision code again on the evidence in this record and compares.');
    this.current = /** @type {HTMLInputElement} */ (element('input'));
    this.current.type = 'checkbox';
    this.current.id = 'redecide-current-policy';
    this.current.dataset.testid = 'redecide-current-policy';
    const label = /** @type {HTMLLabelElement} */ (element('label', '', ' with today\u2019s thresholds'));
    label.htmlFor = this.current.id;
    label.prepend(this.current);
    this.button = /** @type {HTMLButtonElement} */ (element('button', 'button secondary', 'Re-derive'));
    this.button.type = 'button';
    this.button.dataset.testid = 'redecide-button';
    this.status = element('p', 'hint');
    this.status.setAttribute('role', 'status');
    this.results = element('ol', 'redecide-results');
    this.results.dataset.testid = 'redecide-result';
    this.root.append(heading, explain, label, this.button, this.status, this.results);
    after.after(this.root);
    /** @type {string|null} */ this.recordId = null;
    /** @type {Event[]} */ this.events = [];
    this.button.addEventListener('click', () => void this.run());
  }

  /**
   * Offer re-derivation for an opened record (only when it holds verification decisions).
   * @param {string} recordId
   * @param {Event[]} events its decrypted timeline
   */
  show(recordId, events) {
    this.recordId = recordId;
    this.events = events.filter((e) => e.kind === 'verification_decided' || e.kind === 'verification_evidence');
    this.results.replaceChildren();
    this.status.textContent = '';
    this.root.dataset.state = 'idle';
    this.root.hidden = !this.events.some((e) => e.kind === 'verification_decided');
  }

  /** Forget the record (its evidence is biometric data). */
  clear() {
    this.recordId = null;
    this.events = [];
    this.results.replaceChildren();
    this.root.hidden = true;
  }

  async run() {
    const recordId = this.recordId;
    if (!recordId) return;
    this.root.dataset.state = 'running';
    this.button.disabled = true;
    this.status.textContent = 'Re-running the decision code…';
    try {
      const query = this.current.checked ? '?policy=current' : '';
      const answer = await send(recordPath(recordId, `redecide${query}`), 'POST', {
        events: this.events.map((e) => ({kind: e.kind, data: e.data})),
      });
      if (recordId !== this.recordId) return;
      this.render(/** @type {Redecision[]} */ (answer.decisions));
      this.root.dataset.state = 'done';
      this.status.textContent = '';
    } catch (error) {
      this.root.dataset.state = 'error';
      this.status.textContent = error instanceof Error ? error.message : String(error);
    } finally {
      this.button.disabled = false;
    }
  }

  /** @param {Redecision[]} decisions */
  render(decisions) {
    this.results.replaceChildren();
    for (const d of decisions) {
      const li = element('li', `redecide-item ${d.verdict}`);
      li.dataset.attempt = d.attempt;
      li.dataset.verdict = d.verdict;
      li.dataset.recorded = d.recorded_outcome ?? '';
      li.dataset.rederived = d.rederived_outcome ?? '';
      li.dataset.sameVersion = String(d.same_version);
      li.append(element('strong', '', `${VERDICT_TEXT[d.verdict]}: recorded ${shown(d.recorded_outcome)}, ` +
        `re-derived ${shown(d.rederived_outcome)}`));
      li.append(element('p', 'hint', `Decision code ${d.recorded_version} (recorded) / ${d.current_version} ` +
        `(now)${d.same_version ? ', the same version' : ', a different version'}; thresholds: ${d.policy}.`));
      if (d.differences.length) {
        const list = element('ul', 'redecide-differences');
        for (const difference of d.differences) {
          const item = element('li', '', `${difference.what}: ${shown(difference.recorded)} \u2192 ` +
            `${shown(difference.rederived)}`);
          item.dataset.testid = 'redecide-difference';
          item.dataset.what = difference.what;
          list.append(item);
        }
        li.append(list);
      }
      for (const note of d.policy_notes) {
        li.append(element('p', 'hint', note));
      }
      this.results.append(li);
    }
  }
}
