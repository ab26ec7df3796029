/**
 * The auditors' HTTP API (docs/auditing.md): JSON requests with the session cookie, JSON errors
 * turned into {@link ApiError}s, byte-exact downloads for record files.
 *
 * @module api
 */

/** The server refused a request; `status` and `code` say why, `message` is for people. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0: no answer)
   * @param {string} code the error code of the JSON body
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<Response>} a 2xx response
 */
async function call(path, init = {}) {
  let response;
  try {
    response = await fetch(path, {credentials: 'same-origin', cache: 'no-store', ...init});
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached.');
  }
  if (!response.ok) {
    let body = {error: 'http', message: `The server answered ${response.status}.`};
    try {
      body = await response.json();
    } catch {
      // not JSON: keep the generic message
    }
    throw new ApiError(response.status, String(body.error), String(body.message));
  }
  return response;
}

/**
 * @param {string} path
 * @returns {Promise<any>} the JSON body
 */
export async function getJson(path) {
  return (await call(path)).json();
}

/**
 * @param {string} path
 * @param {'POST'|'DELETE'} method
 * @param {object} [body]
 * @returns {Promise<any>} the JSON body
 */
export async function send(path, method, body = {}) {
  const response = await call(path, {
    method,
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify(body),
  });
  return response.json();
}

/**
 * @param {string} path
 * @returns {Promise<Uint8Array>} the body, byte for byte
 */
export async function getBytes(path) {
  return new Uint8Array(await (await call(path)).arrayBuffer());
}

/**
 * @param {string} recordId
 * @param {string} rest e.g. `manifest`, `chunks/3`
 * @returns {string} the record's API path
 */
export function recordPath(recordId, rest = '') {
  return `/api/records/${encodeURIComponent(recordId)}${rest ? `/${rest}` : ''}`;
}
