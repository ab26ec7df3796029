/**
 * The teller's co-browse panel: ask to see the customer's app, watch it live in a sandboxed mirror at
 * the phone's size, and guide — highlight, pointer, push a screen — and, after the customer's second
 * consent, tap and scroll for them. There is no way to type: nothing here sends text.
 *
 * Hooks: `cobrowse-panel`, `cobrowse-status[data-state]` (`idle`, `requested`, `sharing`, `denied`,
 * `stopped`; `data-control` `off`/`requested`/`on`; `data-screen`; `data-received` = snapshots and
 * batches received), `cobrowse-request`, `cobrowse-end`, `control-request`, `cobrowse-highlight`
 * and `cobrowse-pointer` (toggles, `aria-pressed`), `cobrowse-push-screen`, `cobrowse-push`,
 * `cobrowse-view` (the iframe, sandboxed without scripts), `cobrowse-overlay` (takes the clicks),
 * `cobrowse-viewport[data-top]` (the part of the app the customer sees now).
 *
 * @module teller/cobrowse/panel
 */

import {Mirror} from '/teller/cobrowse/mirror.js';
import {t} from '/teller/strings.js';

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */

/** Screens of the customer's app the teller may suggest (labels: teller/strings.js `screen.*`). */
const SCREENS = /** @type {const} */ (['activate_card', 'social_security', 'change_password', 'my_info', 'help',
  'home']);

/** Sharing states the panel names (`cobrowse.<state>` in teller/strings.js). */
const STATES = new Set(['idle', 'requested', 'sharing', 'denied', 'stopped']);

/** The mirror document: our stylesheets only; the sandbox lets no script run in it. */
const MIRROR_DOCUMENT = '<!doctype html><html><head><meta charset="utf-8">' +
  '<link rel="stylesheet" href="/shared/style.css"><link rel="stylesheet" href="/customer/customer.css">' +
  '<link rel="stylesheet" href="/customer/app/app.css">' +
  '</head><body class="cb-mirror"></body></html>';

/**
 * @param {string} tag
 * @param {Record<string, string>} attrs
 * @param {(Node|string)[]} [children]
 * @returns {HTMLElement}
 */
function el(tag, attrs, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

export class CobrowsePanel {
  /** @param {Element} parent where the panel goes */
  constructor(parent) {
    /** @private @type {SignalingClient|null} */ this.client = null;
    /** @private @type {string|null} */ this.sessionId = null;
    /** @private @type {Mirror|null} */ this.mirror = null;
    /** @private @type {((mirror: Mirror) => void)[]} */ this.waiting = [];
    /** @private */ this.state = 'idle';
    /** @private */ this.controlState = 'off';
    /** @private */ this.pointerQueued = false;
    /** @private @type {{x: number, y: number}} */ this.pointerAt = {x: 0, y: 0};

    this.status = el('p', {class: 'status cb-status', 'data-testid': 'cobrowse-status', 'data-state': 'idle',
      'data-control': 'off', 'data-screen': '', 'data-received': '0', role: 'status', 'aria-live': 'polite'});
    this.request = el('button', {type: 'button', class: 'button', 'data-testid': 'cobrowse-request'},
      [t('cobrowse.request')]);
    this.end = el('button', {type: 'button', class: 'button secondary', 'data-testid': 'cobrowse-end'},
      [t('cobrowse.end')]);
    this.controlRequest = el('button', {type: 'button', class: 'button secondary',
      'data-testid': 'control-request'}, [t('cobrowse.control_request')]);
    this.highlight = el('button', {type: 'button', class: 'button secondary', 'data-testid': 'cobrowse-highlight',
      'aria-pressed': 'false'}, [t('cobrowse.highlight')]);
    this.pointer = el('button', {type: 'button', class: 'button secondary', 'data-testid': 'cobrowse-pointer',
      'aria-pressed': 'false'}, [t('cobrowse.pointer')]);
    this.pushScreen = /** @type {HTMLSelectElement} */ (el('select', {'data-testid': 'cobrowse-push-screen',
      'aria-label': t('cobrowse.push_label')}));
    for (const value of SCREENS) {
      this.pushScreen.append(new Option(t(`screen.${value}`), value));
    }
    this.push = el('button', {type: 'button', class: 'button secondary', 'data-testid': 'cobrowse-push'},
      [t('cobrowse.push')]);
    this.frame = /** @type {HTMLIFrameElement} */ (el('iframe', {'data-testid': 'cobrowse-view',
      sandbox: 'allow-same-origin', title: t('cobrowse.frame_title'), width: '390', height: '844',
      referrerpolicy: 'no-referrer'}));
    this.overlay = el('div', {class: 'cb-overlay', 'data-testid': 'cobrowse-overlay', 'data-mode': 'view'});
    this.stoppedNote = el('p', {class: 'cb-stopped', 'data-testid': 'cobrowse-stopped'},
      [t('cobrowse.not_shared')]);
    this.band = el('div', {class: 'cb-viewport', 'data-testid': 'cobrowse-viewport', 'data-top': '0',
      'aria-hidden': 'true'});
    const wrap = el('div', {class: 'cb-frame-wrap'}, [this.frame, this.band, this.overlay, this.stoppedNote]);
    this.panel = el('section', {class: 'card cobrowse-panel', 'data-testid': 'cobrowse-panel',
      'aria-label': t('cobrowse.heading')}, [
      el('h2', {}, [t('cobrowse.heading')]),
      this.status,
      el('div', {class: 'actions'}, [this.request, this.end, this.controlRequest]),
      el('div', {class: 'actions'}, [this.highlight, this.pointer, this.pushScreen, this.push]),
      wrap,
    ]);
    parent.append(this.panel);
    this.frame.addEventListener('load', () => {
      const doc = this.frame.contentDocument;
      if (doc?.body) {
        this.mirror = new Mirror(doc.body);
        for (const run of this.waiting.splice(0)) {
          run(this.mirror);
        }
      }
    }, {once: true});
    this.frame.srcdoc = MIRROR_DOCUMENT;

    this.request.addEventListener('click', () => this.send({type: 'cobrowse_request'}));
    this.end.addEventListener('click', () => this.send({type: 'cobrowse_stop', scope: 'view'}));
    this.controlRequest.addEventListener('click', () => this.send({type: 'cobrowse_control_request'}));
    this.highlight.addEventListener('click', () => this.toggle(this.highlight, this.pointer));
    this.pointer.addEventListener('click', () => this.toggle(this.pointer, this.highlight));
    this.push.addEventListener('click', () => {
      this.send({type: 'cobrowse_guide', action: 'push', screen: this.pushScreen.value});
    });
    this.overlay.addEventListener('click', (event) => this.onOverlayClick(event));
    this.overlay.addEventListener('mousemove', (event) => this.onOverlayMove(event));
    this.overlay.addEventListener('wheel', (event) => {
      if (this.controlState === 'on') {
        event.preventDefault();
        this.send({type: 'cobrowse_control', action: 'scroll', dy: Math.max(-5000, Math.min(5000,
          Math.round(event.deltaY)))});
      }
    }, {passive: false});
    this.render();
  }

  /**
   * Listen on a new signaling client.
   * @param {SignalingClient} client
   */
  attach(client) {
    this.client = client;
    client.on('session_started', (message) => {
      this.reset();
      this.sessionId = message.session_id;
      this.render();
    });
    client.on('session_resumed', (message) => {
      this.reset();
      this.sessionId = message.session_id; // the server says again where co-browsing stands
      this.render();
    });
    client.on('session_ended', (message) => {
      if (message.session_id === this.sessionId) {
        this.reset();
        this.sessionId = null;
        this.render();
      }
    });
    client.onClose(() => {
      this.reset();
      this.sessionId = null;
      this.render();
    });
    client.on('cobrowse_state', (message) => {
      if (message.session_id !== this.sessionId) {
        return;
      }
      this.state = message.state;
      this.controlState = message.control;
      if (message.state !== 'sharing') {
        this.withMirror((mirror) => mirror.clear());
      }
      this.render();
    });
    client.on('cobrowse_snapshot', (message) => {
      if (message.session_id !== this.sessionId) {
        return;
      }
      this.received();
      this.withMirror((mirror) => {
        mirror.load(message);
        this.fit(mirror);
      });
    });
    client.on('cobrowse_events', (message) => {
      if (message.session_id !== this.sessionId) {
        return;
      }
      this.received();
      this.withMirror((mirror) => {
        mirror.apply(message.events);
        this.fit(mirror);
      });
    });
  }

  /**
   * Size the mirror like the phone (its width) and tall enough for the whole app area, so the
   * console page scrolls to show all of it.
   * @private
   * @param {Mirror} mirror
   */
  fit(mirror) {
    this.frame.width = String(mirror.viewport.width);
    const content = this.frame.contentDocument?.documentElement.scrollHeight ?? 0;
    this.frame.height = String(Math.max(mirror.viewport.height, content));
    this.status.dataset.screen = mirror.screen;
    // What the customer sees now: their viewport's height, from where it starts in the app area.
    this.band.dataset.top = String(mirror.viewTop);
    this.band.style.top = `${mirror.viewTop}px`;
    this.band.style.height = `${mirror.viewport.height}px`;
  }

  /** @private */
  received() {
    this.status.dataset.received = String(Number(this.status.dataset.received) + 1);
  }

  /**
   * @private
   * @param {(mirror: Mirror) => void} run now, or once the mirror document has loaded
   */
  withMirror(run) {
    if (this.mirror) {
      run(this.mirror);
    } else {
      this.waiting.push(run);
    }
  }

  /** @private */
  reset() {
    this.state = 'idle';
    this.controlState = 'off';
    this.status.dataset.received = '0';
    this.status.dataset.screen = '';
    this.withMirror((mirror) => mirror.clear());
  }

  /** @private */
  render() {
    const inCall = this.sessionId !== null;
    const sharing = this.state === 'sharing';
    this.status.dataset.state = this.state;
    this.status.dataset.control = this.controlState;
    this.status.textContent = inCall ? STATES.has(this.state) ? t(`cobrowse.${this.state}`) : this.state :
      t('cobrowse.no_call');
    if (sharing && this.controlState !== 'off') {
      this.status.textContent += ` ${t(this.controlState === 'on' ? 'cobrowse.control_on' :
        'cobrowse.control_requested')}`;
    }
    /** @type {HTMLButtonElement} */ (this.request).disabled = !inCall || this.state === 'requested' || sharing;
    /** @type {HTMLButtonElement} */ (this.end).disabled = !inCall || !sharing && this.state !== 'requested';
    /** @type {HTMLButtonElement} */ (this.controlRequest).disabled = !sharing || this.controlState !== 'off';
    for (const tool of [this.highlight, this.pointer, this.push]) {
      /** @type {HTMLButtonElement} */ (tool).disabled = !sharing;
    }
    this.pushScreen.disabled = !sharing;
    if (!sharing) {
      this.highlight.setAttribute('aria-pressed', 'false');
      this.pointer.setAttribute('aria-pressed', 'false');
    }
    this.stoppedNote.hidden = sharing;
    this.band.hidden = !sharing;
    this.overlay.dataset.mode = this.mode();
  }

  /**
   * @private
   * @param {HTMLElement} on the tool pressed
   * @param {HTMLElement} other the other tool (one at a time)
   */
  toggle(on, other) {
    on.setAttribute('aria-pressed', String(on.getAttribute('aria-pressed') !== 'true'));
    other.setAttribute('aria-pressed', 'false');
    this.overlay.dataset.mode = this.mode();
  }

  /**
   * @private
   * @returns {'highlight'|'pointer'|'control'|'view'}
   */
  mode() {
    if (this.highlight.getAttribute('aria-pressed') === 'true') {
      return 'highlight';
    }
    if (this.pointer.getAttribute('aria-pressed') === 'true') {
      return 'pointer';
    }
    return this.controlState === 'on' ? 'control' : 'view';
  }

  /**
   * @private
   * @param {MouseEvent} event
   */
  onOverlayClick(event) {
    const mode = this.mode();
    if (!this.mirror || (mode !== 'highlight' && mode !== 'control')) {
      return;
    }
    const box = this.frame.getBoundingClientRect();
    const target = this.frame.contentDocument?.elementFromPoint(event.clientX - box.left, event.clientY - box.top);
    const node = target ? this.mirror.idOf(target) : null;
    if (node === null) {
      return;
    }
    if (mode === 'highlight') {
      this.send({type: 'cobrowse_guide', action: 'highlight', node});
    } else {
      this.send({type: 'cobrowse_control', action: 'tap', node});
    }
  }

  /**
   * @private
   * @param {MouseEvent} event
   */
  onOverlayMove(event) {
    if (this.mode() !== 'pointer') {
      return;
    }
    const box = this.overlay.getBoundingClientRect();
    const doc = this.frame.contentDocument;
    const body = doc?.body;
    // Fractions of the mirrored app area (the customer draws the pointer over theirs).
    const area = body?.firstElementChild?.getBoundingClientRect();
    const frameBox = this.frame.getBoundingClientRect();
    const left = area ? frameBox.left + area.left : box.left;
    const top = area ? frameBox.top + area.top : box.top;
    const width = area?.width || box.width;
    const height = area?.height || box.height;
    this.pointerAt = {
      x: Math.min(1, Math.max(0, (event.clientX - left) / width)),
      y: Math.min(1, Math.max(0, (event.clientY - top) / height)),
    };
    if (!this.pointerQueued) {
      this.pointerQueued = true;
      requestAnimationFrame(() => {
        this.pointerQueued = false;
        this.send({type: 'cobrowse_guide', action: 'pointer', ...this.pointerAt});
      });
    }
  }

  /**
   * @private
   * @param {{type: string} & Record<string, unknown>} message
   */
  send(message) {
    if (this.client && this.sessionId) {
      this.client.send({...message, session_id: this.sessionId});
    }
  }
}
