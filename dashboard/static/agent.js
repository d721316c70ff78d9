// The agent's console, live: when a caller is put through to this agent's phone, show who it
// is, why the call came here, and their earlier contacts; fill the registration form in.
// A form in progress (about an earlier call, or typed in) is never changed by a new call: the
// new call is shown and announced beside it, and fills the form once it is registered or
// wiped (the call waits in the tab's session storage across the page load after
// "Registreren"). Without JavaScript the page works by its forms.
(function () {
  "use strict";
  var panel = document.getElementById("gesprek");
  if (!panel || !window.EventSource || !window.fetch) { return; }
  var csrf = (document.querySelector("input[name=csrf]") || {}).value || "";
  var REASONS = {
    open: "het loket is open",
    closed: "het loket is gesloten",
    holiday: "het is een feestdag",
    closure: "geplande sluiting van het loket",
    override: "het loket is uitzonderlijk gesloten",
    overflow: "het is te druk aan het loket",
    no_agents: "niemand is aangemeld aan het loket",
    failsafe: "doorgeschakeld zonder Vuurtoren",
    callback: "terugbelverzoek: de burger wordt nu voor u gebeld"
  };

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    return node;
  }

  function set(id, value) {
    var field = document.getElementById(id);
    if (field) { field.value = value || ""; }
  }

  var form = document.getElementById("registratie");
  var about = document.getElementById("r-about");
  var touched = false;  // the agent typed or chose something since the form was filled
  var waiting = null;   // a call that came while the form was in progress
  var KEY = "vuurtoren.agent.pending-call";

  function inProgress() {
    var call = document.getElementById("r-call");
    var summary = document.getElementById("r-summary");
    return touched || (call && call.value !== "") || (summary && summary.value !== "");
  }

  function fill(call) {
    set("r-caller", call.caller);
    set("r-call", call.call_id);
    set("r-topic", call.topic);
    touched = false;
    waiting = null;
    try { window.sessionStorage.removeItem(KEY); } catch (err) { /* private mode */ }
    if (about) {
      about.textContent = "Dit formulier gaat over de oproep van " +
        (call.caller || "een onbekend nummer") + ".";
    }
  }

  function hold(call) {
    waiting = call;
    try { window.sessionStorage.setItem(KEY, JSON.stringify(call)); } catch (err) { /* ok */ }
    var note = el("p", "Het formulier gaat nog over de vorige oproep (" +
      (document.getElementById("r-caller").value || "onbekend nummer") +
      "). Registreer of wis het eerst: dan komt deze oproep erin.");
    note.className = "alert";
    note.setAttribute("role", "status");
    panel.appendChild(note);
  }

  if (form) {
    form.addEventListener("input", function () { touched = true; });
    form.addEventListener("change", function () { touched = true; });
    form.addEventListener("reset", function () {
      window.setTimeout(function () {  // after the browser emptied the fields
        touched = false;
        if (about) { about.textContent = ""; }
        set("r-caller", "");
        set("r-call", "");
        if (waiting) { fill(waiting); }
      }, 0);
    });
  }

  function when(iso) {
    return iso ? iso.slice(8, 10) + "/" + iso.slice(5, 7) + " om " + iso.slice(11, 16) : "";
  }

  var words = {topics: {}, outcomes: {}, states: {}, counters: {}};
  try { words = JSON.parse(document.getElementById("agent-words").textContent); } catch (err) { /* ids */ }
  function say(kind, id) { return (words[kind] && words[kind][id]) || id; }
  function day(iso) { return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4); }

  function history(caller, list) {
    fetch("/api/history", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({caller: caller})
    }).then(function (r) { return r.ok ? r.json() : {contacts: []}; })
      .then(function (data) {
        list.textContent = "";
        if (!data.contacts.length) { list.appendChild(el("li", "Geen eerdere contacten.")); }
        data.contacts.forEach(function (c) {
          var refs = c.referrals.map(function (r) {
            return "naar " + (r.to_counter ? say("counters", r.to_counter) : r.to_partner) +
              ": " + say("states", r.status).toLowerCase();
          }).join("; ");
          list.appendChild(el("li", day(c.created_at) + " " + say("topics", c.topic) + ": " +
            (c.summary || "–") + " (" + say("outcomes", c.outcome).toLowerCase() +
            (refs ? "; " + refs : "") + ")"));
        });
      });
  }

  function show(call) {
    panel.textContent = "";
    panel.hidden = false;
    panel.appendChild(el("h2", call.callback ? "Terugbellen: de burger gaat over" : "Nu in gesprek"));
    var facts = el("dl");
    [["Beller", call.caller || "onbekend nummer"],
     ["Onderwerp", call.topic_label || "geen keuze"],
     ["Waarom hier", (REASONS[call.reason] || call.reason || "") +
       (call.next_open ? ", opent " + when(call.next_open) : "")],
     ["Gewacht", call.waited_seconds + " s"]].forEach(function (pair) {
      facts.appendChild(el("dt", pair[0]));
      facts.appendChild(el("dd", pair[1]));
    });
    panel.appendChild(facts);
    panel.appendChild(el("h3", "Eerdere contacten"));
    var list = el("ul");
    list.className = "history";
    panel.appendChild(list);
    if (call.caller) { history(call.caller, list); } else { list.appendChild(el("li", "Nummer onbekend.")); }
    if (document.getElementById("r-call").value === call.call_id) { return; }
    if (inProgress()) { hold(call); } else { fill(call); }
  }

  // a call that waited while the form was being registered: the form is new now
  try {
    var kept = window.sessionStorage.getItem(KEY);
    if (kept) { show(JSON.parse(kept)); }
  } catch (err) { /* nothing kept */ }

  var source = new EventSource("/api/agent/stream");
  source.addEventListener("call", function (e) { show(JSON.parse(e.data)); });
})();
