// The wallboard, live: a fresh board over server-sent events after every change, and the
// longest waits and the clock ticking every second on the screen itself (from the callers'
// join times and the service's clock, which in the demo runs faster). When the link drops,
// the page says so and EventSource reconnects by itself. Without JavaScript the page shows
// the board at load time.
(function () {
  "use strict";
  var root = document.getElementById("wandbord");
  var data = document.getElementById("board-data");
  if (!root || !data) { return; }
  var board = JSON.parse(data.textContent);
  var received = Date.now();
  var link = document.getElementById("link");
  var connected = document.querySelector("#verbinding [data-field=connected]");
  var clock = document.getElementById("klok");
  var timeFormat = new Intl.DateTimeFormat("nl-BE", {
    timeZone: board.zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
  });

  function pct(x) { return x === null || x === undefined ? "–" : Math.round(x * 100) + " %"; }
  function secs(x) { return x === null || x === undefined ? "–" : Math.round(x) + " s"; }
  function mmss(s) {
    if (s === null || s === undefined) { return "–"; }
    var r = s % 60;
    return Math.floor(s / 60) + ":" + (r < 10 ? "0" : "") + r;
  }
  function serviceNow() { return Date.parse(board.at) + (Date.now() - received) * board.speed; }

  function level(longest, sl) {
    var t = board.thresholds, target = t.service_level_percent / 100;
    var farBelow = (t.service_level_percent - 10) / 100;
    if (longest !== null && longest >= t.wait_red_seconds) { return ["red", "lange wachttijd"]; }
    if (sl !== null && sl !== undefined && sl < farBelow) { return ["red", "servicelevel ver onder doel"]; }
    if (longest !== null && longest >= t.wait_amber_seconds) { return ["amber", "wachttijd loopt op"]; }
    if (sl !== null && sl !== undefined && sl < target) { return ["amber", "servicelevel onder doel"]; }
    return ["ok", ""];
  }

  function put(scope, selector, text) {
    scope.querySelectorAll(selector).forEach(function (node) {
      if (node.textContent !== String(text)) { node.textContent = String(text); }
    });
  }

  function longestOf(t, now) {
    if (!t.waiting_since.length) { return null; }
    return Math.max(0, Math.floor((now - Date.parse(t.waiting_since[0])) / 1000));
  }

  function tick() {
    var now = serviceNow();
    if (clock) {
      clock.textContent = timeFormat.format(new Date(now));
      clock.setAttribute("datetime", new Date(now).toISOString());
    }
    board.tiles.forEach(function (t) {
      var longest = longestOf(t, now);
      var tile = root.querySelector("[data-tile=\"" + CSS.escape(t.id) + "\"]");
      var row = root.querySelector("[data-row=\"" + CSS.escape(t.id) + "\"]");
      [tile, row].forEach(function (scope) {
        if (scope) { put(scope, "[data-field=longest]", mmss(longest)); }
      });
      if (tile) {
        var lv = level(longest, t.today.service_level);
        var cls = "tile " + t.kind + " level-" + lv[0];
        if (tile.className !== cls) { tile.className = cls; }
        if (lv[0] === "red" && !red[t.id]) { sound(); }
        red[t.id] = lv[0] === "red";
        put(tile, "[data-field=attention_label]", lv[1]);
      }
    });
  }

  function apply() {
    board.tiles.forEach(function (t) {
      var tile = root.querySelector("[data-tile=\"" + CSS.escape(t.id) + "\"]");
      var row = root.querySelector("[data-row=\"" + CSS.escape(t.id) + "\"]");
      [tile, row].forEach(function (scope) {
        if (!scope) { return; }
        ["waiting", "logged_in", "available", "busy", "paused"].forEach(function (f) {
          put(scope, "[data-field=" + f + "]", t[f]);
        });
        put(scope, "[data-today=queued]", t.today.queued);
        put(scope, "[data-today=answered]", t.today.answered);
        put(scope, "[data-today=service_level]", pct(t.today.service_level));
        put(scope, "[data-today=asa_seconds]", secs(t.today.asa_seconds));
        scope.querySelectorAll("[data-field=open]").forEach(function (node) {
          var badge = node.classList.contains("badge") ? node : node.querySelector(".badge");
          if (!badge) { return; }
          badge.className = "badge " + (t.open ? "open" : "closed");
          badge.textContent = t.open ? "open" : "gesloten";
        });
      });
      if (tile) {
        put(tile, "[data-today=abandoned]", t.today.abandoned + " (+" + t.today.abandoned_short + " kort)");
        put(tile, "[data-field=reason_label]", t.reason_label);
        put(tile, "[data-field=override_label]", t.override_label ? " · " + t.override_label : "");
        put(tile, "[data-field=next_change_label]", t.next_change_label);
        if (t.kind === "lighthouse") {
          put(tile, "[data-field=on_duty]", t.on_duty.length ? t.on_duty.join(", ") : "niemand");
          put(tile, "[data-field=callbacks_waiting]", t.callbacks_waiting);
          var reasons = Object.keys(t.by_reason).map(function (r) {
            return (board.reasons[r] || r) + " " + t.by_reason[r];
          });
          put(tile, "[data-field=by_reason]", reasons.length ? reasons.join(", ") : "nog geen");
        }
      }
      if (row) { put(row, "[data-today=abandoned]", t.today.abandoned); }
    });
    Object.keys(board.summary).forEach(function (k) {
      var v = board.summary[k];
      var text = /share|coverage/.test(k) ? pct(v) : v;
      put(root, "[data-sum=" + k + "]", text);
    });
    if (connected) {
      connected.textContent = board.connected === "connected" ? "verbonden" : "niet verbonden";
    }
    showAlerts(board.alerts);
    tick();
  }

  var alerts = document.getElementById("meldingen");
  function showAlerts(list) {
    var text = list.map(function (a) { return a.id + a.message; }).join("|");
    if (!alerts || alerts.getAttribute("data-shown") === text) { return; }
    alerts.setAttribute("data-shown", text);
    alerts.textContent = "";
    var fresh = false;
    list.forEach(function (a) {
      var p = document.createElement("p");
      p.className = "alert";
      p.setAttribute("data-alert", a.id);
      p.textContent = a.message + " ";
      var since = document.createElement("span");
      since.className = "since";
      since.textContent = "(sinds " + (a.since || "").slice(11, 16) + ")";
      p.appendChild(since);
      alerts.appendChild(p);
      if (known.indexOf(a.id) < 0) { fresh = true; }
    });
    known = list.map(function (a) { return a.id; });
    if (fresh) { sound(); }
  }

  // A short tone when an alert comes or a tile turns red, if the screen's user switched it
  // on (remembered on this screen); the page says it played, for those who cannot hear it.
  var known = board.alerts.map(function (a) { return a.id; });
  var soundBox = document.getElementById("geluid");
  var red = {};
  if (soundBox) {
    try { soundBox.checked = window.localStorage.getItem("vuurtoren.wallboard.sound") === "1"; }
    catch (err) { /* no storage */ }
    soundBox.addEventListener("change", function () {
      try { window.localStorage.setItem("vuurtoren.wallboard.sound", soundBox.checked ? "1" : "0"); }
      catch (err) { /* no storage */ }
    });
  }
  function sound() {
    if (!soundBox || !soundBox.checked) { return; }
    root.setAttribute("data-sounds", String(Number(root.getAttribute("data-sounds") || 0) + 1));
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    try {
      var ctx = new Ctx(), osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.25);
      osc.onended = function () { ctx.close(); };
    } catch (err) { /* no audio: the counter above still says it */ }
  }

  function linkState(state, text) {
    if (!link) { return; }
    link.setAttribute("data-state", state);
    link.textContent = text;
  }

  setInterval(tick, 1000);
  tick();
  if (!window.EventSource) { return; }
  var source = new EventSource("/api/wallboard/stream");
  source.addEventListener("board", function (e) {
    board = JSON.parse(e.data);
    received = Date.now();
    linkState("live", "· live");
    apply();
  });
  source.addEventListener("open", function () { linkState("live", "· live"); });
  source.onerror = function () {
    linkState("lost", "· verbinding verbroken, opnieuw verbinden…");
  };
})();
