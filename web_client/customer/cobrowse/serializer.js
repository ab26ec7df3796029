/**
 * The customer's side of the mirror: a snapshot of one DOM subtree, then its changes as small events.
 *
 * A snapshot is a flat pre-order list of nodes: `{id, parent, tag, attrs}` for elements and
 * `{id, parent, text}` for text (parent 0 is the root's place in the mirror). Changes are events of a
 * `kind`: `add` (nodes under `parent`, before `before`), `remove`, `text`, `attr`, `input` (a field's
 * value), `scroll`, `focus`, `screen`, `viewport` (docs/protocol.md, "Co-browsing"). Every text,
 * value and attribute passes through the masking rules first (customer/cobrowse/masking.js), and
 * scripts, styles, media, frames and event-handler attributes are never serialized.
 *
 * @module customer/cobrowse/serializer
 */

import {bullets, isSensitive, maskText} from '/customer/cobrowse/masking.js';

/** @typedef {{id: number, parent: number, tag?: string, attrs?: Record<string, string>, text?: string}} WireNode */
/** @typedef {{kind: string} & Record<string, unknown>} WireEvent */

/** Elements never serialized (nor anything inside them). */
const SKIPPED = new Set(['script', 'style', 'template', 'iframe', 'object', 'embed', 'video', 'audio',
  'canvas', 'link', 'meta', 'noscript']);
/** Attributes that are not copied at all. */
const DROPPED_ATTRIBUTE = /^(on|style$|srcset$|nonce$|autofocus$)/;
/** Attributes kept on sensitive elements (everything else could describe the secret). */
const SENSITIVE_KEEP = new Set(['id', 'class', 'type', 'name', 'maxlength', 'inputmode', 'data-testid',
  'data-sensitive', 'role', 'hidden', 'disabled']);
const MAX_ATTRIBUTES = 16;
const MAX_ATTRIBUTE_LENGTH = 400;
const MAX_TEXT = 2000;

export class Serializer {
  /**
   * @param {Element} root the subtree to mirror (the customer app area)
   * @param {(events: WireEvent[]) => void} emit receives each batch of changes, in order
   */
  constructor(root, emit) {
    /** @private */ this.root = root;
    /** @private */ this.emit = emit;
    /** @private @type {WeakMap<Node, number>} */ this.ids = new WeakMap();
    /** @private @type {Map<number, Node>} */ this.nodes = new Map();
    /** @private */ this.nextId = 1;
    /** @private @type {WireEvent[]} */ this.pending = [];
    /** @private */ this.scheduled = false;
    /** @private @type {MutationObserver|null} */ this.observer = null;
    /** @private */ this.listening = false;
    /** @private */ this.onDomEvent = this.onDomEvent.bind(this);
    /** @private */ this.onWindowScroll = this.onWindowScroll.bind(this);
    /** @private @type {Element|null} where the app scrolls (null: the page itself) */
    this.scroller = null;
  }

  /**
   * Where the customer scrolls the app: an element around it (the call screen's body), or the page
   * (null). Its scrolling is what `scroll` events of the root report.
   * @param {Element|null} scroller
   */
  setScroller(scroller) {
    if (scroller === this.scroller) {
      return;
    }
    const listening = this.listening;
    if (listening) {
      (this.scroller ?? window).removeEventListener('scroll', this.onWindowScroll);
    }
    this.scroller = scroller;
    if (listening) {
      (this.scroller ?? window).addEventListener('scroll', this.onWindowScroll, {passive: true});
    }
  }

  /**
   * Serialize the whole subtree (and start numbering afresh).
   * @returns {WireNode[]}
   */
  snapshot() {
    this.ids = new WeakMap();
    this.nodes.clear();
    this.nextId = 1;
    this.pending = [];
    /** @type {WireNode[]} */
    const out = [];
    this.serialize(this.root, 0, out);
    return out;
  }

  /** Watch the subtree and emit its changes (call after {@link snapshot}). */
  start() {
    this.stop();
    this.observer = new MutationObserver((records) => this.onMutations(records));
    this.observer.observe(this.root, {childList: true, subtree: true, attributes: true, characterData: true});
    for (const type of ['input', 'change', 'focusin', 'scroll']) {
      this.root.addEventListener(type, this.onDomEvent, true);
    }
    (this.scroller ?? window).addEventListener('scroll', this.onWindowScroll, {passive: true});
    this.listening = true;
  }

  /** Stop watching; nothing more is emitted. */
  stop() {
    this.observer?.disconnect();
    this.observer = null;
    if (this.listening) {
      for (const type of ['input', 'change', 'focusin', 'scroll']) {
        this.root.removeEventListener(type, this.onDomEvent, true);
      }
      (this.scroller ?? window).removeEventListener('scroll', this.onWindowScroll);
      this.listening = false;
    }
    this.pending = [];
  }

  /**
   * Queue an event that is not a DOM change (the app's screen, the viewport size).
   * @param {WireEvent} event
   */
  note(event) {
    if (this.observer) {
      this.push(event);
    }
  }

  /**
   * @param {number} id
   * @returns {Node|null} the node serialized with `id`, if still present
   */
  nodeOf(id) {
    return this.nodes.get(id) ?? null;
  }

  /**
   * @param {Node} node
   * @returns {number|null} the id `node` was serialized with
   */
  idOf(node) {
    return this.ids.get(node) ?? null;
  }

  /** Emit what is queued now (normally done at the end of the current task). */
  flush() {
    if (this.observer) {
      this.onMutations(this.observer.takeRecords());
    }
    this.scheduled = false;
    const events = this.pending;
    this.pending = [];
    if (events.length) {
      this.emit(events);
    }
  }

  // --- serializing ---------------------------------------------------------------------------------

  /**
   * @private
   * @param {Node} node
   * @param {number} parent
   * @param {WireNode[]} out
   */
  serialize(node, parent, out) {
    if (node instanceof Text) {
      const text = node.data;
      if (!text.trim()) {
        return; // layout whitespace: not worth a node
      }
      out.push({id: this.register(node), parent, text: maskText(node, text).slice(0, MAX_TEXT)});
      return;
    }
    if (!(node instanceof Element)) {
      return;
    }
    const tag = node.localName;
    if (SKIPPED.has(tag) || !/^[a-z][a-z0-9-]{0,31}$/.test(tag)) {
      return;
    }
    const id = this.register(node);
    out.push({id, parent, tag, attrs: this.attributes(node)});
    for (const child of node.childNodes) {
      this.serialize(child, id, out);
    }
  }

  /**
   * @private
   * @param {Node} node
   * @returns {number}
   */
  register(node) {
    const id = this.nextId++;
    this.ids.set(node, id);
    this.nodes.set(id, node);
    return id;
  }

  /**
   * @private
   * @param {Element} element
   * @returns {Record<string, string>}
   */
  attributes(element) {
    /** @type {Record<string, string>} */
    const attrs = {};
    let count = 0;
    for (const {name} of element.attributes) {
      const value = this.attributeValue(element, name);
      if (value !== null && count < MAX_ATTRIBUTES) {
        attrs[name] = value;
        count++;
      }
    }
    const value = fieldValue(element);
    if (value !== null && count < MAX_ATTRIBUTES) {
      attrs.value = value;
    }
    return attrs;
  }

  /**
   * What the mirror may see of attribute `name` on `element` (`null`: nothing).
   * @private
   * @param {Element} element
   * @param {string} name
   * @returns {string|null}
   */
  attributeValue(element, name) {
    const raw = element.getAttribute(name);
    if (raw === null || (name === 'value' && fieldValue(element) !== null) || !/^[a-z][a-z0-9-]{0,39}$/.test(name) || DROPPED_ATTRIBUTE.test(name)) {
      return null;
    }
    const sensitive = isSensitive(element);
    if (sensitive && !SENSITIVE_KEEP.has(name)) {
      return null;
    }
    if (name === 'href' || name === 'src' || name === 'action') {
      return sameOrigin(raw) && !sensitive ? raw.slice(0, MAX_ATTRIBUTE_LENGTH) : null;
    }
    return raw.slice(0, MAX_ATTRIBUTE_LENGTH);
  }

  // --- changes -------------------------------------------------------------------------------------

  /**
   * @private
   * @param {MutationRecord[]} records
   */
  onMutations(records) {
    /** @type {Set<Node>} */
    const added = new Set();
    for (const record of records) {
      const target = record.target;
      const targetId = this.ids.get(target);
      if (record.type === 'characterData' && targetId !== undefined && target instanceof Text) {
        this.push({kind: 'text', id: targetId, text: maskText(target, target.data).slice(0, MAX_TEXT)});
      } else if (record.type === 'attributes' && targetId !== undefined && target instanceof Element &&
          record.attributeName) {
        const name = record.attributeName;
        const value = this.attributeValue(target, name);
        if (value !== null || (target.getAttribute(name) === null && /^[a-z][a-z0-9-]{0,39}$/.test(name) &&
            !DROPPED_ATTRIBUTE.test(name))) {
          this.push({kind: 'attr', id: targetId, name, value});
        }
      } else if (record.type === 'childList') {
        for (const node of record.removedNodes) {
          const id = this.ids.get(node);
          if (id !== undefined) {
            this.forget(node);
            this.push({kind: 'remove', id});
          }
          added.add(node); // moved rather than removed: added again below if still inside
        }
        for (const node of record.addedNodes) {
          added.add(node);
        }
      }
    }
    // New nodes in document order, each once, under a parent the mirror already knows.
    for (const node of [...added].sort(documentOrder)) {
      const parent = node.parentNode;
      const parentId = parent ? this.ids.get(parent) : undefined;
      if (parentId === undefined || this.ids.has(node) || !this.root.contains(node)) {
        continue;
      }
      /** @type {WireNode[]} */
      const nodes = [];
      this.serialize(node, parentId, nodes);
      if (nodes.length) {
        this.push({kind: 'add', parent: parentId, before: this.nextKnownSibling(node), nodes});
      }
    }
  }

  /**
   * @private
   * @param {Node} node
   * @returns {number|null}
   */
  nextKnownSibling(node) {
    for (let sibling = node.nextSibling; sibling; sibling = sibling.nextSibling) {
      const id = this.ids.get(sibling);
      if (id !== undefined) {
        return id;
      }
    }
    return null;
  }

  /**
   * @private
   * @param {Node} node
   */
  forget(node) {
    const id = this.ids.get(node);
    if (id !== undefined) {
      this.nodes.delete(id);
      this.ids.delete(node);
    }
    for (const child of node.childNodes) {
      this.forget(child);
    }
  }

  /**
   * @private
   * @param {Event} event
   */
  onDomEvent(event) {
    const target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    const id = this.ids.get(target);
    if (id === undefined) {
      return;
    }
    if (event.type === 'focusin') {
      this.push({kind: 'focus', id});
    } else if (event.type === 'scroll') {
      this.push({kind: 'scroll', id, top: Math.max(0, Math.round(target.scrollTop)),
        left: Math.max(0, Math.round(target.scrollLeft))});
    } else {
      const value = fieldValue(target);
      if (value !== null) {
        /** @type {WireEvent} */
        const input = {kind: 'input', id, value};
        if (target instanceof HTMLInputElement && (target.type === 'checkbox' || target.type === 'radio')) {
          input.checked = target.checked;
        }
        this.push(input);
      }
    }
  }

  /**
   * The page (or the app's scroller) scrolled: how far into the app area the part the customer sees
   * now starts (a `scroll` of the root node: the mirror marks what the customer sees).
   * @private
   */
  onWindowScroll() {
    const id = this.ids.get(this.root);
    if (id !== undefined) {
      const viewTop = this.scroller ? this.scroller.getBoundingClientRect().top : 0;
      const top = Math.max(0, Math.round(viewTop - this.root.getBoundingClientRect().top));
      this.push({kind: 'scroll', id, top, left: 0});
    }
  }

  /**
   * @private
   * @param {WireEvent} event
   */
  push(event) {
    // A field's value or a scroll position: only the latest of a burst matters.
    const last = this.pending[this.pending.length - 1];
    if (last && (event.kind === 'input' || event.kind === 'scroll') && last.kind === event.kind &&
        last.id === event.id) {
      this.pending[this.pending.length - 1] = event;
    } else {
      this.pending.push(event);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }
}

/**
 * The value of a form field as the mirror may show it, or `null` for other elements.
 * @param {Element} element
 * @returns {string|null}
 */
function fieldValue(element) {
  if (element instanceof HTMLInputElement || element instanceof HTMLTextAreaElement) {
    const value = element.value.slice(0, MAX_TEXT);
    return isSensitive(element) ? bullets(value) : value;
  }
  if (element instanceof HTMLSelectElement) {
    return isSensitive(element) ? bullets(element.value) : element.value;
  }
  return null;
}

/**
 * @param {string} url
 * @returns {boolean} whether `url` is on this page's origin (and not a `javascript:` or data URL)
 */
function sameOrigin(url) {
  try {
    return new URL(url, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

/**
 * @param {Node} a
 * @param {Node} b
 * @returns {number}
 */
function documentOrder(a, b) {
  if (a === b) {
    return 0;
  }
  return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
}
