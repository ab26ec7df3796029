/**
 * The card number the field officer types from the card: checked on the tablet (digits, Luhn) and
 * kept only there, to compare its last four digits with the masked card the teller reviews.
 *
 * @module field/card-number
 */

/**
 * @param {string} text what was typed (spaces allowed)
 * @returns {string|null} the digits, or null unless 16–19 digits with a valid Luhn check digit
 */
export function cardDigits(text) {
  const digits = text.replace(/\s+/g, '');
  if (!/^\d{16,19}$/.test(digits)) {
    return null;
  }
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) {
        digit -= 9;
      }
    }
    sum += digit;
  }
  return sum % 10 === 0 ? digits : null;
}

/**
 * @param {string} digits a card number
 * @returns {string} as the bank masks it: `****1234`
 */
export function maskCard(digits) {
  return `****${digits.slice(-4)}`;
}
