/**
 * The parts of the customer page around its call, built once in the page language: the call screen
 * (customer/call-screen.js), the demo banking app, co-browsing, the elderly mode, the identity-check
 * overlay and the business-flow panel in the call sheet. main.js wires them to each connection.
 *
 * @module customer/page-parts
 */

import {BankApp} from '/customer/app/bank-app.js';
import {CallScreen} from '/customer/call-screen.js';
import {CobrowseShare} from '/customer/cobrowse/share.js';
import {ElderlyMode} from '/customer/elderly.js';
import {CustomerFlowPanel} from '/customer/flow/flow-panel.js';
import {strings} from '/customer/strings.js';
import {VerificationView} from '/customer/verification-view.js';

const t = strings.t.bind(strings);

document.documentElement.lang = strings.lang;
document.title = t('page.title');
strings.fill(document);

export const screen = new CallScreen();
screen.setLabels({expand: t('sheet.expand'), collapse: t('sheet.collapse')});
export const bankApp = new BankApp();
export const elderly = new ElderlyMode();
export const verification = new VerificationView(screen);
export const flowPanel = new CustomerFlowPanel(screen.log, {
  speak: (text) => elderly.say(text),
  changed: () => {
    screen.setStepName(t('sheet.step', {step: flowPanel.stepName}));
    screen.unfold(); // something to do or to read now: the sheet opens (after the check's result)
  },
});
screen.mount(flowPanel.root);
screen.setStepName(t('sheet.step', {step: flowPanel.stepName}));
export const cobrowse = new CobrowseShare(bankApp, {
  mountBanner: (banner) => screen.mount(banner, {first: true}),
  sharing: (on) => {
    screen.setStepName(t('sheet.step', {step: flowPanel.stepName}));
    screen.setSharing(on); // the teller shows the app: it gets the room, the step folds into a bar
  },
});
