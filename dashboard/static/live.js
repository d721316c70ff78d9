// Live updates of the queues table over server-sent events. Without JavaScript the page
// still shows the state at load time.
(function () {
  "use strict";
  var table = document.getElementById("wachtrijen");
  var updated = document.getElementById("bijgewerkt");
  var connection = document.querySelector("#verbinding [data-field=connected]");
  if (!table || !window.EventSource) { return; }

  function mmss(seconds) {
    if (seconds === null || seconds === undefined) { return "–"; }
    var s = seconds % 60;
    return Math.floor(seconds / 60) + ":" + (s < 10 ? "0" : "") + s;
  }

  function setText(row, field, text) {
    var cell = row.querySelector("[data-field=" + field + "]");
    if (cell && cell.textContent !== String(text)) { cell.textContent = String(text); }
  }

  function apply(q) {
    var row = table.querySelector("tr[data-queue=\"" + CSS.escape(q.queue) + "\"]");
    if (!row) { return; }
    ["waiting", "logged_in", "available", "busy", "paused"].forEach(function (f) {
      setText(row, f, q[f]);
    });
    setText(row, "oldest_wait_seconds", mmss(q.oldest_wait_seconds));
    var badge = row.querySelector("[data-field=open] .badge");
    if (badge && q.open !== undefined) {
      badge.className = "badge " + (q.open ? "open" : "closed");
      badge.textContent = q.open ? "open" : (q.open === null ? "onbekend" : "gesloten");
    }
  }

  function stamp() {
    var now = new Date();
    updated.textContent = now.toLocaleTimeString("nl-BE");
    updated.setAttribute("datetime", now.toISOString());
  }

  var alerts = document.getElementById("meldingen");
  function showAlerts(list) {
    if (!alerts) { return; }
    var text = list.map(function (a) { return a.id + a.message; }).join("|");
    if (alerts.getAttribute("data-shown") === text) { return; }
    alerts.setAttribute("data-shown", text);
    alerts.textContent = "";
    list.forEach(function (a) {
      var p = document.createElement("p");
      p.className = "alert";
      p.setAttribute("data-alert", a.id);
      p.textContent = a.message;
      alerts.appendChild(p);
    });
  }

  var source = new EventSource("/api/live/stream");
  source.addEventListener("snapshot", function (e) {
    var snap = JSON.parse(e.data);
    snap.queues.forEach(apply);
    showAlerts(snap.alerts || []);
    if (connection) {
      connection.textContent = snap.connected === "connected" ? "verbonden" : "niet verbonden";
    }
    stamp();
  });
  source.addEventListener("queue", function (e) { apply(JSON.parse(e.data)); stamp(); });
  source.addEventListener("alerts", function (e) { showAlerts(JSON.parse(e.data).alerts); });
  source.onerror = function () {
    if (connection) { connection.textContent = "verbinding met Vuurtoren verbroken, opnieuw…"; }
  };
})();
