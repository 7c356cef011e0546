// Web chat client: plain ES2017 so that old Android browsers run it; server text only ever
// goes through textContent, never innerHTML.
(function () {
  "use strict";
  var KEY_TOKEN = "phocap.chat.token", KEY_HISTORY = "phocap.chat.history";
  var KEY_PENDING = "phocap.chat.pending", MAX_HISTORY = 200, TIMEOUT_MS = 30000;
  // What the programme sends later (a donation received ...) is fetched every 20 s.
  var KEY_LAST = "phocap.chat.last", UPDATES = "/chat/api/updates", POLL_MS = 20000;
  var body = document.body, log = document.getElementById("log");
  var form = document.getElementById("composer"), input = document.getElementById("text");
  var sendButton = document.getElementById("send"), typing = document.getElementById("typing");
  var offline = document.getElementById("offline"), offlineText = document.getElementById("offline-text");
  var offlineDefault = offlineText.textContent;
  var busy = false;

  // localStorage can be missing or full (private mode, old phones): the chat still works.
  function load(key, fallback) {
    try { var raw = localStorage.getItem(key); return raw === null ? fallback : JSON.parse(raw); }
    catch (e) { return fallback; }
  }
  function save(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* keep going without persistence */ }
  }
  function randomHex(bytes) {
    var a = new Uint8Array(bytes); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  var token = load(KEY_TOKEN, null);
  if (typeof token !== "string" || !/^[0-9a-f]{32,64}$/.test(token)) { token = randomHex(16); save(KEY_TOKEN, token); }
  var history = load(KEY_HISTORY, []);
  if (!Array.isArray(history)) history = [];
  var pending = load(KEY_PENDING, null);
  var lastPulled = load(KEY_LAST, 0);
  if (typeof lastPulled !== "number") lastPulled = 0;

  function remember(entry) {
    history.push(entry);
    if (history.length > MAX_HISTORY) history = history.slice(-MAX_HISTORY);
    save(KEY_HISTORY, history);
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function bubble(entry) {
    if (entry.who === "note") return element("p", "note", entry.text);
    var el = element("div", "msg " + (entry.who === "me" ? "me" : "bot"), entry.text);
    if (entry.qr) {
      var qr = element("span", "qr");
      qr.appendChild(element("span", "qr-label", body.getAttribute("data-qr-label")));
      qr.appendChild(document.createTextNode(entry.qr));
      el.appendChild(qr);
    }
    return el;
  }

  function optionButtons(buttons) {
    var box = element("div", "options");
    buttons.forEach(function (b) {
      var btn = element("button", "", b.label);
      btn.type = "button";
      btn.disabled = busy || pending !== null;
      btn.addEventListener("click", function () { send({ choice: b.value }, b.label); });
      box.appendChild(btn);
    });
    return box;
  }

  function lastUserIndex() {
    for (var i = history.length - 1; i >= 0; i--) if (history[i].who === "me") return i;
    return -1;
  }

  // Buttons belong only to the bot's latest answer: older choices are no longer on offer.
  function render() {
    var fresh = lastUserIndex();
    while (log.lastChild) log.removeChild(log.lastChild);
    history.forEach(function (entry, i) {
      log.appendChild(bubble(entry));
      if (i > fresh && entry.who === "bot" && entry.buttons && entry.buttons.length) {
        log.appendChild(optionButtons(entry.buttons));
      }
    });
    typing.hidden = !busy;
    sendButton.disabled = busy;
    log.scrollTop = log.scrollHeight;
  }

  function showOffline(text) {
    offlineText.textContent = text || offlineDefault;
    offline.hidden = false;
  }

  function received(data, isRetry) {
    var messages = (data && Array.isArray(data.messages)) ? data.messages : [];
    messages.forEach(function (m) {
      remember({ who: "bot", text: String(m.text), buttons: Array.isArray(m.buttons) ? m.buttons : [], qr: m.qr || null });
    });
    if (isRetry && !messages.length) remember({ who: "note", text: body.getAttribute("data-already-received") });
  }

  // One attempt; a retry sends the very same message id, so the server never acts twice.
  function post(message, isRetry) {
    busy = true; offline.hidden = true; render();
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    var done = function () { clearTimeout(timer); busy = false; render(); };
    fetch(body.getAttribute("data-api"), {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(message), signal: controller ? controller.signal : undefined
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) { pending = null; save(KEY_PENDING, null); received(data, isRetry); }
        else if (res.status >= 500) showOffline(data.message || body.getAttribute("data-error-server"));
        else { pending = null; save(KEY_PENDING, null); remember({ who: "note", text: String(data.message || res.status) }); }
      });
    }).catch(function () { showOffline(null); }).then(done);
  }

  function send(fields, shownText) {
    if (busy || pending !== null) return;
    var message = { chat: token, id: randomHex(16), lang: document.documentElement.lang };
    if (fields.choice !== undefined) message.choice = fields.choice; else message.text = fields.text;
    if (shownText) remember({ who: "me", text: shownText });
    pending = message; save(KEY_PENDING, pending);
    post(message, false);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy || pending !== null) return;
    input.value = "";
    send({ text: text }, text);
  });
  document.getElementById("retry").addEventListener("click", function () {
    if (pending !== null && !busy) post(pending, true);
  });
  document.getElementById("new-chat").addEventListener("click", function () {
    if (busy || !window.confirm(body.getAttribute("data-new-confirm"))) return;
    token = randomHex(16); save(KEY_TOKEN, token);
    history = []; save(KEY_HISTORY, history); pending = null; save(KEY_PENDING, null);
    lastPulled = 0; save(KEY_LAST, 0);
    send({ text: "/start" }, null);
  });

  function pull() {
    if (document.hidden) return;  // a tab in the background waits: data costs money
    fetch(UPDATES + "?chat=" + token + "&after=" + lastPulled).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (data) {
      if (!data || typeof data.last !== "number") return;
      if (Array.isArray(data.messages) && data.messages.length) { received(data, false); render(); }
      lastPulled = data.last; save(KEY_LAST, lastPulled);
    }).catch(function () { /* offline: the next poll tries again */ });
  }
  setInterval(pull, POLL_MS);
  pull();

  render();
  // A message whose answer never came (closed tab, lost signal) waits for the user's retry.
  if (pending !== null) showOffline(null);
  else if (!history.length) send({ text: "/start" }, null);
})();
