/**
 * Every business type's words, in each page language: the one place a new business type gets them.
 * The list of business types itself comes from the server's declaration (shared/protocol.js,
 * generated from signaling/businesses.py).
 *
 * - `staff`: the counters' name (社保卡激活 …), on the teller's, the supervisor's and the auditor's pages;
 * - `customer`: what the customer comes for, on the phone ("Reset my password");
 * - `waiting`: the phone's `wait_for_teller` sentence while the teller works on it;
 * - `branch`: the phone's `branch_instructions`: how to do it at a branch instead.
 *
 * Pages put the names into their string tables with `businessStrings(audience, lang)` (keys
 * `business.<value>`); the browser tests of the pages' strings fail when a business has none.
 *
 * @module shared/businesses
 */

import {BUSINESSES} from '/shared/protocol.js';

/** @typedef {import('/shared/protocol.js').Business} Business */
/** @typedef {{'zh-CN': string, en: string}} Pair */
/** @typedef {{staff: Pair, customer: Pair, waiting: Pair, branch: Pair}} BusinessWords */

/** @type {Readonly<Record<string, BusinessWords>>} business value -> its words */
export const BUSINESS_WORDS = Object.freeze({
  activation: {
    staff: {'zh-CN': '社保卡激活', en: 'Social security card activation'},
    customer: {'zh-CN': '激活社保卡金融功能', en: 'Activate the financial functions of my social security card'},
    waiting: {'zh-CN': '柜员正在核对您的卡片和资料。', en: 'The teller is checking your card and your details.'},
    branch: {'zh-CN': '您可以到我行任一网点激活社保卡：请带上社保卡和身份证，在柜台的密码键盘上设置密码。', en: 'You can activate your social-security card at any of our branches: bring the card and your resident ID card, and set the PIN on the counter’s PIN pad.'},
  },
  password_reset: {
    staff: {'zh-CN': '密码重置', en: 'Password reset'},
    customer: {'zh-CN': '重置密码', en: 'Reset my password'},
    waiting: {'zh-CN': '柜员正在核对您的账户。', en: 'The teller is checking your account.'},
    branch: {'zh-CN': '您可以到我行任一网点重置密码：请带上身份证和银行卡。', en: 'You can reset your password at any of our branches: bring your resident ID card and your bank card.'},
  },
  info_update: {
    staff: {'zh-CN': '信息补录', en: 'Customer information update'},
    customer: {'zh-CN': '更新个人信息', en: 'Update my personal information'},
    waiting: {'zh-CN': '柜员正在与您核对新的资料。', en: 'The teller is checking your new details with you.'},
    branch: {'zh-CN': '您可以带上身份证，到我行任一网点更新手机号码和地址。', en: 'You can update your phone number and address at any of our branches with your resident ID card.'},
  },
  corporate_willingness: {
    staff: {'zh-CN': '法人意愿核实', en: 'Legal representative’s willingness check'},
    customer: {'zh-CN': '企业开户法人意愿核实', en: 'Confirm a company account opening (legal representative)'},
    waiting: {'zh-CN': '柜员正在打开企业的开户申请。', en: 'The teller is opening the company’s application.'},
    branch: {'zh-CN': '法定代表人可以带上身份证，到受理开户申请的网点当面确认。', en: 'The legal representative can confirm the account opening in person at the branch handling the application, with their resident ID card.'},
  },
  card_review: {
    staff: {'zh-CN': '远程视频审核', en: 'Remote review of a field-issued card'},
    customer: {'zh-CN': '上门发卡视频审核', en: 'Video review of a card issued in the field'},
    waiting: {'zh-CN': '柜员正在与您一起审核卡片。', en: 'The teller is reviewing the card with you.'},
    branch: {'zh-CN': '持卡人可以带上卡片和身份证，到我行任一网点审核卡片。', en: 'The card can be reviewed at any of our branches: the holder brings the card and their resident ID card.'},
  },
});

/**
 * The names of the business types for one audience in one language, as string-table entries
 * (a business type without words here gets no entry, so the pages' string tests name it).
 * @param {'staff'|'customer'} audience
 * @param {'zh-CN'|'en'} lang
 * @returns {Record<string, string>} `business.<value>` -> name
 */
export function businessStrings(audience, lang) {
  return Object.fromEntries(BUSINESSES.filter((business) => business in BUSINESS_WORDS)
    .map((business) => [`business.${business}`, BUSINESS_WORDS[business][audience][lang]]));
}

/**
 * One sentence about a business type in one language.
 * @param {string} business a protocol business value
 * @param {'waiting'|'branch'} what
 * @param {'zh-CN'|'en'} lang
 * @returns {string|undefined} undefined for a business type without words here
 */
export function businessSentence(business, what, lang) {
  return BUSINESS_WORDS[business]?.[what][lang];
}
