/**
 * The teller's side of the mirror: rebuilds the customer's app area from a snapshot and applies its
 * change events (the format is described in customer/cobrowse/serializer.js and docs/protocol.md).
 *
 * It builds nodes with DOM calls only (never HTML strings) inside a document the caller provides —
 * on the console, the document of an iframe sandboxed without `allow-scripts`, so nothing received
 * can run. Tags that could load or run something, event-handler attributes and URLs to other
 * origins are dropped here too, whatever the customer's page sent.
 *
 * @module teller/cobrowse/mirror
 */

/** @typedef {{id: number, parent: number, tag?: string, attrs?: Record<string, string>, text?: string}} WireNode */
/** @typedef {{kind: string} & Record<string, any>} WireEvent */

const FORBIDDEN_TAGS = new Set(['script', 'style', 'iframe', 'frame', 'frameset', 'object', 'embed', 'link',
  'meta', 'base', 'template', 'noscript', 'video', 'audio', 'source', 'svg', 'math', 'portal']);
const FORBIDDEN_ATTRIBUTE = /^(on|style$|srcdoc$|formaction$|action$|autofocus$|xmlns)/;

export class Mirror {
  /**
   * @param {HTMLElement} container where the mirrored app area goes (in the sandboxed document)
   */
  constructor(container) {
    /** @private */ this.container = container;
    /** @private */ this.doc = /** @type {Document} */ (container.ownerDocument);
    /** @private @type {Map<number, Node>} */ this.nodes = new Map();
    /** @private @type {WeakMap<Node, number>} */ this.ids = new WeakMap();
    /** The customer's current screen. */
    this.screen = '';
    /** @type {{width: number, height: number}} */
    this.viewport = {width: 390, height: 844};
    /** How far into the app area the customer's viewport starts (CSS pixels). */
    this.viewTop = 0;
  }

  /**
   * Replace everything with a snapshot.
   * @param {{nodes: WireNode[], screen: string, viewport: {width: number, height: number}}} snapshot
   */
  load(snapshot) {
    this.clear();
    this.viewTop = 0;
    this.screen = snapshot.screen;
    this.viewport = snapshot.viewport;
    this.insert(snapshot.nodes, null);
  }

  /** Show nothing. */
  clear() {
    this.container.replaceChildren();
    this.nodes.clear();
    this.ids = new WeakMap();
  }

  /**
   * Apply a batch of changes, in order. Unknown node ids are skipped (the node was removed).
   * @param {WireEvent[]} events
   */
  apply(events) {
    for (const event of events) {
      const node = typeof event.id === 'number' ? this.nodes.get(event.id) : undefined;
      switch (event.kind) {
        case 'add':
          this.insert(event.nodes ?? [], typeof event.before === 'number' ? this.nodes.get(event.before) ?? null : null);
          break;
        case 'remove':
          if (node) {
            this.forget(node);
            node.parentNode?.removeChild(node);
          }
          break;
        case 'text':
          if (node && node.nodeType === Node.TEXT_NODE) {
            /** @type {Text} */ (node).data = String(event.text ?? '');
          }
          break;
        case 'attr':
          if (node && node.nodeType === Node.ELEMENT_NODE) {
            setAttribute(/** @type {Element} */ (node), String(event.name), event.value ?? null);
          }
          break;
        case 'input':
          if (node && node.nodeType === Node.ELEMENT_NODE) {
            setAttribute(/** @type {Element} */ (node), 'value', String(event.value ?? ''));
            if (typeof event.checked === 'boolean') {
              setAttribute(/** @type {Element} */ (node), 'checked', event.checked ? '' : null);
            }
          }
          break;
        case 'scroll':
          if (node && node === this.container.firstChild) {
            this.viewTop = Number(event.top) || 0; // the page scrolled, not an element in it
          } else if (node && node.nodeType === Node.ELEMENT_NODE) {
            /** @type {Element} */ (node).scrollTop = Number(event.top) || 0;
            /** @type {Element} */ (node).scrollLeft = Number(event.left) || 0;
          }
          break;
        case 'focus':
          for (const focused of this.container.querySelectorAll('[data-cb-focus]')) {
            focused.removeAttribute('data-cb-focus');
          }
          if (node && node.nodeType === Node.ELEMENT_NODE) {
            /** @type {Element} */ (node).setAttribute('data-cb-focus', '');
          }
          break;
        case 'screen':
          this.screen = String(event.screen ?? '');
          break;
        case 'viewport':
          this.viewport = {width: Number(event.width) || 390, height: Number(event.height) || 844};
          break;
        default:
          break;
      }
    }
  }

  /**
   * @param {Node} node a node of the mirror
   * @returns {number|null} the customer's id for it (or its nearest mirrored ancestor's)
   */
  idOf(node) {
    for (let at = /** @type {Node|null} */ (node); at; at = at.parentNode) {
      const id = this.ids.get(at);
      if (id !== undefined) {
        return id;
      }
    }
    return null;
  }

  /**
   * @param {number} id
   * @returns {Node|null}
   */
  nodeOf(id) {
    return this.nodes.get(id) ?? null;
  }

  /**
   * Build `nodes` (pre-order, parents first); top-level ones go before `before` in their parent.
   * @private
   * @param {WireNode[]} nodes
   * @param {Node|null} before
   */
  insert(nodes, before) {
    for (const wire of nodes) {
      const parent = wire.parent === 0 ? this.container : this.nodes.get(wire.parent);
      if (!parent) {
        continue;
      }
      const node = this.build(wire);
      if (!node) {
        continue;
      }
      this.nodes.set(wire.id, node);
      this.ids.set(node, wire.id);
      const anchor = before && before.parentNode === parent ? before : null;
      parent.insertBefore(node, anchor);
    }
  }

  /**
   * @private
   * @param {WireNode} wire
   * @returns {Node|null}
   */
  build(wire) {
    if (typeof wire.text === 'string' && !wire.tag) {
      return this.doc.createTextNode(wire.text);
    }
    const tag = String(wire.tag ?? '');
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(tag) || FORBIDDEN_TAGS.has(tag)) {
      return null;
    }
    const element = this.doc.createElement(tag);
    for (const [name, value] of Object.entries(wire.attrs ?? {})) {
      setAttribute(element, name, value);
    }
    return element;
  }

  /**
   * @private
   * @param {Node} node
   */
  forget(node) {
    const id = this.ids.get(node);
    if (id !== undefined) {
      this.nodes.delete(id);
    }
    for (const child of node.childNodes) {
      this.forget(child);
    }
  }
}

/**
 * Set (or with `null` remove) one attribute, keeping anything that could run or load out.
 * @param {Element} element
 * @param {string} name
 * @param {string|null} value
 */
function setAttribute(element, name, value) {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(name) || FORBIDDEN_ATTRIBUTE.test(name)) {
    return;
  }
  if (value === null) {
    element.removeAttribute(name);
    if (name === 'checked' && 'checked' in element) {
      /** @type {HTMLInputElement} */ (element).checked = false;
    }
    return;
  }
  if ((name === 'href' || name === 'src') && !isLocalPath(value)) {
    return;
  }
  element.setAttribute(name, value);
  if (name === 'value' && 'value' in element) {
    /** @type {HTMLInputElement} */ (element).value = value;
  }
  if (name === 'checked' && 'checked' in element) {
    /** @type {HTMLInputElement} */ (element).checked = true;
  }
}

/**
 * @param {string} url
 * @returns {boolean} a path on the console's own origin
 */
function isLocalPath(url) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.origin === location.origin && (parsed.protocol === 'http:' || parsed.protocol === 'https:');
  } catch {
    return false;
  }
}
