/**
 * The small mobile-banking app on the customer page, clearly marked as a demo: the screens the
 * business flows use, so that a teller has something to guide the customer through when they share
 * their screen. It does no banking and sends nothing: its buttons say so (`app-done`) and offer to do
 * the business over video instead (`app-video-this`, on the start page). Navigation is client-side;
 * each screen has a stable name (`data-screen`) and exactly one primary action.
 *
 * Hooks: `app[data-screen]` (with `data-demo="true"`), `app-demo-note`, `screen-<name>`,
 * `app-go-<name>` (navigation buttons), `app-back`, `app-pin-pad` with `pin-key-<digit>`,
 * `pin-clear` and `pin-display[data-count]`, `app-done`, `app-video-this[data-business]`,
 * `app-hours`. The PIN is kept in memory only; the page shows one bullet per digit.
 *
 * @module customer/app/bank-app
 */

import {strings} from '/customer/strings.js';
import {serviceHours} from '/customer/service-hours.js';

/** @typedef {'home'|'social_security'|'activate_card'|'change_password'|'my_info'|'help'} Screen */

/** @type {Screen[]} */
export const SCREENS = ['home', 'social_security', 'activate_card', 'change_password', 'my_info', 'help'];

/** The business done over video instead of each form of the demo. */
const BUSINESS_OF_FORM = {activate: 'activation', password: 'password_reset', info: 'info_update'};

const t = strings.t.bind(strings);

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node|string)[]} [children]
 * @returns {HTMLElement}
 */
function el(tag, attrs = {}, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    element.setAttribute(name, value);
  }
  element.append(...children);
  return element;
}

/**
 * @param {string} key string key
 * @param {string} testId
 * @param {boolean} primary
 * @returns {HTMLButtonElement}
 */
function button(key, testId, primary = false) {
  return /** @type {HTMLButtonElement} */ (el('button', {
    type: 'button',
    class: primary ? 'button wide app-primary' : 'button secondary wide',
    'data-testid': testId,
  }, [t(key)]));
}

/**
 * @param {string} id
 * @param {string} key label string key
 * @param {Record<string, string>} attrs of the input
 * @returns {HTMLElement}
 */
function field(id, key, attrs) {
  return el('div', {class: 'field'}, [
    el('label', {for: id}, [t(key)]),
    el('input', {id, ...attrs}),
  ]);
}

export class BankApp {
  constructor() {
    /** @private @type {(business: string) => void} */ this.videoInstead = () => {};
    /** @type {HTMLElement} the app area (what co-browsing mirrors) */
    this.root = el('section', {class: 'bank-app', 'data-testid': 'app', 'data-screen': 'home',
      'data-demo': 'true', 'aria-label': t('demo.title')});
    /** @private @type {Map<Screen, HTMLElement>} */ this.screens = new Map();
    /** @private @type {Set<(screen: Screen) => void>} */ this.listeners = new Set();
    /** @private @type {string[]} PIN digits, never written to the DOM */ this.pin = [];
    /** @type {Screen} */
    this.screen = 'home';
    this.title = el('h2', {class: 'app-title', 'data-testid': 'app-title'}, [t('screen.home')]);
    this.back = button('app.back', 'app-back');
    this.back.addEventListener('click', () => this.go('home'));
    this.root.append(
      el('header', {class: 'app-header'}, [
        el('span', {class: 'app-name'}, [t('app.title')]),
        el('span', {class: 'badge demo-badge'}, [t('demo.badge')]),
      ]),
      el('p', {class: 'app-demo-note', 'data-testid': 'app-demo-note'}, [t('demo.note')]),
      this.title,
    );
    for (const screen of SCREENS) {
      const section = el('div', {class: 'app-screen', 'data-testid': `screen-${screen}`, 'data-screen': screen});
      section.append(...this.build(screen));
      section.hidden = screen !== 'home';
      this.screens.set(screen, section);
      this.root.append(section);
    }
    this.root.append(this.back);
    this.back.hidden = true;
  }

  /**
   * Show `screen`.
   * @param {string} screen
   */
  go(screen) {
    const target = /** @type {Screen} */ (screen);
    if (!this.screens.has(target)) {
      return;
    }
    this.screen = target;
    for (const [name, section] of this.screens) {
      section.hidden = name !== target;
    }
    this.root.dataset.screen = target;
    this.title.textContent = t(`screen.${target}`);
    this.back.hidden = target === 'home';
    for (const done of this.root.querySelectorAll('[data-testid="app-done"]')) {
      /** @type {HTMLElement} */ (done).hidden = true;
    }
    for (const listener of this.listeners) {
      listener(target);
    }
  }

  /**
   * @param {(business: string) => void} listener the customer wants to do a demo form's business
   *   over video (the page fills its join form)
   */
  onVideoInstead(listener) {
    this.videoInstead = listener;
  }

  /** @param {(screen: Screen) => void} listener called after every change of screen */
  onScreen(listener) {
    this.listeners.add(listener);
  }

  /**
   * @private
   * @param {Screen} screen
   * @returns {HTMLElement[]}
   */
  build(screen) {
    switch (screen) {
      case 'home': {
        const tiles = el('div', {class: 'app-tiles'});
        for (const [target, primary] of /** @type {[Screen, boolean][]} */ ([['social_security', true],
          ['change_password', false], ['my_info', false], ['help', false]])) {
          const tile = button(`screen.${target}`, `app-go-${target}`, primary);
          tile.addEventListener('click', () => this.go(target));
          tiles.append(tile);
        }
        return [el('p', {class: 'app-lead'}, [t('home.lead')]), tiles];
      }
      case 'social_security': {
        const go = button('ss.activate', 'app-go-activate_card', true);
        go.addEventListener('click', () => this.go('activate_card'));
        return [el('p', {class: 'app-lead', 'data-testid': 'ss-status'}, [t('ss.status')]), go];
      }
      case 'activate_card':
        return this.form('activate', [
          field('app-card-number', 'activate.card_number', {type: 'text', inputmode: 'numeric',
            autocomplete: 'off', maxlength: '19', 'data-sensitive': 'card-number', 'data-testid': 'app-card-number'}),
          field('app-holder', 'activate.holder', {type: 'text', autocomplete: 'name', maxlength: '40',
            'data-testid': 'app-holder'}),
          el('p', {class: 'field-label'}, [t('activate.pin')]),
          this.pinPad(),
        ]);
      case 'change_password':
        return this.form('password', [
          field('app-old-password', 'password.old', {type: 'password', autocomplete: 'current-password',
            maxlength: '32', 'data-testid': 'app-old-password'}),
          field('app-new-password', 'password.new', {type: 'password', autocomplete: 'new-password',
            maxlength: '32', 'data-testid': 'app-new-password'}),
        ]);
      case 'my_info':
        return this.form('info', [
          field('app-phone', 'info.phone', {type: 'tel', autocomplete: 'tel', maxlength: '20',
            'data-testid': 'app-phone'}),
          field('app-address', 'info.address', {type: 'text', autocomplete: 'street-address', maxlength: '80',
            'data-testid': 'app-address'}),
          el('p', {class: 'field-label'}, [t('info.id')]),
          el('p', {class: 'app-id', 'data-sensitive': 'id-number', 'data-testid': 'app-id-number'},
            ['110101********123X']),
        ]);
      case 'help': {
        const talk = button('help.talk', 'app-talk-now', true);
        talk.addEventListener('click', () => {
          document.querySelector('[data-testid="talk-now"]')?.dispatchEvent(new MouseEvent('click'));
        });
        const hours = el('p', {'data-testid': 'app-hours'});
        hours.hidden = true;
        void serviceHours().then(({opens, closes, time_zone: zone}) => {
          if (opens && closes) {
            hours.textContent = zone === 'Asia/Shanghai' ? t('demo.hours', {opens, closes}) :
              t('demo.hours_zone', {opens, closes, zone: zone ?? ''});
            hours.hidden = false;
          }
        });
        return [el('p', {class: 'app-lead'}, [t('help.lead')]), hours, talk];
      }
    }
    return [];
  }

  /**
   * A demo form: its primary button sends nothing and says so, and offers the business over video.
   * @private
   * @param {'activate'|'password'|'info'} name string prefix
   * @param {HTMLElement[]} fields
   * @returns {HTMLElement[]}
   */
  form(name, fields) {
    const business = BUSINESS_OF_FORM[name];
    const video = button('demo.video_this', 'app-video-this', false);
    video.dataset.business = business;
    video.addEventListener('click', () => this.videoInstead(business));
    const done = el('div', {class: 'notice app-done', 'data-testid': 'app-done', role: 'status'},
      [el('p', {}, [t('demo.not_sent')]), video]);
    done.hidden = true;
    const submit = button(`${name}.submit`, `app-submit-${name}`, true);
    submit.addEventListener('click', () => {
      done.hidden = false;
      video.hidden = document.documentElement.dataset.view === 'call';
    });
    return [el('p', {class: 'app-lead'}, [t(`${name}.lead`)]), ...fields, submit, done];
  }

  /**
   * @private
   * @returns {HTMLElement}
   */
  pinPad() {
    const display = el('p', {class: 'pin-display', 'data-testid': 'pin-display', 'data-count': '0',
      'aria-live': 'polite'});
    const keys = el('div', {class: 'pin-keys'});
    const show = () => {
      display.textContent = '•'.repeat(this.pin.length);
      display.dataset.count = String(this.pin.length);
      display.setAttribute('aria-label', t('pin.entered', {count: this.pin.length}));
    };
    for (const digit of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']) {
      const key = el('button', {type: 'button', class: 'pin-key', 'data-testid': `pin-key-${digit}`}, [digit]);
      key.addEventListener('click', () => {
        if (this.pin.length < 6) {
          this.pin.push(digit);
          show();
        }
      });
      keys.append(key);
    }
    const clear = el('button', {type: 'button', class: 'pin-key', 'data-testid': 'pin-clear'}, [t('pin.clear')]);
    clear.addEventListener('click', () => {
      this.pin = [];
      show();
    });
    keys.append(clear);
    show();
    return el('div', {class: 'pin-pad', 'data-testid': 'app-pin-pad', 'data-sensitive': 'pin'}, [display, keys]);
  }
}
