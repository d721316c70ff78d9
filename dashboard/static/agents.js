// The managers' live list of agents: the whole list first ("agents"), then only the rows
// that changed ("delta", applied to the list this page holds); the time in each state counts
// on by the page's own clock between updates. Without JavaScript the page shows the list as
// it was when loaded.
(function () {
  "use strict";
  var table = document.getElementById("agents");
  var link = document.getElementById("link");
  if (!table || !window.EventSource) { return; }
  var body = table.tBodies[0];
  var received = Date.now();
  var names = {states: {}, queues: {}};
  var rows = {};  // login -> row
  var version = null;
  var serverNow = 0;  // the service's clock (epoch seconds) when the last list was built

  function now() { return serverNow + (Date.now() - received) / 1000; }
  function inState(a) { return a.state.since ? now() - a.state.since : null; }
  function paused(a) { return a.paused_seconds + (a.state.code === "paused" ? inState(a) || 0 : 0); }

  function clock(seconds) {
    if (seconds === null || seconds === undefined || seconds === "") { return "–"; }
    var s = Math.max(0, Math.round(Number(seconds)));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  function cell(tag, text, cls) {
    var node = document.createElement(tag);
    node.textContent = text;
    if (cls) { node.className = cls; }
    return node;
  }

  function queueName(id) { return names.queues[id] || id; }

  function render(summary) {
    received = Date.now();
    var list = Object.keys(rows).map(function (k) { return rows[k]; });
    list.sort(function (a, b) { return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1; });
    var fragment = document.createDocumentFragment();
    list.forEach(function (a) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-login", a.login);
      var name = cell("th", a.name);
      name.scope = "row";
      tr.appendChild(name);
      var state = cell("td", names.states[a.state.code] || a.state.code);
      state.setAttribute("data-state", a.state.code);
      var detail = a.state.queue ? queueName(a.state.queue) : a.state.reason;
      if (detail) { state.appendChild(document.createTextNode(" ")); state.appendChild(cell("span", "(" + detail + ")", "hint")); }
      tr.appendChild(state);
      var since = cell("td", clock(inState(a)), "num");
      since.setAttribute("data-login", a.login);
      since.setAttribute("data-field", "since");
      tr.appendChild(since);
      tr.appendChild(cell("td", a.queues.map(queueName).join(", ") || "–"));
      tr.appendChild(cell("td", String(a.calls), "num"));
      tr.appendChild(cell("td", clock(a.handle_seconds), "num"));
      var pause = cell("td", clock(paused(a)), "num");
      pause.setAttribute("data-login", a.login);
      pause.setAttribute("data-field", "paused");
      tr.appendChild(pause);
      fragment.appendChild(tr);
    });
    if (list.length) { body.textContent = ""; body.appendChild(fragment); }
    Object.keys(summary).forEach(function (code) {
      var n = document.querySelector("[data-count=" + code + "]");
      if (n) { n.textContent = summary[code]; }
    });
  }

  function live() {
    link.textContent = "Live verbonden.";
    link.setAttribute("data-state", "live");
  }

  window.setInterval(function () {  // the times count on by the page's own clock
    Array.prototype.forEach.call(body.querySelectorAll("td[data-field]"), function (td) {
      var a = rows[td.getAttribute("data-login")];
      if (!a) { return; }
      td.textContent = clock(td.getAttribute("data-field") === "since" ? inState(a) : paused(a));
    });
  }, 1000);

  var source = new EventSource("/api/agents/stream");
  source.addEventListener("agents", function (e) {
    var data = JSON.parse(e.data);
    names = data.names;
    serverNow = data.now;
    rows = {};
    data.agents.forEach(function (a) { rows[a.login] = a; });
    version = data.version;
    render(data.summary);
    live();
  });
  source.addEventListener("delta", function (e) {
    var data = JSON.parse(e.data);
    if (data.base !== version) { source.close(); window.location.reload(); return; }
    serverNow = data.now;
    data.changed.forEach(function (a) { rows[a.login] = a; });
    data.gone.forEach(function (login) { delete rows[login]; });
    version = data.version;
    render(data.summary);
    live();
  });
  source.onerror = function () {
    link.textContent = "Verbinding verbroken; opnieuw verbinden…";
    link.setAttribute("data-state", "offline");
  };
})();
