/**
 * The phone's call screen: one focused screen per moment.
 *
 * In a call the page is exactly one screen high (`html[data-view="call"]`): the status line, the
 * teller's video with the self-view (`call-head`), the demo app's scroll area (`call-body`), and the
 * sheet (`call-sheet`) with the one thing to do now. Nothing the customer must read or tap is ever
 * below the fold: the stage gives up height (`data-stage-size` roomy → compact → small → tiny) until the
 * sheet fits. While the teller looks at the customer's screen the sheet folds into a bar that names
 * the step (`data-collapsed`; `sheet-expand` folds and unfolds it) so the app is usable; a new step
 * or result unfolds it.
 *
 * Texts are never replaced before they were shown for a readable moment: a {@link ReadingQueue}
 * holds each for {@link readMs} (at least {@link MIN_READ_MS}) unless the customer dismisses it, and
 * every text shown is written to `step-log` (`li` with `data-source`, `data-kind`, `data-code`,
 * `data-shown-at`, `data-hidden-at`, `data-hold-ms`, and `data-hidden-by`: `next` (replaced by the
 * next text), `customer` (dismissed) or `end` (the call ended); times are `performance.now()`
 * milliseconds), so tests read how long each was on screen.
 *
 * @module customer/call-screen
 */

import {byTestId} from '/shared/dom.js';

export const MIN_READ_MS = 2500;
/** Reading time per character beyond the first 20 (large print and older readers take longer). */
const MS_PER_CHAR = 60;
const MAX_READ_MS = 8000;
const LOG_LIMIT = 200;

/**
 * @param {string} text
 * @returns {number} how long `text` stays before anything replaces it
 */
export function readMs(text) {
  return Math.min(MAX_READ_MS, MIN_READ_MS + Math.max(0, [...text].length - 20) * MS_PER_CHAR);
}

/** @typedef {'result'|'info'|'error'|'prompt'} EntryKind */
/** @typedef {'next'|'customer'|'end'} HiddenBy */

/** The record of what was shown when (`step-log`). */
export class StepLog {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    /** @private */ this.list = list;
  }

  /**
   * Note that something appeared.
   * @param {string} source `flow`, `verification`, `call`, `rating`
   * @param {EntryKind} kind
   * @param {string} code
   * @param {number} holdMs how long it is kept at least (0: no promise)
   * @returns {HTMLLIElement} the entry, to close with {@link StepLog.hidden}
   */
  shown(source, kind, code, holdMs) {
    const entry = document.createElement('li');
    Object.assign(entry.dataset, {source, kind, code, shownAt: String(Math.round(performance.now())),
      holdMs: String(holdMs), hiddenAt: '', hiddenBy: ''});
    this.list.append(entry);
    while (this.list.children.length > LOG_LIMIT) {
      this.list.firstElementChild?.remove();
    }
    return entry;
  }

  /**
   * Note that it went away.
   * @param {HTMLLIElement|null} entry
   * @param {HiddenBy} [by] why
   */
  hidden(entry, by = 'next') {
    if (entry && !entry.dataset.hiddenAt) {
      entry.dataset.hiddenAt = String(Math.round(performance.now()));
      entry.dataset.hiddenBy = by;
    }
  }
}

/**
 * @typedef {object} Reading one text for one place on the screen
 * @property {string} code
 * @property {string} text
 * @property {EntryKind} kind
 */

/** @type {Reading} the end of a text that has been superseded (see {@link ReadingQueue.retire}) */
const RETIRED = {code: '', text: '', kind: 'info'};

/** Shows texts in one place one after another, each for at least its reading time. */
export class ReadingQueue {
  /**
   * @param {string} source for the log
   * @param {StepLog} log
   * @param {(reading: Reading|null) => void} show puts a reading on screen (null: clear)
   */
  constructor(source, log, show) {
    /** @private */ this.source = source;
    /** @private */ this.log = log;
    /** @private */ this.show = show;
    /** @private @type {Reading[]} */ this.waiting = [];
    /** @private @type {HTMLLIElement|null} */ this.entry = null;
    /** @private */ this.until = 0;
    /** @private @type {ReturnType<typeof setTimeout>|undefined} */ this.timer = undefined;
  }

  /** @returns {boolean} whether a reading is on screen and still within its reading time */
  get holding() {
    return this.entry !== null && performance.now() < this.until;
  }

  /** @param {Reading} reading shown now, or as soon as the one on screen has been read */
  push(reading) {
    this.waiting.push(reading);
    this.next();
  }

  /**
   * What is on screen is no longer news (the step it announced is now shown by its own part): it
   * goes once it has been read, unless something else replaces it first.
   */
  retire() {
    if (this.entry !== null && this.entry.dataset.kind === 'info' && this.waiting.length === 0) {
      this.waiting.push(RETIRED);
      this.next();
    }
  }

  /** The customer closed the reading on screen: show the next one at once. */
  dismiss() {
    this.log.hidden(this.entry, 'customer');
    this.entry = null;
    this.until = 0;
    if (this.waiting.length) {
      this.next();
    } else {
      this.show(null);
    }
  }

  /** Forget everything (the call ended). */
  clear() {
    clearTimeout(this.timer);
    this.waiting = [];
    this.log.hidden(this.entry, 'end');
    this.entry = null;
    this.until = 0;
    this.show(null);
  }

  /** @private */
  next() {
    clearTimeout(this.timer);
    const left = this.until - performance.now();
    if (this.entry !== null && left > 0) {
      this.timer = setTimeout(() => this.next(), left + 1);
      return;
    }
    const reading = this.waiting.shift();
    if (!reading) {
      return;
    }
    this.log.hidden(this.entry);
    if (reading === RETIRED) {
      this.entry = null;
      this.until = 0;
      this.show(null);
      this.next();
      return;
    }
    const hold = readMs(reading.text);
    this.entry = this.log.shown(this.source, reading.kind, reading.code, hold);
    this.until = performance.now() + hold;
    this.show(reading);
    if (this.waiting.length) {
      this.timer = setTimeout(() => this.next(), hold + 1);
    }
  }
}

/** Below this height the app's area is not shown in a call (the sheet takes the room). */
const MIN_BODY_PX = 96;
/** The stage sizes tried, largest first, until the sheet fits. */
const STAGE_SIZES = /** @type {const} */ (['roomy', 'compact', 'small', 'tiny']);

export class CallScreen {
  constructor() {
    /** @private */ this.ui = {
      head: /** @type {HTMLElement} */ (document.querySelector('.call-head')),
      stage: /** @type {HTMLElement} */ (document.querySelector('.stage')),
      body: byTestId('call-body', HTMLElement),
      sheet: byTestId('call-sheet', HTMLElement),
    };
    this.log = new StepLog(byTestId('step-log', HTMLOListElement));
    /** The bar of the folded sheet: what the current step is, and a button to unfold it. */
    this.bar = document.createElement('div');
    this.bar.className = 'sheet-bar';
    this.barText = document.createElement('p');
    this.barText.className = 'sheet-bar-text';
    this.expand = document.createElement('button');
    this.expand.type = 'button';
    this.expand.className = 'button secondary sheet-toggle';
    this.expand.dataset.testid = 'sheet-expand';
    this.bar.append(this.barText, this.expand);
    /** What the sheet holds (the flow panel). */
    this.content = document.createElement('div');
    this.content.className = 'sheet-content';
    this.ui.sheet.append(this.bar, this.content);
    /** @private */ this.fitting = false;
    /** @private the teller looks at the customer's screen: the bar stays, to fold the sheet */
    this.sharing = false;
    /** @private the bar's words before an identity check took it over */
    this.stepName = '';
    /** @private a step came during the check: the sheet opens when it is over */
    this.unfoldLater = false;
    /** @private until when (performance.now()) the check's result must stay */
    this.resultUntil = 0;
    /** @private @type {(() => void)|null} takes the check's result away */
    this.endResult = null;
    /** @private @type {ReturnType<typeof setTimeout>|undefined} */ this.resultTimer = undefined;
    /** @private */ this.expandLabels = {expand: '', collapse: ''};
    this.expand.addEventListener('click', () => this.setCollapsed(this.ui.sheet.dataset.collapsed !== 'true'));
    const refit = () => this.fit();
    new ResizeObserver(refit).observe(this.content);
    window.addEventListener('resize', refit);
    new MutationObserver(refit).observe(document.documentElement, {attributes: true,
      attributeFilter: ['data-elderly', 'data-view']});
    this.setCollapsed(false);
  }

  /** @returns {HTMLElement} the app's scroll area in a call */
  get body() {
    return this.ui.body;
  }

  /** @returns {HTMLElement} the stage (videos and the verification overlay) */
  get stage() {
    return this.ui.stage;
  }

  /**
   * Labels of the fold button and the bar.
   * @param {{expand: string, collapse: string}} labels
   */
  setLabels(labels) {
    this.expandLabels = labels;
    this.setCollapsed(this.ui.sheet.dataset.collapsed === 'true');
  }

  /**
   * What the bar says about the step in the folded sheet.
   * @param {string} text
   */
  setStepName(text) {
    if (this.ui.stage.dataset.mode !== 'call') {
      this.stepName = text; // said again when the check is over
    } else {
      this.barText.textContent = text;
    }
  }

  /**
   * Put something on the sheet, under the bar (first: the co-browse banner goes above the bar).
   * @param {Node} node
   * @param {{first?: boolean}} [where]
   */
  mount(node, where = {}) {
    if (where.first) {
      this.ui.sheet.prepend(node);
    } else {
      this.content.append(node);
    }
  }

  /**
   * Fold the sheet into its bar (the app gets the room) or unfold it.
   * @param {boolean} collapsed
   */
  setCollapsed(collapsed) {
    this.ui.sheet.dataset.collapsed = String(collapsed);
    this.content.hidden = collapsed;
    this.bar.hidden = !collapsed && !this.sharing; // unfolded, the step speaks for itself
    this.expand.textContent = collapsed ? this.expandLabels.expand : this.expandLabels.collapse;
    this.expand.setAttribute('aria-expanded', String(!collapsed));
    this.fit();
  }

  /**
   * The teller started or stopped looking at the customer's screen: the app gets the room while
   * they do (the sheet folds into its bar, which then stays so the customer can unfold it).
   * @param {boolean} on
   */
  setSharing(on) {
    this.sharing = on;
    this.setCollapsed(on || this.ui.sheet.dataset.collapsed === 'true');
  }

  /**
   * What the stage shows: the teller large (`call`), the self-view large with the identity check's
   * prompt over it (`check`), or the teller large with the check's result over it (`result`).
   * During `check` and `result` the video is the one thing to follow: the sheet folds and the stage
   * gets the room; it unfolds when the stage is back to `call`.
   * @param {'call'|'check'|'result'} mode
   * @param {string} [barText] what the folded sheet's bar says meanwhile
   */
  setStageMode(mode, barText = '') {
    const was = this.ui.stage.dataset.mode ?? 'call';
    this.ui.stage.dataset.mode = mode;
    if (mode !== 'call' && was === 'call') {
      this.stepName = this.barText.textContent ?? '';
      this.barText.textContent = barText;
      this.setCollapsed(true);
    } else if (mode !== 'call') {
      this.barText.textContent = barText;
    } else if (was !== 'call') {
      clearTimeout(this.resultTimer);
      this.endResult = null;
      this.barText.textContent = this.stepName;
      this.setCollapsed(this.sharing && !this.unfoldLater);
      this.unfoldLater = false;
    }
  }

  /**
   * The check's result is on the video: it stays until it has been read for `minMs` and then
   * something else needs the screen (`unfold`), or until `end` is called otherwise.
   * @param {number} minMs
   * @param {() => void} end takes the result away (and sets the stage back to `call`)
   */
  holdResult(minMs, end) {
    clearTimeout(this.resultTimer);
    this.resultUntil = performance.now() + minMs;
    this.endResult = end;
  }

  /** A new step or result: the sheet opens now, or when the video's check (or its result) is over. */
  unfold() {
    const mode = this.ui.stage.dataset.mode;
    if (mode === 'call') {
      this.setCollapsed(false);
      return;
    }
    this.unfoldLater = true;
    if (mode === 'result' && this.endResult) {
      const end = this.endResult;
      clearTimeout(this.resultTimer);
      this.resultTimer = setTimeout(end, Math.max(0, this.resultUntil - performance.now()));
    }
  }

  /**
   * @private
   * @returns {boolean} whether the sheet, or a text in it, shows less than all of its content
   */
  squeezed() {
    const over = (/** @type {Element} */ e) => e.scrollHeight > e.clientHeight + 1;
    return over(this.ui.sheet) || over(this.content) ||
      [...this.content.querySelectorAll('.flow-reading')].some(over);
  }

  /** Shrink the stage until the sheet shows all of its content (in a call only). */
  fit() {
    if (this.fitting) {
      return;
    }
    this.fitting = true;
    try {
      const root = document.documentElement;
      if (root.dataset.view !== 'call') {
        root.dataset.stageSize = 'roomy';
        return;
      }
      root.dataset.bodyTight = 'false';
      for (const size of STAGE_SIZES) {
        root.dataset.stageSize = size;
        if (!this.squeezed()) {
          break;
        }
      }
      // A sliver of the app between the video and the step helps nobody: the step gets it.
      root.dataset.bodyTight = String(this.ui.body.clientHeight < MIN_BODY_PX);
    } finally {
      this.fitting = false;
    }
  }
}
