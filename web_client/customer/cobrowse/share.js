/**
 * Co-browsing on the customer page: the consent dialogs, the sharing banner, and what the teller's
 * guidance does here (docs/protocol.md, "Co-browsing").
 *
 * Nothing is serialized or sent before the customer allows it and the server confirms `sharing`;
 * `cobrowse-stop` stops the serializer at once, before telling the server. The teller's taps reach
 * only buttons and links outside sensitive areas; inputs are never filled from the teller's side.
 *
 * In a call the app scrolls inside the call screen's body, not the page: that element is the
 * customer's viewport for the mirror (`setScroller`), and the teller's scrolling moves it.
 *
 * Hooks: `cobrowse-consent` (`cobrowse-allow`, `cobrowse-deny`), `cobrowse-banner[data-state]`
 * (`sharing`/`off`, `data-control` `on`/`off`, `data-refused` taps refused) with `cobrowse-stop` and
 * `control-stop`, `control-consent` (`control-allow`, `control-deny`), `cobrowse-push-card`
 * (`data-screen`, `cobrowse-push-open`), `cobrowse-pointer`; a highlighted element carries
 * `data-cb-highlight`.
 *
 * @module customer/cobrowse/share
 */

import {isSensitive} from '/customer/cobrowse/masking.js';
import {Serializer} from '/customer/cobrowse/serializer.js';
import {strings} from '/customer/strings.js';
import {speak} from '/shared/speech.js';

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */
/** @typedef {import('/customer/app/bank-app.js').BankApp} BankApp */

/** Largest snapshot and batch the server accepts (signaling/cobrowse_messages.py), with some margin. */
const SNAPSHOT_LIMIT = 90 * 1024;
const BATCH_LIMIT = 40 * 1024;
const BATCH_EVENTS = 100;

const t = strings.t.bind(strings);

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

/**
 * @param {string} key
 * @param {string} testId
 * @param {string} [extra] class
 * @returns {HTMLButtonElement}
 */
function button(key, testId, extra = '') {
  return /** @type {HTMLButtonElement} */ (el('button', {type: 'button', class: `button wide ${extra}`,
    'data-testid': testId}, [t(key)]));
}

export class CobrowseShare {
  /**
   * @param {BankApp} app
   * @param {{mountBanner: (banner: HTMLElement) => void, sharing: (on: boolean) => void}} [place]
   *   where the sharing banner goes (the call sheet), and who hears that sharing began or ended
   */
  constructor(app, place) {
    /** @private */ this.app = app;
    /** @private */ this.place = place;
    /** @private @type {HTMLElement|null} */ this.scroller = null;
    /** @private @type {SignalingClient|null} */ this.client = null;
    /** @private @type {string|null} */ this.sessionId = null;
    /** @private */ this.seq = 0;
    /** @private */ this.sharing = false;
    /** @private */ this.serializer = new Serializer(app.root, (events) => this.sendEvents(events));
    /** @private @type {Element|null} */ this.highlighted = null;

    this.consent = el('div', {class: 'cb-dialog', role: 'dialog', 'aria-modal': 'true',
      'data-testid': 'cobrowse-consent', 'aria-labelledby': 'cb-consent-title'}, [
      el('h2', {id: 'cb-consent-title'}, [t('cobrowse.consent_title')]),
      el('p', {class: 'cb-will'}, [t('cobrowse.consent_will')]),
      el('p', {class: 'cb-wont'}, [t('cobrowse.consent_wont')]),
    ]);
    const allow = button('cobrowse.allow', 'cobrowse-allow');
    const deny = button('cobrowse.deny', 'cobrowse-deny', 'secondary');
    this.consent.append(allow, deny);
    this.control = el('div', {class: 'cb-dialog', role: 'dialog', 'aria-modal': 'true',
      'data-testid': 'control-consent', 'aria-labelledby': 'cb-control-title'}, [
      el('h2', {id: 'cb-control-title'}, [t('cobrowse.control_title')]),
      el('p', {}, [t('cobrowse.control_body')]),
    ]);
    const controlAllow = button('cobrowse.control_allow', 'control-allow');
    const controlDeny = button('cobrowse.control_deny', 'control-deny', 'secondary');
    this.control.append(controlAllow, controlDeny);
    this.bannerText = el('p', {class: 'cb-banner-text'}, [t('cobrowse.banner')]);
    const stop = button('cobrowse.stop', 'cobrowse-stop', 'danger');
    this.controlStop = button('cobrowse.control_stop', 'control-stop', 'secondary');
    this.banner = el('div', {class: 'cb-banner', role: 'status', 'data-testid': 'cobrowse-banner',
      'data-state': 'off', 'data-control': 'off', 'data-refused': '0'}, [this.bannerText, stop, this.controlStop]);
    this.pushTitle = el('p', {class: 'cb-push-title'});
    const open = button('cobrowse.push_open', 'cobrowse-push-open');
    const later = button('cobrowse.push_dismiss', 'cobrowse-push-dismiss', 'secondary');
    this.push = el('div', {class: 'cb-push', role: 'dialog', 'data-testid': 'cobrowse-push-card',
      'data-screen': ''}, [this.pushTitle, open, later]);
    this.pointer = el('div', {class: 'cb-pointer', 'data-testid': 'cobrowse-pointer', 'aria-hidden': 'true'});
    for (const element of [this.consent, this.control, this.banner, this.push, this.pointer, this.controlStop]) {
      element.hidden = true;
    }
    if (place) {
      place.mountBanner(this.banner);
    } else {
      document.body.prepend(this.banner);
    }
    document.body.append(this.consent, this.control, this.push, this.pointer);

    allow.addEventListener('click', () => this.answer('view', true));
    deny.addEventListener('click', () => this.answer('view', false));
    controlAllow.addEventListener('click', () => this.answer('control', true));
    controlDeny.addEventListener('click', () => this.answer('control', false));
    stop.addEventListener('click', () => this.stop('view'));
    this.controlStop.addEventListener('click', () => this.stop('control'));
    open.addEventListener('click', () => {
      this.app.go(this.push.dataset.screen ?? 'home');
      this.push.hidden = true;
      this.app.root.scrollIntoView({block: 'start'});
    });
    later.addEventListener('click', () => {
      this.push.hidden = true;
    });
    app.onScreen((screen) => {
      this.clearHighlight();
      this.serializer.note({kind: 'screen', screen});
    });
    window.addEventListener('resize', () => this.noteViewport());
    /** @private */ this.resized = new ResizeObserver(() => this.noteViewport());
  }

  /**
   * Where the app scrolls now: the call screen's body in a call, the page otherwise (null).
   * @param {HTMLElement|null} scroller
   */
  setScroller(scroller) {
    if (this.scroller) {
      this.resized.unobserve(this.scroller);
    }
    this.scroller = scroller;
    this.serializer.setScroller(scroller);
    if (scroller) {
      this.resized.observe(scroller);
    }
    this.noteViewport();
  }

  /** @private @returns {{width: number, height: number}} the part of the screen the app shows in */
  viewport() {
    return this.scroller ?
      {width: Math.round(this.scroller.clientWidth), height: Math.round(this.scroller.clientHeight)} :
      {width: window.innerWidth, height: window.innerHeight};
  }

  /** @private */
  noteViewport() {
    this.serializer.note({kind: 'viewport', ...this.viewport()});
  }

  /**
   * Listen on a new signaling client (the page makes one per connection).
   * @param {SignalingClient} client
   */
  attach(client) {
    this.client = client;
    client.on('session_started', (message) => {
      this.end();
      this.sessionId = message.session_id;
    });
    // Back in the same call: the same consent holds; the server says again where sharing stands.
    client.on('session_resumed', (message) => {
      this.sessionId = message.session_id;
    });
    client.on('session_ended', (message) => {
      if (message.session_id === this.sessionId) {
        this.end();
        this.sessionId = null;
      }
    });
    client.onClose(() => this.end());
    client.on('cobrowse_state', (message) => this.onState(message));
    client.on('cobrowse_guide', (message) => this.onGuide(message));
    client.on('cobrowse_control', (message) => this.onControl(message));
  }

  /**
   * @private
   * @param {{session_id: string, state: string, control: string, by?: string}} message
   */
  onState(message) {
    if (message.session_id !== this.sessionId) {
      return;
    }
    this.consent.hidden = message.state !== 'requested';
    if (message.state === 'requested') {
      speak(t('cobrowse.consent_spoken'), strings.lang);
      this.consent.querySelector('button')?.focus();
    }
    if (message.state === 'sharing' && !this.sharing) {
      this.begin();
    } else if (message.state !== 'sharing' && this.sharing) {
      this.halt();
    }
    this.control.hidden = message.control !== 'requested';
    if (message.control === 'requested') {
      speak(t('cobrowse.control_spoken'), strings.lang);
    }
    this.banner.dataset.control = message.control === 'on' ? 'on' : 'off';
    this.controlStop.hidden = message.control !== 'on';
    this.bannerText.textContent = t(message.control === 'on' ? 'cobrowse.banner_control' : 'cobrowse.banner');
  }

  /**
   * @private
   * @param {'view'|'control'} scope
   * @param {boolean} allow
   */
  answer(scope, allow) {
    (scope === 'view' ? this.consent : this.control).hidden = true;
    this.send({type: 'cobrowse_consent', scope, allow});
  }

  /**
   * The customer stops sharing (or only the teller's control): nothing more leaves the page.
   * @private
   * @param {'view'|'control'} scope
   */
  stop(scope) {
    if (scope === 'view') {
      this.halt();
      speak(t('cobrowse.stopped'), strings.lang);
    } else {
      this.banner.dataset.control = 'off';
      this.controlStop.hidden = true;
    }
    this.send({type: 'cobrowse_stop', scope});
  }

  /** @private */
  begin() {
    const first = !this.sharing;
    this.sharing = true;
    this.banner.hidden = false;
    this.banner.dataset.state = 'sharing';
    if (first) {
      this.place?.sharing(true);
    }
    const nodes = this.serializer.snapshot();
    const snapshot = {type: 'cobrowse_snapshot', seq: this.seq++, screen: this.app.screen,
      viewport: this.viewport(), nodes};
    if (JSON.stringify(snapshot).length > SNAPSHOT_LIMIT) {
      console.warn('cobrowse: the app area is too large to share');
      this.stop('view');
      return;
    }
    this.send(snapshot);
    this.serializer.start();
  }

  /** @private */
  halt() {
    this.serializer.stop();
    if (this.sharing) {
      this.place?.sharing(false);
    }
    this.sharing = false;
    this.banner.hidden = true;
    this.banner.dataset.state = 'off';
    this.banner.dataset.control = 'off';
    this.control.hidden = true;
    this.pointer.hidden = true;
    this.clearHighlight();
  }

  /** @private the call ended or the connection closed */
  end() {
    this.halt();
    this.consent.hidden = true;
    this.push.hidden = true;
  }

  /**
   * @private
   * @param {import('/customer/cobrowse/serializer.js').WireEvent[]} events
   */
  sendEvents(events) {
    if (!this.sharing) {
      return;
    }
    for (let start = 0; start < events.length; start += BATCH_EVENTS) {
      const batch = {type: 'cobrowse_events', seq: this.seq++, events: events.slice(start, start + BATCH_EVENTS)};
      if (JSON.stringify(batch).length > BATCH_LIMIT) {
        this.resnapshot();
        return;
      }
      this.send(batch);
    }
  }

  /** @private a change too large for a batch: send the whole area again instead */
  resnapshot() {
    this.serializer.stop();
    this.begin();
  }

  /**
   * @private
   * @param {{session_id: string, action: string, node?: number, x?: number, y?: number, screen?: string}} message
   */
  onGuide(message) {
    if (message.session_id !== this.sessionId || !this.sharing) {
      return;
    }
    if (message.action === 'highlight' && typeof message.node === 'number') {
      this.highlight(message.node);
    } else if (message.action === 'pointer' && typeof message.x === 'number' && typeof message.y === 'number') {
      const box = this.app.root.getBoundingClientRect();
      this.pointer.hidden = false;
      this.pointer.style.left = `${box.left + window.scrollX + message.x * box.width}px`;
      this.pointer.style.top = `${box.top + window.scrollY + message.y * box.height}px`;
    } else if (message.action === 'push' && message.screen) {
      const screen = t(`screen.${message.screen}`);
      this.push.dataset.screen = message.screen;
      this.pushTitle.textContent = t('cobrowse.push_title', {screen});
      this.push.hidden = false;
      speak(`${t('cobrowse.push_title', {screen})}`, strings.lang);
    }
  }

  /**
   * @private
   * @param {number} id
   */
  highlight(id) {
    const node = this.serializer.nodeOf(id);
    const element = node instanceof Element ? node : node?.parentElement;
    if (!element || !this.app.root.contains(element)) {
      return;
    }
    this.clearHighlight();
    element.setAttribute('data-cb-highlight', '');
    this.highlighted = element;
    element.scrollIntoView({block: 'center'});
    const label = isSensitive(element) ? '' : (element.textContent ?? '').trim().slice(0, 40);
    speak(label ? t('cobrowse.highlight_hint', {label}) : t('cobrowse.highlight_generic'), strings.lang);
  }

  /** @private */
  clearHighlight() {
    this.highlighted?.removeAttribute('data-cb-highlight');
    this.highlighted = null;
  }

  /**
   * A tap or scroll by the teller (the server relays it only after the second consent).
   * @private
   * @param {{session_id: string, action: string, node?: number, dy?: number}} message
   */
  onControl(message) {
    if (message.session_id !== this.sessionId || !this.sharing || this.banner.dataset.control !== 'on') {
      return;
    }
    if (message.action === 'scroll' && typeof message.dy === 'number') {
      (this.scroller ?? window).scrollBy({top: message.dy});
      return;
    }
    const node = typeof message.node === 'number' ? this.serializer.nodeOf(message.node) : null;
    const element = node instanceof Element ? node : node?.parentElement ?? null;
    const target = element?.closest('button, a[href], [role="button"]');
    if (!target || !this.app.root.contains(target) || isSensitive(target) ||
        /** @type {HTMLButtonElement} */ (target).disabled) {
      this.banner.dataset.refused = String(Number(this.banner.dataset.refused) + 1);
      return; // inputs, fields and sensitive areas are the customer's alone
    }
    /** @type {HTMLElement} */ (target).click();
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
