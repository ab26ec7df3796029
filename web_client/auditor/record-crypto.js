/**
 * Verifying and decrypting a session record in the browser with WebCrypto alone
 * (docs/record-format.md): Ed25519 manifest signature, SHA-256 hash chain, RSA-OAEP-SHA-256 key
 * unwrap, AES-256-GCM chunks whose associated data binds the record id and the chunk header.
 *
 * Every check that fails throws a {@link TamperError}; nothing from a chunk that fails its hash,
 * header or tag is ever returned.
 *
 * @module record-crypto
 */

const subtle = globalThis.crypto.subtle;
const ascii = new TextEncoder();

/**
 * The record (or what the server sent for it) is not what was signed. `code` names the check that
 * failed (the console words it in its language and shows it in `integrity-status[data-reason]`);
 * `message` is the English wording, for logs.
 */
export class TamperError extends Error {
  /**
   * @param {string} code e.g. `chunk_altered`, `signature_invalid`
   * @param {string} message what failed
   * @param {Record<string, string|number>} [params] values for the wording, e.g. `{index: 12}`
   */
  constructor(code, message, params = {}) {
    super(message);
    this.name = 'TamperError';
    this.code = code;
    this.params = params;
  }
}

/** The auditor's key file or this browser cannot be used (not a tampering). */
export class KeyError extends Error {
  /**
   * @param {string} code e.g. `not_your_key`, `no_ed25519`
   * @param {string} message
   * @param {Record<string, string|number>} [params]
   */
  constructor(code, message, params = {}) {
    super(message);
    this.name = 'KeyError';
    this.code = code;
    this.params = params;
  }
}

/**
 * @typedef {object} ChunkEntry one chunk as the signed manifest lists it
 * @property {number} index
 * @property {'media'|'timeline'} type
 * @property {string} stream
 * @property {string} content_type
 * @property {number} t0_us
 * @property {number} t1_us
 * @property {boolean} init
 * @property {number} size
 * @property {string} sha256
 */

/**
 * @typedef {object} Manifest the parts of manifest.json the console uses
 * @property {string} record_id
 * @property {{session_id: string, business: string, teller: string|null, customer_id: string|null}} session
 * @property {Record<string, string|number|boolean|null>} summary
 * @property {number} opened_at_us
 * @property {{start_us: number, end_us: number}} time_range
 * @property {string} header_sha256
 * @property {string} signing_key_id
 * @property {number} chunk_count
 * @property {ChunkEntry[]} chunks
 * @property {string} chain_head
 */

/**
 * @param {ArrayBuffer|Uint8Array} data
 * @returns {Promise<Uint8Array>} SHA-256
 */
export async function sha256(data) {
  return new Uint8Array(await subtle.digest('SHA-256', data));
}

/**
 * @param {Uint8Array} bytes
 * @returns {string} lowercase hex
 */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * @param {string} text standard base64
 * @returns {Uint8Array}
 */
export function fromBase64(text) {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) {
    out[i] = raw.charCodeAt(i);
  }
  return out;
}

/**
 * @param {...Uint8Array} parts
 * @returns {Uint8Array} the parts one after another
 */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * @param {number} value a non-negative integer below 2^53
 * @returns {Uint8Array} 8 bytes, big-endian
 */
function u64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/**
 * @param {string} prefix a domain-separation label
 * @param {string} recordId
 * @returns {Uint8Array} `prefix 0x00 len(recordId) recordId`
 */
function domain(prefix, recordId) {
  const id = ascii.encode(recordId);
  return concat(ascii.encode(prefix), new Uint8Array([0, id.length]), id);
}

/**
 * The private key of the auditor, imported for RSA-OAEP-SHA-256 unwrapping, and its key id
 * (SHA-256 of the DER SubjectPublicKeyInfo, as in the record header).
 * @param {string} pem the contents of the key file
 * @returns {Promise<{key: CryptoKey, keyId: string}>}
 */
export async function importAuditorKey(pem) {
  if (/BEGIN (RSA |ENCRYPTED )PRIVATE KEY/.test(pem)) {
    throw new KeyError(
      'key_pkcs1',
      'The key file must be an unencrypted PKCS#8 key ("BEGIN PRIVATE KEY"); ' +
        'convert it with: openssl pkcs8 -topk8 -nocrypt -in old.pem -out auditor.pem',
    );
  }
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem);
  if (!match) {
    throw new KeyError('key_not_pem', 'This file is not a PEM private key ("-----BEGIN PRIVATE KEY-----").');
  }
  let der;
  try {
    der = fromBase64(match[1].replace(/\s+/g, ''));
  } catch {
    throw new KeyError('key_damaged', 'The key file is damaged (its base64 does not decode).');
  }
  const algorithm = {name: 'RSA-OAEP', hash: 'SHA-256'};
  let extractable;
  try {
    extractable = await subtle.importKey('pkcs8', der, algorithm, true, ['decrypt']);
  } catch {
    throw new KeyError('key_not_rsa', 'The key file does not hold an RSA private key this browser can use.');
  }
  // The public half, for the key id: n and e of the private JWK, re-imported as a public key.
  const jwk = await subtle.exportKey('jwk', extractable);
  const publicKey = await subtle.importKey(
    'jwk',
    {kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RSA-OAEP-256', ext: true},
    algorithm,
    true,
    ['encrypt'],
  );
  const keyId = toHex(await sha256(await subtle.exportKey('spki', publicKey)));
  const key = await subtle.importKey('pkcs8', der, algorithm, false, ['decrypt']);
  der.fill(0);
  return {key, keyId};
}

/**
 * Check the manifest's Ed25519 signature against the trusted signing keys.
 * @param {Uint8Array} manifestBytes manifest.json exactly as stored
 * @param {Uint8Array} signature manifest.sig: key id (32 bytes) ‖ signature (64 bytes)
 * @param {{key_id: string, public_key: string}[]} trusted the server's signing public keys
 * @returns {Promise<string>} the signing key id
 */
export async function verifySignature(manifestBytes, signature, trusted) {
  if (signature.length !== 96) {
    throw new TamperError('signature_file_length', 'The manifest signature file has the wrong length.');
  }
  const keyId = toHex(signature.subarray(0, 32));
  const entry = trusted.find((k) => k.key_id === keyId);
  if (!entry) {
    throw new TamperError('signing_key_untrusted', 'The manifest is signed by a key that is not a trusted signing key.');
  }
  const raw = fromBase64(entry.public_key);
  if (toHex(await sha256(raw)) !== keyId) {
    throw new TamperError('signing_key_mismatch', 'A signing key does not match its key id.');
  }
  let publicKey;
  try {
    publicKey = await subtle.importKey('raw', raw, {name: 'Ed25519'}, false, ['verify']);
  } catch {
    throw new KeyError(
      'no_ed25519',
      'This browser cannot check Ed25519 signatures (WebCrypto Ed25519); use a current Chromium, Firefox or Safari.',
    );
  }
  const signed = concat(ascii.encode('video_bank.record.manifest/1'), new Uint8Array([0]), manifestBytes);
  const ok = await subtle.verify({name: 'Ed25519'}, publicKey, signature.subarray(32), signed);
  if (!ok) {
    throw new TamperError('signature_invalid', 'The manifest signature is invalid: the manifest was altered.');
  }
  return keyId;
}

/**
 * @param {Uint8Array} manifestBytes
 * @returns {Manifest}
 */
export function parseManifest(manifestBytes) {
  let manifest;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(manifestBytes));
  } catch {
    throw new TamperError('manifest_not_json', 'The manifest is not valid JSON.');
  }
  if (manifest?.format !== 'video_bank.record/1' || !Array.isArray(manifest.chunks)) {
    throw new TamperError('manifest_format', 'The manifest is not a video_bank.record/1 manifest.');
  }
  return manifest;
}

/**
 * Recompute the hash chain from the manifest's chunk hashes and compare it with the signed head.
 * (Each chunk's own bytes are checked against its listed hash when it is fetched.)
 * @param {Manifest} manifest
 * @param {Uint8Array} headerBytes header.json as stored
 * @returns {Promise<void>}
 */
export async function verifyChain(manifest, headerBytes) {
  const headerHash = await sha256(headerBytes);
  if (toHex(headerHash) !== manifest.header_sha256) {
    throw new TamperError('header_mismatch', 'The record header differs from the one the manifest names.');
  }
  if (manifest.chunk_count !== manifest.chunks.length) {
    throw new TamperError('chunk_count', 'The manifest chunk count does not match its chunk list.');
  }
  let link = await sha256(concat(domain('video_bank.record.chain/1', manifest.record_id), headerHash));
  for (let i = 0; i < manifest.chunks.length; i += 1) {
    const entry = manifest.chunks[i];
    if (entry.index !== i || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      throw new TamperError('chunk_order', `The manifest's chunk list is out of order at ${i}.`, {index: i});
    }
    link = await sha256(concat(link, u64(i), hexBytes(entry.sha256)));
  }
  if (toHex(link) !== manifest.chain_head) {
    throw new TamperError('chain_head', 'The hash chain does not end at the signed chain head.');
  }
}

/**
 * @param {string} hex
 * @returns {Uint8Array}
 */
function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) {
    out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

/**
 * Unwrap the record's data key.
 * @param {{wrapped: string, key_id: string}} wrap the wrapped key the server sent
 * @param {Uint8Array} headerBytes the verified header (the wrap must be the one it holds)
 * @param {{key: CryptoKey, keyId: string}} auditor
 * @returns {Promise<CryptoKey>} AES-256-GCM, decrypt only, not extractable
 */
export async function unwrapDataKey(wrap, headerBytes, auditor) {
  const header = JSON.parse(new TextDecoder().decode(headerBytes));
  const own = (header.key_wraps ?? []).find((/** @type {{key_id: string}} */ w) => w.key_id === auditor.keyId);
  if (!own) {
    throw new KeyError('not_your_key', 'This record was not encrypted to your key (it names other auditors).');
  }
  if (own.wrapped !== wrap.wrapped || wrap.key_id !== auditor.keyId) {
    throw new TamperError('wrap_mismatch', 'The wrapped key the server sent differs from the record header.');
  }
  let raw;
  try {
    raw = new Uint8Array(await subtle.decrypt({name: 'RSA-OAEP'}, auditor.key, fromBase64(wrap.wrapped)));
  } catch {
    throw new KeyError('key_unwrap', 'Your key cannot unwrap this record’s key (wrong key file?).');
  }
  if (raw.length !== 32) {
    raw.fill(0);
    throw new TamperError('data_key_length', 'The unwrapped data key has the wrong length.');
  }
  const key = await subtle.importKey('raw', raw, {name: 'AES-GCM'}, false, ['decrypt']);
  raw.fill(0);
  return key;
}

/**
 * Check one chunk file against its manifest entry and decrypt it.
 * @param {Uint8Array} file the chunk file, as fetched
 * @param {ChunkEntry} entry its signed manifest entry
 * @param {string} recordId
 * @param {CryptoKey} dataKey
 * @returns {Promise<Uint8Array>} the plaintext
 */
export async function openChunk(file, entry, recordId, dataKey) {
  if (file.length !== entry.size || toHex(await sha256(file)) !== entry.sha256) {
    throw new TamperError(
      'chunk_altered',
      `Chunk ${entry.index} was altered (its hash differs from the signed manifest).`,
      {index: entry.index},
    );
  }
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const text = new TextDecoder('ascii');
  const magic = text.decode(file.subarray(0, 4));
  const s = file[32];
  const c = file[33 + s];
  const headerEnd = 38 + s + c;
  const stream = text.decode(file.subarray(33, 33 + s));
  const contentType = text.decode(file.subarray(34 + s, 34 + s + c));
  const type = file[5] === 1 ? 'media' : file[5] === 2 ? 'timeline' : 'unknown';
  const matches =
    magic === 'VBRC' &&
    file[4] === 1 &&
    (file[6] & ~1) === 0 &&
    file[7] === 0 &&
    type === entry.type &&
    Boolean(file[6] & 1) === entry.init &&
    Number(view.getBigUint64(8)) === entry.index &&
    Number(view.getBigInt64(16)) === entry.t0_us &&
    Number(view.getBigInt64(24)) === entry.t1_us &&
    stream === entry.stream &&
    contentType === entry.content_type &&
    view.getUint32(34 + s + c) === file.length - headerEnd;
  if (!matches) {
    throw new TamperError(
      'chunk_header',
      `Chunk ${entry.index}'s header differs from the signed manifest.`,
      {index: entry.index},
    );
  }
  const aad = concat(domain('video_bank.record.chunk/1', recordId), file.subarray(0, headerEnd));
  const iv = concat(new Uint8Array(4), u64(entry.index));
  try {
    const plain = await subtle.decrypt(
      {name: 'AES-GCM', iv, additionalData: aad, tagLength: 128},
      dataKey,
      file.subarray(headerEnd),
    );
    return new Uint8Array(plain);
  } catch {
    throw new TamperError('chunk_tag', `Chunk ${entry.index} fails its authentication tag.`, {index: entry.index});
  }
}
