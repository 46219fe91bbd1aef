/* The guard's checkpoint page: scan or look up a person, take the temperature, confirm.
 *
 * Online, the server checks passes (POST /api/gate/scan/) and stores entries at once; offline
 * (or when a request fails) passes are checked here with WebCrypto against the cached keys
 * and lists (pass.js) and entries wait in IndexedDB (queue.js) until the batch endpoint has
 * answered for each of them. Every entry carries a uuid made here when the guard confirms,
 * so however often an upload is retried the server stores it once.
 *
 * All text comes translated from the page (json_script "gate-config"); none is written here.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("gate-config").textContent);
  var S = config.strings;
  var CP = config.checkpoint.id;
  var store = window.ShoumenQueue;
  var Pass = window.ShoumenPass;
  var BATCH_SIZE = 500;
  var FLUSH_EVERY_MS = 30000;
  var REFRESH_EVERY_MS = 5 * 60000;

  var state = {
    token: null,
    keys: null,
    lists: null,
    refreshedAt: null,
    refreshError: "",
    current: null,
    flushing: null,
    storageOk: true,
    revoked: false,
    fever: Number(config.fever_threshold),
    range: config.temperature_range.map(Number),
  };

  function $(id) { return document.getElementById(id); }

  function fmt(text, params) {
    return String(text).replace(/%\((\w+)\)s/g, function (whole, key) {
      return params && Object.prototype.hasOwnProperty.call(params, key) ? String(params[key]) : whole;
    });
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function show(node, visible) { node.classList.toggle("d-none", !visible); }

  function formatTime(value, withDate) {
    var options = {hour: "2-digit", minute: "2-digit"};
    if (withDate) { options.month = "2-digit"; options.day = "2-digit"; }
    try { return new Date(value).toLocaleString(config.language, options); } catch (e) {
      return new Date(value).toLocaleString(undefined, options);
    }
  }

  function formatDate(value) {  // a pass's validity: the year matters near its end
    var options = {year: "numeric", month: "2-digit", day: "2-digit"};
    try { return new Date(value).toLocaleDateString(config.language, options); } catch (e) {
      return new Date(value).toLocaleDateString(undefined, options);
    }
  }

  function newUuid() {
    // RFC 9562 version 7: 48 bits of Unix time in milliseconds, then random bits. Entries'
    // uuids then grow with time, so the server's unique index takes them at its end instead
    // of anywhere in it (docs/decisions/0007). getRandomValues works on plain http too.
    var b = crypto.getRandomValues(new Uint8Array(16));
    var ms = Date.now();
    for (var i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- Messages -----------------------------------------------------------------------------

  function flash(message, kind) {
    var box = $("gate-alerts");
    var alert = el("div", {className: "alert alert-" + (kind || "info") + " py-2", role: "alert",
                           text: message});
    unflash(message);  // the same news once, the newest
    box.prepend(alert);
    while (box.children.length > 3) box.lastChild.remove();
    if (kind === "success" || kind === "info") {
      setTimeout(function () { alert.remove(); }, 8000);
    }
  }

  function unflash(message) {
    Array.prototype.slice.call($("gate-alerts").children).forEach(function (old) {
      if (old.textContent === message) old.remove();
    });
  }

  function showDevice(message, canRegister) {
    $("gate-device-message").textContent = message;
    show($("gate-register"), !!canRegister);
    show($("gate-device"), !!message);
  }

  function describe(response) {
    var data = response.data;
    if (data && typeof data.detail === "string") return data.detail;
    if (response.status >= 500 || !data) return fmt(S.server_error, {status: response.status});
    return flattenErrors(data).map(function (pair) { return pair[1].join(" "); }).join(" ");
  }

  // --- Talking to the server ----------------------------------------------------------------

  function NetworkError(cause) { this.cause = cause; }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) {
      return "";
    }
  }

  /* One API call; resolves {status, data}, rejects NetworkError when no answer came.
     With a device token the call carries no cookies: the token alone speaks for the phone. */
  function request(method, url, body, options) {
    options = options || {};
    var headers = {"Accept": "application/json", "Accept-Language": config.language};
    var init = {method: method, headers: headers, credentials: "same-origin", cache: "no-store"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (state.revoked && !options.session && !options.anonymous) {
      // A revoked phone must not go on writing under the guard's session: it keeps entries
      // until someone registers it again.
      return Promise.resolve({status: 401, data: {detail: revokedMessage()}});
    }
    var usedToken = !!(state.token && !options.session && !options.anonymous);
    if (usedToken) {
      headers.Authorization = "Device " + state.token;
      init.credentials = "omit";
    } else if (!options.anonymous) {
      headers["X-CSRFToken"] = csrfToken();
    }
    var controller = window.AbortController ? new AbortController() : null;
    if (controller) init.signal = controller.signal;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, options.timeout || 10000);
    return fetch(url, init).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.status === 401 && usedToken) {
          deviceRevoked(data && typeof data.detail === "string" ? data.detail : "");
        }
        return {status: response.status, data: data};
      });
    }, function (error) {
      throw new NetworkError(error);
    }).finally(function () { clearTimeout(timer); });
  }

  // --- The device token ---------------------------------------------------------------------

  var TOKEN_KEY = "device:" + CP;
  var LOCAL_TOKEN_KEY = "shoumen.gate.device." + CP;
  var LOCAL_REVOKED_KEY = "shoumen.gate.revoked." + CP;
  var LOCAL_REVOKED_WHY_KEY = "shoumen.gate.revoked-why." + CP;

  /* Why the server stopped this phone (its 401 message), kept across reloads. */
  function revokedMessage() {
    try { return localStorage.getItem(LOCAL_REVOKED_WHY_KEY) || S.revoked; } catch (e) {
      return S.revoked;
    }
  }

  function loadToken() {
    var fromLocal = null;
    try {
      fromLocal = localStorage.getItem(LOCAL_TOKEN_KEY);
      state.revoked = localStorage.getItem(LOCAL_REVOKED_KEY) === "1";
    } catch (e) { /* private mode */ }
    return store.getMeta(TOKEN_KEY).catch(function () { return null; }).then(function (saved) {
      state.token = (saved && saved.token) || fromLocal || null;
      if (state.token) state.revoked = false;
    });
  }

  /* Keep the token (or forget it: device null) in IndexedDB and localStorage. */
  function saveToken(device) {
    state.token = device ? device.token : null;
    state.revoked = !device;
    try {
      if (device) {
        localStorage.setItem(LOCAL_TOKEN_KEY, device.token);
        localStorage.removeItem(LOCAL_REVOKED_KEY);
        localStorage.removeItem(LOCAL_REVOKED_WHY_KEY);
      } else {
        localStorage.removeItem(LOCAL_TOKEN_KEY);
        localStorage.setItem(LOCAL_REVOKED_KEY, "1");
      }
    } catch (e) { /* private mode: IndexedDB has it */ }
    var saving = device ? store.setMeta(TOKEN_KEY, {token: device.token, id: device.id, name: device.name})
                        : store.deleteMeta(TOKEN_KEY);
    return saving.catch(function () {});
  }

  /* The server no longer knows this phone's token: say so, offer to register again (never
     silently: whoever revoked it may have had a reason), keep every entry meanwhile. */
  function deviceRevoked(why) {
    saveToken(null);
    try {
      if (why) localStorage.setItem(LOCAL_REVOKED_WHY_KEY, why);
    } catch (e) { /* private mode: this time only */ }
    showDevice(why || revokedMessage(), true);
  }

  function registerDevice() {
    if (!navigator.onLine) {
      showDevice(S.register_offline, false);
      return Promise.resolve(false);
    }
    showDevice(S.registering, false);
    return request("POST", config.api.devices, {checkpoint: CP, name: S.device_name}, {session: true})
      .then(function (response) {
        if (response.status === 201 && response.data && response.data.token) {
          return saveToken(response.data).then(function () {
            showDevice("", false);
            flash(S.registered, "success");
            return true;
          });
        }
        showDevice(fmt(S.register_failed, {error: describe(response)}), true);
        return false;
      }, function () {
        showDevice(fmt(S.register_failed, {error: S.network_error}), true);
        return false;
      });
  }

  function ensureDevice() {
    if (state.token) return Promise.resolve(true);
    if (state.revoked) {
      showDevice(revokedMessage(), true);
      return Promise.resolve(false);
    }
    return registerDevice();
  }

  // --- Keys, lists and the checkpoint's context ---------------------------------------------

  function loadCached() {
    return Promise.all([store.getMeta("keys"), store.getMeta("lists"), store.getMeta("refreshed:" + CP),
                        store.getMeta("context:" + CP)]).then(function (values) {
      state.keys = values[0] || null;
      state.lists = values[1] || null;
      state.refreshedAt = values[2] || null;
      applyContext(values[3]);
    }).catch(function () {});
  }

  function applyContext(context) {
    if (!context) return;
    if (context.fever_threshold) state.fever = Number(context.fever_threshold);
    if (Array.isArray(context.temperature_range)) state.range = context.temperature_range.map(Number);
    if (Array.isArray(context.quick_temperatures) && context.quick_temperatures.length) {
      var box = document.querySelector(".gate-temps");
      box.textContent = "";
      context.quick_temperatures.forEach(function (t) {
        box.appendChild(el("button", {type: "button", className: "btn btn-outline-secondary btn-lg",
                                      "data-temperature": String(t), text: String(t)}));
      });
    }
  }

  function refresh() {
    if (!navigator.onLine) return Promise.resolve();
    var calls = [
      request("GET", config.api.keys, undefined, {anonymous: true}),
      request("GET", config.api.lists),
      request("GET", config.api.context),
    ];
    return Promise.all(calls.map(function (call) {
      return call.catch(function () { return {status: 0, data: null}; });
    })).then(function (answers) {
      var keys = answers[0], lists = answers[1], context = answers[2];
      var saves = [];
      var failed = answers.filter(function (a) { return a.status !== 200; });
      if (keys.status === 200 && Array.isArray(keys.data)) {
        state.keys = keys.data;
        saves.push(store.setMeta("keys", keys.data));
      }
      if (lists.status === 200 && lists.data) {
        state.lists = lists.data;
        saves.push(store.setMeta("lists", lists.data));
      }
      if (context.status === 200 && context.data) {
        applyContext(context.data);
        saves.push(store.setMeta("context:" + CP, context.data));
      }
      if (!failed.length) {
        state.refreshedAt = new Date().toISOString();
        state.refreshError = "";
        saves.push(store.setMeta("refreshed:" + CP, state.refreshedAt));
      } else {
        state.refreshError = failed[0].status ? describe(failed[0]) : S.network_error;
      }
      renderRefreshed();
      return Promise.all(saves).catch(function () {});
    });
  }

  function renderRefreshed() {
    var line = $("gate-refreshed");
    if (!state.refreshedAt) {
      line.textContent = S.never_refreshed;
      line.className = "text-danger";
    } else if (state.refreshError) {
      line.textContent = fmt(S.refresh_failed, {error: state.refreshError,
                                                time: formatTime(state.refreshedAt, true)});
      line.className = "text-warning-emphasis";
    } else {
      line.textContent = fmt(S.refreshed, {time: formatTime(state.refreshedAt, true)});
      line.className = "text-muted";
    }
    line.dataset.refreshedAt = state.refreshedAt || "";
    $("gate-keys-summary").textContent = state.keys && state.lists ? fmt(S.keys_summary, {
      keys: state.keys.length, revoked: (state.lists.revoked || []).length,
      confined: (state.lists.confined || []).length}) : "";
  }

  // --- Network indicator --------------------------------------------------------------------

  function renderNetwork() {
    var badge = $("gate-network");
    badge.textContent = navigator.onLine ? S.online : S.offline;
    badge.className = "badge fs-6 " + (navigator.onLine ? "text-bg-success" : "text-bg-secondary");
    badge.dataset.online = navigator.onLine ? "1" : "0";
  }

  // --- Direction ----------------------------------------------------------------------------

  var DIRECTION_KEY = "shoumen.gate.direction." + CP;

  function direction() {
    return $("gate-dir-out").checked ? "out" : "in";
  }

  function restoreDirection() {
    var saved = null;
    try { saved = localStorage.getItem(DIRECTION_KEY); } catch (e) { /* private mode */ }
    if (saved === "out") $("gate-dir-out").checked = true;
  }

  function directionChanged() {
    try { localStorage.setItem(DIRECTION_KEY, direction()); } catch (e) { /* private mode */ }
    var current = state.current;
    if (!current) return;
    if (current.source === "pass") checkPass(current.qrText);
    else if (current.source === "lookup") choosePerson(current.person);
  }

  // --- What is on the card ------------------------------------------------------------------

  function personLines(person) {
    return [person.community, person.status_display, person.phone_masked].filter(Boolean);
  }

  var TECHNICAL_REASONS = {malformed: true, unknown_key: true, bad_signature: true};

  function fromServerCheck(data) {
    var person = data.person || null;
    var lines = person ? personLines(person) : [];
    if (data.pass && data.pass.number) lines.push(fmt(S.pass_number, {n: data.pass.number}));
    if (data.pass && data.pass.valid_until) {
      lines.push(fmt(S.valid_until, {date: formatDate(data.pass.valid_until)}));
    }
    return {
      verdict: data.ok ? "ok" : "refused",
      reason: data.ok ? "" : data.reason,
      message: data.ok ? "" : (data.message || config.reasons[data.reason] || data.reason),
      // A decoding or signature failure's detail is for developers (and in English): the
      // reason already says what the guard needs. Dates, revocation notes and statuses stay.
      detail: TECHNICAL_REASONS[data.reason] ? "" : (data.detail || ""),
      name: person ? person.name : "",
      idMasked: person ? person.id_number_masked : "",
      lines: lines,
      how: S.checked_online,
    };
  }

  function checkOffline(text, dir) {
    if (!Pass.available()) {
      return Promise.resolve({verdict: "unchecked", message: S.unavailable, name: "", idMasked: "",
                              lines: [], how: ""});
    }
    if (!state.keys || !state.keys.length) {
      return Promise.resolve({verdict: "unchecked", message: S.no_keys, name: "", idMasked: "",
                              lines: [], how: ""});
    }
    var lists = state.lists || {};
    return Pass.verify(text, {keys: state.keys, revoked: lists.revoked, confined: lists.confined,
                              direction: dir}).then(function (result) {
      var claims = result.claims;
      var lines = claims ? [fmt(S.pass_number, {n: claims.number}),
                            fmt(S.valid_until, {date: formatDate(claims.expiresAt)})] : [];
      return {
        verdict: result.ok ? "ok" : "refused",
        reason: result.ok ? "" : result.reason,
        message: result.ok ? "" : (config.reasons[result.reason] || result.reason),
        // The phone's own details are for developers; only an expiry date helps the guard.
        detail: result.reason === "expired" ? result.detail : "",
        name: claims ? claims.holder : "",
        idMasked: "",
        lines: lines,
        how: S.checked_offline,
      };
    });
  }

  var checkSeq = 0;

  function checkPass(text) {
    var dir = direction();
    var seq = ++checkSeq;
    if (!state.current || state.current.qrText !== text) forgetTemperature();
    state.current = {source: "pass", qrText: text,
                     preview: {verdict: "pending", name: S.checking, lines: [], idMasked: "", how: ""}};
    renderCard();
    var online = navigator.onLine
      ? request("POST", config.api.scan, {checkpoint: CP, qr_text: text, direction: dir}, {timeout: 6000})
        .then(function (response) {
          if (response.status === 200 && response.data) return fromServerCheck(response.data);
          if (response.status === 400 && response.data) {
            return {verdict: "refused", reason: "malformed", message: describe(response), name: "",
                    idMasked: "", lines: [], how: S.checked_online};
          }
          if (response.status === 403 || response.status === 404) {
            return {verdict: "refused", reason: "", message: S.forbidden, name: "", idMasked: "",
                    lines: [], how: ""};
          }
          return null;  // revoked device, server error: decide here
        }, function () { return null; })
      : Promise.resolve(null);
    return online.then(function (preview) {
      return preview || checkOffline(text, dir);
    }).then(function (preview) {
      if (seq !== checkSeq || !state.current || state.current.qrText !== text) return;
      state.current.preview = preview;
      renderCard();
    });
  }

  function choosePerson(person) {
    var refused = direction() === "out" && person.confined;
    if (!state.current || state.current.person !== person) forgetTemperature();
    state.current = {source: "lookup", person: person, preview: {
      verdict: refused ? "refused" : "ok",
      reason: refused ? "status" : "",
      message: refused ? config.reasons.status : "",
      name: person.name, idMasked: person.id_number_masked, lines: personLines(person),
      how: S.checked_online,
    }};
    renderCard();
  }

  function maskId(number) {
    number = String(number || "").trim();
    return number.length > 10 ? number.slice(0, 6) + "*".repeat(number.length - 10) + number.slice(-4) : number;
  }

  function chooseVisitor(visitor) {
    forgetTemperature();
    state.current = {source: "visitor", visitor: visitor, preview: {
      verdict: "unchecked", name: visitor.name, idMasked: maskId(visitor.id_number),
      lines: [S.visitor, visitor.reason, visitor.visiting].filter(Boolean),
      message: "", how: navigator.onLine ? "" : S.visitor_offline,
    }};
    renderCard();
  }

  function renderCard() {
    var card = $("gate-current");
    var current = state.current;
    show(card, !!current);
    if (!current) return;
    var p = current.preview;
    card.classList.toggle("gate-card-ok", p.verdict === "ok");
    card.classList.toggle("gate-card-refused", p.verdict === "refused");
    card.dataset.verdict = p.verdict;
    card.dataset.reason = p.reason || "";
    $("gate-card-name").textContent = p.name || "—";
    $("gate-card-id").textContent = p.idMasked || "";
    $("gate-card-more").textContent = p.lines.join(" · ");
    var badge = $("gate-card-verdict");
    badge.textContent = p.verdict === "ok" ? S.ok : p.verdict === "refused" ? S.not_ok
      : p.verdict === "pending" ? "…" : "?";
    badge.className = "badge fs-5 " + (p.verdict === "ok" ? "text-bg-success"
      : p.verdict === "refused" ? "text-bg-danger" : "text-bg-warning");
    var reason = $("gate-card-reason");
    reason.textContent = p.message ? p.message + (p.detail ? " (" + p.detail + ")" : "") : "";
    reason.className = "mt-2 fw-semibold " + (p.verdict === "refused" ? "text-danger" : "text-warning-emphasis");
    $("gate-card-how").textContent = p.how || "";
    show($("gate-confirm"), p.verdict !== "refused");
    show($("gate-record-refusal"), p.verdict === "refused" && current.source === "pass" && !!p.reason);
    updateTemperature();
  }

  /* Close the card; with ``only``, only if it still shows that person (the guard may have
     scanned the next pass while the last entry was on its way). */
  function clearCard(only) {
    if (only && state.current !== only) return;
    state.current = null;
    $("gate-temp-input").value = "";
    updateTemperature();
    renderCard();
    var scanPane = $("gate-pane-scan");
    if (scanPane.classList.contains("active")) $("gate-scan-input").focus();
  }

  // --- Temperature --------------------------------------------------------------------------

  /* A new person on the card: the last person's temperature must not carry over. */
  function forgetTemperature() {
    $("gate-temp-input").value = "";
  }

  function readTemperature() {
    var raw = $("gate-temp-input").value.trim().replace(",", ".");
    if (!raw) return {valid: false, error: ""};
    if (!/^\d{1,3}(\.\d+)?$/.test(raw)) return {valid: false, error: S.temperature_nan};
    var value = Math.round(Number(raw) * 10) / 10;
    var text = value.toFixed(1);
    if (value < state.range[0] || value > state.range[1]) {
      return {valid: false, error: fmt(S.temperature_range, {t: text, low: state.range[0].toFixed(1),
                                                             high: state.range[1].toFixed(1)})};
    }
    return {valid: true, text: text, value: value, fever: value >= state.fever};
  }

  function updateTemperature() {
    var t = readTemperature();
    var input = $("gate-temp-input");
    input.classList.toggle("is-invalid", !!t.error);
    input.classList.toggle("gate-fever", !!(t.valid && t.fever));
    input.dataset.fever = t.valid && t.fever ? "1" : "0";
    $("gate-temp-error").textContent = t.error || "";
    var warning = $("gate-fever-warning");
    warning.textContent = t.valid && t.fever ? fmt(S.fever, {threshold: state.fever.toFixed(1)}) : "";
    show(warning, !!(t.valid && t.fever));
    var p = state.current && state.current.preview;
    $("gate-confirm").disabled = !(t.valid && p && p.verdict !== "refused" && p.verdict !== "pending");
    $("gate-confirm").classList.toggle("btn-danger", !!(t.valid && t.fever));
    $("gate-confirm").classList.toggle("btn-success", !(t.valid && t.fever));
    $("gate-record-refusal").disabled = !(t.valid && p && p.verdict === "refused");
    return t;
  }

  // --- Registering --------------------------------------------------------------------------

  function flattenErrors(data, prefix) {
    var pairs = [];
    Object.keys(data || {}).forEach(function (key) {
      var value = data[key], name = prefix ? prefix + "." + key : key;
      if (Array.isArray(value)) pairs.push([name, value.map(String)]);
      else if (value && typeof value === "object") pairs = pairs.concat(flattenErrors(value, name));
      else if (typeof value === "string") pairs.push([name, [value]]);
    });
    return pairs;
  }

  function clearFieldErrors() {
    document.querySelectorAll("[data-errors-for]").forEach(function (box) {
      box.textContent = "";
      var input = box.previousElementSibling;
      if (input && input.classList.contains("form-control") && box.id !== "gate-temp-error") {
        input.classList.remove("is-invalid");
      }
    });
  }

  /* Put the server's per-field errors next to their fields; the rest in a message. */
  function showFieldErrors(data) {
    clearFieldErrors();
    var unplaced = [];
    var visitorError = false;
    flattenErrors(data).forEach(function (pair) {
      var box = document.querySelector('[data-errors-for="' + pair[0] + '"]');
      if (!box) { unplaced.push(pair[1].join(" ")); return; }
      box.textContent = pair[1].join(" ");
      var input = box.previousElementSibling;
      if (input && input.classList.contains("form-control")) input.classList.add("is-invalid");
      if (pair[0].indexOf("visitor.") === 0) visitorError = true;
    });
    if (visitorError && window.bootstrap) bootstrap.Tab.getOrCreateInstance($("gate-tab-visitor")).show();
    flash(unplaced.length ? unplaced.join(" ") : S.fix_fields, "danger");
  }

  function entryBody(t) {
    var current = state.current;
    var body = {uuid: newUuid(), checkpoint: CP, direction: direction(), temperature: t.text,
                at: new Date().toISOString()};
    if (current.source === "pass") body.qr_text = current.qrText;
    else if (current.source === "lookup") body.person = current.person.id;
    else body.visitor = current.visitor;
    return body;
  }

  function confirmEntry() {
    var t = updateTemperature();
    var current = state.current;
    if (!t.valid || !current) return Promise.resolve();
    var body = entryBody(t);
    var row = {uuid: body.uuid, checkpoint: CP, at: body.at, name: current.preview.name || "",
               direction: body.direction, temperature: body.temperature, fever: t.fever,
               state: "queued", message: ""};
    $("gate-confirm").disabled = $("gate-record-refusal").disabled = true;
    var visitorForm = current.source === "visitor";
    var sent = navigator.onLine
      ? request("POST", config.api.entries, body, {timeout: 8000}).catch(function () { return null; })
      : Promise.resolve(null);
    return sent.then(function (response) {
      var data = response && response.data;
      var status = data && data.status;
      if (response && (response.status === 201 || response.status === 200)
          && (status === "stored" || status === "duplicate")) {
        var entry = data.entry || {};
        row.state = "synced";
        row.fever = entry.fever !== undefined ? !!entry.fever : row.fever;
        if (entry.person && entry.person.name) row.name = entry.person.name;
        return store.addRecent(row).catch(function () {}).then(function () {
          flash(fmt(row.fever ? S.stored_fever : S.stored, {name: row.name}), row.fever ? "warning" : "success");
          if (visitorForm) $("gate-visitor-form").reset();
          clearCard(current);
          return renderRecent();
        });
      }
      if (response && response.status === 200 && status === "refused") {
        row.state = "refused";
        row.message = data.message || config.reasons[data.reason] || data.reason;
        if (data.person && data.person.name) row.name = data.person.name;
        return store.addRecent(row).catch(function () {}).then(function () {
          flash(fmt(S.refusal_recorded, {reason: row.message}), "danger");
          clearCard(current);
          return renderRecent();
        });
      }
      if (response && response.status === 400) {
        showFieldErrors(data);
        updateTemperature();
        return undefined;
      }
      if (response && response.status === 403) {
        flash(S.forbidden + " " + describe(response), "danger");
        updateTemperature();
        return undefined;
      }
      // No answer, a server error, or a revoked token: keep it on the phone.
      return queueEntry(body, row, visitorForm, current);
    });
  }

  function queueEntry(body, row, visitorForm, current) {
    return store.enqueue({uuid: body.uuid, checkpoint: CP, body: body,
                          label: row.name + " " + formatTime(row.at)}, row).then(function () {
      flash(S.queued_message, "info");
      if (visitorForm) $("gate-visitor-form").reset();
      clearCard(current);
      return renderQueue().then(renderRecent);
    }, function (error) {
      flash(fmt(S.not_saved, {error: String(error && error.message || error)}), "danger");
      updateTemperature();
    });
  }

  // --- The queue ----------------------------------------------------------------------------

  /* Upload the queue, once at a time; #gate-queue's data-flushing says whether an upload
     is under way ("1") or over, its outcome shown ("0"). */
  function flush() {
    if (!state.flushing) {
      $("gate-queue").dataset.flushing = "1";
      state.flushing = uploadQueue().catch(function (error) {
        flash(fmt(S.sync_failed, {error: String(error && error.message || error)}), "warning");
      }).then(function () {
        state.flushing = null;
        return renderQueue().then(renderRecent);
      }).then(function () {
        $("gate-queue").dataset.flushing = "0";
      });
    }
    return state.flushing;
  }

  function outcomeOf(result) {
    if (result.status === "invalid") {
      return {invalid: true, errors: result.errors || {}, state: "invalid",
              message: flattenErrors(result.errors || {}).map(function (p) { return p[1].join(" "); }).join(" ")};
    }
    if (result.status === "refused") {
      return {state: "refused", message: result.message || config.reasons[result.refusal] || result.refusal || ""};
    }
    return {state: "synced", fever: !!result.fever};
  }

  function uploadQueue() {
    if (!navigator.onLine || !state.storageOk) return Promise.resolve();
    return store.pending(CP).then(function (items) {
      var chunks = [];
      for (var i = 0; i < items.length; i += BATCH_SIZE) chunks.push(items.slice(i, i + BATCH_SIZE));
      return chunks.reduce(function (previous, chunk) {
        return previous.then(function (goOn) {
          if (!goOn) return false;
          return uploadChunk(chunk);
        });
      }, Promise.resolve(true));
    });
  }

  function uploadChunk(chunk) {
    var byUuid = {};
    chunk.forEach(function (item) { byUuid[item.uuid] = item; });
    return request("POST", config.api.batch, {entries: chunk.map(function (item) { return item.body; })},
                   {timeout: 30000}).then(function (response) {
      var results = response.data && response.data.results;
      if (response.status !== 200 || !Array.isArray(results)) {
        if (response.status !== 401) {
          flash(fmt(S.sync_failed, {error: describe(response)}), "warning");
        }
        return false;
      }
      var outcomes = [];
      results.forEach(function (result) {
        var item = (result.uuid && byUuid[result.uuid]) || chunk[result.index];
        if (!item) return;  // not one of ours: nothing to settle
        var outcome = outcomeOf(result);
        outcome.uuid = item.uuid;
        outcomes.push(outcome);
      });
      return store.settle(outcomes).then(function () { return true; });
    }, function () {
      return false;  // no network after all: retried on the next online event or tick
    });
  }

  function renderQueue() {
    return store.counts(CP).then(function (counts) {
      var badge = $("gate-queue");
      badge.textContent = fmt(S.queue, {n: counts.pending});
      badge.dataset.count = String(counts.pending);
      badge.className = "badge fs-6 " + (counts.pending ? "text-bg-warning" : "text-bg-primary");
      show($("gate-sync"), counts.pending > 0);
      if (!counts.pending) unflash(S.queued_message);  // "kept on this phone" is no longer true
      return counts.invalid ? store.invalid(CP) : [];
    }).then(function (invalid) {
      var box = $("gate-invalid");
      show(box, invalid.length > 0);
      $("gate-invalid-heading").textContent = fmt(S.invalid_heading, {n: invalid.length});
      var list = $("gate-invalid-list");
      list.textContent = "";
      invalid.forEach(function (item) {
        // The server's messages name the field themselves ("the ID number's check digit…").
        var errors = flattenErrors(item.errors || {}).map(function (p) { return p[1].join(" "); }).join(" ");
        var remove = el("button", {type: "button", className: "btn btn-sm btn-outline-danger",
                                   text: S.remove});
        remove.addEventListener("click", function () {
          store.discard(item.uuid).then(renderQueue).then(renderRecent);
        });
        list.appendChild(el("li", {className: "list-group-item d-flex justify-content-between gap-2",
                                   "data-uuid": item.uuid}, [
          el("div", {}, [el("div", {className: "fw-semibold", text: item.label || item.uuid}),
                         el("div", {className: "small text-danger", text: errors})]),
          remove,
        ]));
      });
    }).catch(function () {});
  }

  function renderRecent() {
    return store.recent(CP, 20).then(function (rows) {
      var list = $("gate-recent");
      list.textContent = "";
      if (!rows.length) {
        list.appendChild(el("li", {className: "list-group-item text-muted", text: S.nothing_yet}));
        return;
      }
      var badges = {synced: "text-bg-success", queued: "text-bg-warning", refused: "text-bg-danger",
                    invalid: "text-bg-danger"};
      rows.forEach(function (row) {
        var temperature = el("span", {className: row.fever ? "badge text-bg-danger" : "",
                                      text: row.temperature + " °C" + (row.fever ? " " + S.fever_short : "")});
        list.appendChild(el("li", {className: "list-group-item d-flex justify-content-between align-items-center gap-2",
                                   "data-uuid": row.uuid, "data-state": row.state}, [
          el("div", {}, [
            el("div", {}, [
              el("span", {className: "text-muted me-2", text: formatTime(row.at)}),
              el("span", {className: "fw-semibold me-2", text: row.name || "—"}),
              el("span", {className: "me-2", text: S[row.direction] || row.direction}),
              temperature,
            ]),
            row.message ? el("div", {className: "small text-danger", text: row.message}) : null,
          ]),
          el("span", {className: "badge " + (badges[row.state] || "text-bg-secondary"),
                      text: S["state_" + row.state] || row.state}),
        ]));
      });
    }).catch(function () {});
  }

  // --- Look-up and visitors -----------------------------------------------------------------

  function lookup(event) {
    event.preventDefault();
    var q = $("gate-lookup-input").value.trim();
    var box = $("gate-lookup-results");
    box.textContent = "";
    if (!q) return;
    if (!navigator.onLine) {
      box.appendChild(el("div", {className: "list-group-item text-warning-emphasis", text: S.lookup_offline}));
      return;
    }
    var url = config.api.lookup + "?" + new URLSearchParams({checkpoint: CP, q: q}).toString();
    request("GET", url).then(function (response) {
      var results = response.data && response.data.results;
      if (response.status !== 200 || !Array.isArray(results)) {
        box.appendChild(el("div", {className: "list-group-item text-danger",
                                   text: fmt(S.error, {error: describe(response)})}));
        return;
      }
      if (!results.length) {
        box.appendChild(el("div", {className: "list-group-item text-muted", text: S.lookup_empty}));
        return;
      }
      results.forEach(function (person) {
        var item = el("button", {type: "button", className: "list-group-item list-group-item-action py-3",
                                 "data-person": String(person.id)}, [
          el("div", {className: "fw-semibold fs-5", text: person.name}),
          el("div", {className: "small masked", text: person.id_number_masked}),
          el("div", {className: "small text-muted", text: personLines(person).join(" · ")}),
        ]);
        item.addEventListener("click", function () {
          box.textContent = "";
          choosePerson(person);
          $("gate-temp-input").focus();
        });
        box.appendChild(item);
      });
    }, function () {
      box.appendChild(el("div", {className: "list-group-item text-warning-emphasis", text: S.lookup_offline}));
    });
  }

  var VISITOR_FIELDS = ["name", "phone", "id_number", "reason", "visiting"];
  var VISITOR_REQUIRED = ["name", "phone", "id_number", "reason"];

  function visitor(event) {
    event.preventDefault();
    clearFieldErrors();
    var data = {}, missing = false;
    VISITOR_FIELDS.forEach(function (name) {
      data[name] = $("gate-visitor-" + name).value.trim();
      if (!data[name] && VISITOR_REQUIRED.indexOf(name) >= 0) {
        missing = true;
        $("gate-visitor-" + name).classList.add("is-invalid");
        document.querySelector('[data-errors-for="visitor.' + name + '"]').textContent = S.required;
      }
    });
    if (missing) return;
    chooseVisitor(data);
    $("gate-temp-input").focus();
  }

  // --- Camera (camera.js) -------------------------------------------------------------------

  function startCamera() {
    $("gate-camera-hint").textContent = S.camera_start;
    show($("gate-camera-box"), true);
    window.ShoumenCamera.start($("gate-video"), {
      jsqrUrl: config.jsqr,
      onCode: function (text) {
        show($("gate-camera-box"), false);
        $("gate-scan-input").value = "";
        checkPass(text);
      },
      onError: function (error) {
        show($("gate-camera-box"), false);
        flash(fmt(S.camera_error, {error: error && (error.message || error.name) || error}), "danger");
      },
    });
  }

  function stopCamera() {
    window.ShoumenCamera.stop();
    show($("gate-camera-box"), false);
  }

  // --- Service worker -----------------------------------------------------------------------

  function keepOffline() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "kept") document.documentElement.dataset.gateOffline = event.data.version;
    });
    navigator.serviceWorker.register(config.sw.url, {scope: config.sw.scope}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      // Once the worker controls the page, loading it keeps it; before, ask for it.
      var urls = (navigator.serviceWorker.controller ? [] : [location.pathname]).concat(config.assets);
      document.querySelectorAll("link[rel=stylesheet][href], script[src]").forEach(function (node) {
        urls.push(node.getAttribute("href") || node.getAttribute("src"));
      });
      registration.active.postMessage({type: "keep", urls: urls.filter(function (u, i) {
        return urls.indexOf(u) === i;
      })});
    }).catch(function () { /* the page works without it; it just will not reload offline */ });
  }

  // --- Start --------------------------------------------------------------------------------

  function bind() {
    $("gate-scan-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("gate-scan-input");
      var text = input.value.trim();
      input.value = "";
      if (text) checkPass(text);
    });
    $("gate-lookup-form").addEventListener("submit", lookup);
    $("gate-visitor-form").addEventListener("submit", visitor);
    $("gate-dir-in").addEventListener("change", directionChanged);
    $("gate-dir-out").addEventListener("change", directionChanged);
    document.querySelector(".gate-temps").addEventListener("click", function (event) {
      var button = event.target.closest("[data-temperature]");
      if (!button) return;
      $("gate-temp-input").value = button.dataset.temperature;
      updateTemperature();
      $("gate-confirm").focus();
    });
    $("gate-temp-input").addEventListener("input", updateTemperature);
    $("gate-temp-input").addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        if (!$("gate-confirm").disabled && !$("gate-confirm").classList.contains("d-none")) confirmEntry();
      }
    });
    $("gate-confirm").addEventListener("click", confirmEntry);
    $("gate-record-refusal").addEventListener("click", confirmEntry);
    $("gate-cancel").addEventListener("click", function () { clearCard(); });
    $("gate-sync").addEventListener("click", flush);
    $("gate-register").addEventListener("click", function () {
      registerDevice().then(function (ok) { if (ok) { refresh(); flush(); } });
    });
    show($("gate-camera"), window.ShoumenCamera.possible());
    $("gate-camera").addEventListener("click", startCamera);
    $("gate-camera-stop").addEventListener("click", stopCamera);
    window.addEventListener("online", function () {
      renderNetwork();
      ensureDevice().then(function () { refresh(); flush(); });
    });
    window.addEventListener("offline", renderNetwork);
  }

  function start() {
    bind();
    restoreDirection();
    renderNetwork();
    if (!Pass.available()) flash(S.unavailable, "warning");
    store.open().catch(function (error) {
      state.storageOk = false;
      flash(fmt(S.storage_error, {error: String(error && error.message || error)}), "danger");
    }).then(loadToken).then(loadCached).then(function () {
      renderRefreshed();
      renderQueue();
      renderRecent();
      return ensureDevice();
    }).then(function () {
      return Promise.all([refresh(), flush()]);
    }).finally(function () {
      document.documentElement.dataset.gateReady = "1";
    });
    setInterval(function () { if (navigator.onLine) flush(); }, FLUSH_EVERY_MS);
    setInterval(function () { if (navigator.onLine) refresh(); }, REFRESH_EVERY_MS);
    keepOffline();
  }

  start();
})();
