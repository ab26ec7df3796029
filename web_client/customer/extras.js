/**
 * What the customer page adds around its call (one hook line in main.js): the mobile-banking app
 * area, co-browsing, the elderly mode and the identity-check prompts, all in the page language.
 *
 * @module customer/extras
 */

import {BankApp} from '/customer/app/bank-app.js';
import {CobrowseShare} from '/customer/cobrowse/share.js';
import {ElderlyMode} from '/customer/elderly.js';
import {strings} from '/customer/strings.js';
import {VerificationView} from '/customer/verification-view.js';

/** @typedef {import('/shared/signaling.js').SignalingClient} SignalingClient */

document.documentElement.lang = strings.lang;
document.title = strings.t('page.title');
strings.fill(document);
export const bankApp = new BankApp();
document.querySelector('[data-testid="hangup-button"]')?.after(bankApp.root);
export const cobrowse = new CobrowseShare(bankApp);
export const elderly = new ElderlyMode();
export const verification = new VerificationView();
document.querySelector('section.stage')?.after(verification.root);

/**
 * Follow a new signaling client (call before it connects).
 * @param {SignalingClient} client
 */
export function attachExtras(client) {
  cobrowse.attach(client);
  elderly.attach(client);
  verification.attach(client);
}
