// Unit tests of the co-browse serializer, masking and mirror, run inside Chromium on the customer page
// (tests/browser/test_cobrowse_unit.py evaluates this function and asserts every case passed).
async () => {
  const {Serializer} = await import('/customer/cobrowse/serializer.js');
  const {Mirror} = await import('/teller/cobrowse/mirror.js');
  const {bullets} = await import('/customer/cobrowse/masking.js');
  const results = [];
  const check = (name, ok, detail = '') => results.push({name, ok: Boolean(ok), detail: String(detail)});
  const fixtures = document.implementation.createHTMLDocument('fixtures');
  const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

  /** A comparable description of a subtree: tags, attributes, texts and field values. */
  const shape = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      return node.data.trim() ? `"${node.data}"` : null;
    }
    const attrs = [...node.attributes].map((a) => `${a.name}=${a.value}`)
      .filter((a) => !a.startsWith('value=') && !a.startsWith('checked=')).sort().join(',');
    const value = 'value' in node && node.localName !== 'button' ? `{${node.value}}` : '';
    const kids = [...node.childNodes].map(shape).filter((s) => s !== null).join('');
    return `<${node.localName} ${attrs}>${value}${kids}</${node.localName}>`;
  };

  const setup = (html) => {
    // The fixture lives in an inert document: its hostile parts (handlers, scripts) never run here.
    const source = fixtures.createElement('div');
    source.innerHTML = html;
    fixtures.body.append(source);
    const target = document.createElement('div');
    document.body.append(target);
    const batches = [];
    const serializer = new Serializer(source, (events) => batches.push(events));
    const mirror = new Mirror(target);
    const nodes = serializer.snapshot();
    mirror.load({nodes, screen: 'home', viewport: {width: 390, height: 844}});
    serializer.start();
    const sync = () => {
      serializer.flush();
      for (const events of batches.splice(0)) mirror.apply(events);
    };
    const done = () => { serializer.stop(); source.remove(); target.remove(); };
    return {source, target, serializer, mirror, nodes, batches, sync, done};
  };

  // 1. Snapshot round trip.
  {
    const t = setup('<div class="a" data-screen="home"><h2>Title</h2><p>Hello <b>world</b></p>' +
      '<ul><li>one</li><li>two</li></ul><label for="x">Name</label><input id="x" type="text" value="Ann">' +
      '<select><option value="1">One</option><option value="2" selected>Two</option></select></div>');
    t.source.querySelector('input').value = 'Ann Lee';
    const fresh = setup(t.source.innerHTML);
    fresh.source.querySelector('input').value = 'Ann Lee';
    fresh.done();
    const again = new Serializer(t.source, () => {});
    const target = document.createElement('div');
    const mirror = new Mirror(target);
    mirror.load({nodes: again.snapshot(), screen: 'home', viewport: {width: 1, height: 1}});
    check('snapshot round trip keeps tags, attributes, texts and values',
      shape(target.firstChild) === shape(t.source), `${shape(target.firstChild)}\n${shape(t.source)}`);
    t.done();
  }

  // 2. Incremental changes round trip.
  {
    const t = setup('<div id="root"><p id="p">first</p><ul id="list"><li>a</li><li>b</li></ul>' +
      '<input id="field" type="text"><input id="box" type="checkbox"></div>');
    const root = t.source.querySelector('#root');
    t.source.querySelector('#p').firstChild.data = 'changed';
    const li = document.createElement('li');
    li.textContent = 'inserted';
    const list = t.source.querySelector('#list');
    list.insertBefore(li, list.children[1]);
    list.firstElementChild.remove();
    root.setAttribute('data-screen', 'help');
    root.append(list); // move
    const field = t.source.querySelector('#field');
    field.value = 'typed text';
    field.dispatchEvent(new Event('input', {bubbles: true}));
    const box = t.source.querySelector('#box');
    box.checked = true;
    box.dispatchEvent(new Event('change', {bubbles: true}));
    t.sync();
    check('mutations, inputs and moves round trip', shape(t.target.firstChild) === shape(t.source),
      `${shape(t.target.firstChild)}\n${shape(t.source)}`);
    check('checkbox state is mirrored', t.target.querySelector('#box').checked === true);
    t.done();
  }

  // 3. Microtask batching: many changes in one task are one batch.
  {
    const t = setup('<p id="p">x</p>');
    for (let i = 0; i < 50; i++) t.source.querySelector('#p').firstChild.data = `v${i}`;
    await nextTask();
    check('changes made in one task are sent as one batch', t.batches.length === 1, t.batches.length);
    t.done();
  }

  // 4. Masking of every sensitive kind, in snapshots and in changes.
  {
    const secretPin = '852963';
    const card = '6222020200112233';
    const idNumber = '11010119500101123X';
    const t = setup(
      '<input id="pw" type="password">' +
      `<input id="card" type="text" data-sensitive="card-number" value="${card}" title="${card}" placeholder="${card}">` +
      `<p data-sensitive="id-number" aria-label="${idNumber}">ID <span>${idNumber}</span></p>` +
      `<div data-testid="pin-pad"><p class="pin-display">${secretPin}</p><button>7</button></div>` +
      `<div data-sensitive><textarea id="cvv">${'123'}</textarea><img src="/shared/favicon.svg" alt="x"></div>` +
      '<img id="same" src="/shared/favicon.svg" alt="logo"><img id="other" src="https://example.com/x.png" alt="x">' +
      '<a id="js" href="javascript:alert(1)">x</a><button onclick="alert(1)" style="color:red">ok</button>' +
      '<script>window.bad = 1</script>');
    const pw = t.source.querySelector('#pw');
    pw.value = secretPin;
    pw.dispatchEvent(new Event('input', {bubbles: true}));
    const cardInput = t.source.querySelector('#card');
    cardInput.value = card + '9';
    cardInput.dispatchEvent(new Event('input', {bubbles: true}));
    t.source.querySelector('.pin-display').textContent = '8529';
    t.source.querySelector('[data-sensitive="id-number"] span').firstChild.data = idNumber + 'Z';
    t.sync();
    const everything = JSON.stringify(t.nodes) + JSON.stringify(t.batches) + t.target.outerHTML +
      [...t.target.querySelectorAll('input, textarea')].map((e) => e.value).join('|');
    check('the snapshot carries no card number', !JSON.stringify(t.nodes).includes(card));
    check('no password, PIN, card or ID number is serialized or mirrored',
      ![secretPin, '8529', card, idNumber, '6222', '0101195'].some((s) => everything.includes(s)), everything);
    check('a masked field keeps its length as bullets',
      t.target.querySelector('#card').value === bullets(card + '9') &&
      t.target.querySelector('#pw').value === '••••••', t.target.querySelector('#card').value);
    check('masked text keeps its length', t.target.querySelector('[data-sensitive="id-number"] span').textContent ===
      '•'.repeat(idNumber.length + 1));
    check('the PIN pad is masked', !t.target.querySelector('[data-testid="pin-pad"]').textContent.match(/\d/),
      t.target.querySelector('[data-testid="pin-pad"]').textContent);
    check('attributes of sensitive elements that could describe the secret are dropped',
      !t.target.querySelector('#card')?.hasAttribute('title') && !t.target.querySelector('[aria-label]'));
    check('images inside sensitive areas and from other origins are not referenced',
      t.target.querySelectorAll('img[src]').length === 1 && t.target.querySelector('#same')?.getAttribute('src') ===
      '/shared/favicon.svg');
    check('scripts, handlers, styles and javascript: URLs are not serialized',
      !t.target.querySelector('script') && !t.target.querySelector('[onclick]') &&
      !t.target.querySelector('[style]') && !t.target.querySelector('#js').hasAttribute('href'));
    t.done();
  }

  // 5. Scroll, focus, screen and viewport (on a laid-out subtree of the live page).
  {
    const source = document.createElement('div');
    const box = document.createElement('div');
    box.id = 'box';
    box.style.height = '50px';
    box.style.overflow = 'auto';
    const tall = document.createElement('p');
    tall.style.height = '400px';
    tall.textContent = 'tall';
    const field = document.createElement('input');
    field.id = 'f';
    box.append(tall);
    source.append(box, field);
    document.body.append(source);
    const batches = [];
    const serializer = new Serializer(source, (events) => batches.push(events));
    const target = document.createElement('div');
    const mirror = new Mirror(target);
    mirror.load({nodes: serializer.snapshot(), screen: 'home', viewport: {width: 390, height: 844}});
    serializer.start();
    box.scrollTop = 120;
    await new Promise((resolve) => box.addEventListener('scroll', resolve, {once: true}));
    field.focus();
    serializer.note({kind: 'screen', screen: 'help'});
    serializer.note({kind: 'viewport', width: 375, height: 667});
    serializer.flush();
    const events = batches.flat();
    for (const batch of batches) mirror.apply(batch);
    check('scroll positions are sent', events.some((e) => e.kind === 'scroll' && e.top === 120),
      JSON.stringify(events));
    check('focus is mirrored', target.querySelector('#f')?.hasAttribute('data-cb-focus'), JSON.stringify(events));
    check('screen and viewport are mirrored', mirror.screen === 'help' && mirror.viewport.width === 375 &&
      mirror.viewport.height === 667, JSON.stringify(mirror.viewport));
    serializer.stop();
    source.remove();
  }

  // 6. The mirror refuses what could run even if a sender tried.
  {
    const target = document.createElement('div');
    const mirror = new Mirror(target);
    mirror.load({screen: 'home', viewport: {width: 1, height: 1}, nodes: [
      {id: 1, parent: 0, tag: 'script', attrs: {}}, {id: 2, parent: 1, text: 'window.bad=1'},
      {id: 3, parent: 0, tag: 'img', attrs: {src: 'https://evil.example/x', onerror: 'alert(1)'}},
      {id: 4, parent: 0, tag: 'a', attrs: {href: 'javascript:alert(1)'}},
      {id: 5, parent: 0, tag: 'iframe', attrs: {srcdoc: '<script>1</script>'}},
    ]});
    check('the mirror drops scripts, frames, handlers and foreign URLs',
      target.innerHTML === '<img><a></a>', target.innerHTML);
  }
  return results;
}
