// The managers' live list of agents: the rows follow the service's stream (at most once a
// second); the time in each state counts on by the page's own clock between updates.
// Without JavaScript the page shows the list as it was when loaded.
(function () {
  "use strict";
  var table = document.getElementById("agents");
  var link = document.getElementById("link");
  if (!table || !window.EventSource) { return; }
  var body = table.tBodies[0];
  var received = Date.now();

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

  function render(data) {
    received = Date.now();
    var rows = document.createDocumentFragment();
    data.agents.forEach(function (a) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-login", a.login);
      var name = cell("th", a.name);
      name.scope = "row";
      tr.appendChild(name);
      var state = cell("td", a.state.label);
      state.setAttribute("data-state", a.state.code);
      var detail = a.state.queue_name || a.state.reason;
      if (detail) { state.appendChild(document.createTextNode(" ")); state.appendChild(cell("span", "(" + detail + ")", "hint")); }
      tr.appendChild(state);
      var since = cell("td", clock(a.state.seconds), "num");
      since.setAttribute("data-seconds", a.state.seconds === null ? "" : a.state.seconds);
      tr.appendChild(since);
      tr.appendChild(cell("td", a.queues.join(", ") || "–"));
      tr.appendChild(cell("td", String(a.calls), "num"));
      tr.appendChild(cell("td", clock(a.handle_seconds), "num"));
      tr.appendChild(cell("td", clock(a.paused_seconds), "num"));
      rows.appendChild(tr);
    });
    if (data.agents.length) { body.textContent = ""; body.appendChild(rows); }
    Object.keys(data.summary).forEach(function (code) {
      var n = document.querySelector("[data-count=" + code + "]");
      if (n) { n.textContent = data.summary[code]; }
    });
  }

  window.setInterval(function () {
    var gone = (Date.now() - received) / 1000;
    Array.prototype.forEach.call(body.querySelectorAll("td[data-seconds]"), function (td) {
      var base = td.getAttribute("data-seconds");
      if (base !== "") { td.textContent = clock(Number(base) + gone); }
    });
  }, 1000);

  var source = new EventSource("/api/agents/stream");
  source.addEventListener("agents", function (e) {
    render(JSON.parse(e.data));
    link.textContent = "Live verbonden.";
    link.setAttribute("data-state", "live");
  });
  source.onerror = function () {
    link.textContent = "Verbinding verbroken; opnieuw verbinden…";
    link.setAttribute("data-state", "offline");
  };
})();
