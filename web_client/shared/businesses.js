/**
 * The business types of protocol v1 and their names for people.
 *
 * @module businesses
 */

/** @typedef {import('/shared/signaling.js').Business} Business */

/** @type {ReadonlyMap<Business, string>} value -> label, in the order pages list them */
export const BUSINESS_LABELS = new Map([
  ['activation', 'Activate the financial functions of my social security card'],
  ['password_reset', 'Reset my password'],
  ['info_update', 'Update my personal information'],
  ['corporate_willingness', 'Confirm a company account opening (legal representative)'],
  ['card_review', 'Video review of a card issued in the field'],
]);

/**
 * @param {string} business a protocol business value
 * @returns {string} its label, or the value itself if unknown
 */
export function businessLabel(business) {
  return BUSINESS_LABELS.get(/** @type {Business} */ (business)) ?? business;
}
