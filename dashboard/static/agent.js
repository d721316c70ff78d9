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
    if (call.own_client) {
      panel.appendChild(el("p", "Uw eigen cliënt (" + call.team_label + ")"));
      panel.lastChild.className = "own-client";
    }
    var facts = el("dl");
    [["Beller", call.caller || "onbekend nummer"],
     ["Onderwerp", call.topic_label || "geen keuze"],
     ["Waarom hier", (REASONS[call.reason] || call.reason || "") +
       (call.next_open ? ", opent " + when(call.next_open) : "")],
     ["Gewacht", call.waited_seconds + " s"]].concat(
       call.team_label ? [["Buurtteam (dossier)", call.team_label]] : []).forEach(function (pair) {
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

  // -- the agent's state: from Asterisk's events, counted on by the page's own clock ----------
  var status = document.getElementById("status");
  var title = document.title;
  var sound = document.getElementById("geluid");
  var SOUND_KEY = "vuurtoren.agent.sound";
  var state = null;
  var received = 0;
  try { if (window.localStorage.getItem(SOUND_KEY) === "uit") { sound.checked = false; } } catch (err) { /* ok */ }
  if (sound) {
    sound.addEventListener("change", function () {
      try { window.localStorage.setItem(SOUND_KEY, sound.checked ? "aan" : "uit"); } catch (err) { /* ok */ }
    });
  }

  function clock(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (r < 10 ? "0" : "") + r;
    return (h ? h + ":" : "") + mm + ":" + ss;
  }

  function beep() {
    if (!sound || !sound.checked) { return; }
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var tone = ctx.createOscillator();
      var gain = ctx.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.15;
      tone.connect(gain);
      gain.connect(ctx.destination);
      tone.start();
      tone.stop(ctx.currentTime + 0.25);
    } catch (err) { /* no sound here */ }
  }

  function field(name) { return status.querySelector("[data-field=" + name + "]"); }

  function tick() {
    if (!state || !status) { return; }
    var gone = (Date.now() - received) / 1000;
    var timer = field("timer");
    if (state.code === "after_call" && state.remaining !== undefined) {
      timer.textContent = "nog " + clock(state.remaining - gone);
    } else if (state.seconds !== null && state.seconds !== undefined) {
      timer.textContent = "sinds " + clock(state.seconds + gone);
    } else {
      timer.textContent = "";
    }
  }

  function showState(next) {
    if (!status || !next) { return; }
    var before = state ? state.code : status.getAttribute("data-state");
    state = next;
    received = Date.now();
    status.setAttribute("data-state", next.code);
    field("label").textContent = next.label;
    field("detail").textContent = next.queue_name || next.reason || "";
    var work = document.getElementById("nawerk");
    work.hidden = next.code !== "after_call";
    var transfer = document.getElementById("doorverbinden");
    if (transfer) { transfer.hidden = next.code !== "talking"; }
    if (next.code === "after_call") {
      var wrap = document.getElementById("afhandeling");
      if (wrap.elements.call_id.value !== next.call_id) {
        wrap.elements.call_id.value = next.call_id;
        var select = wrap.elements.code;
        select.textContent = "";
        (next.codes || []).forEach(function (c) {
          var option = el("option", c.label);
          option.value = c.id;
          select.appendChild(option);
        });
        field("code-saved").textContent = "";
      }
      document.getElementById("langer").hidden = !next.can_extend;
    }
    document.title = next.code === "ringing" ? "Gaat over – " + title : title;
    if (next.code === "ringing" && before !== "ringing") { beep(); }
    if (before === "talking" && next.code !== "talking") { panel.hidden = true; }  // the pop clears
    tick();
  }

  function post(url, body, done) {
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().then(function (data) { return {ok: r.ok, data: data}; });
    }).then(function (answer) {
      if (answer.ok) {
        if (answer.data.state) { showState(answer.data.state); }
        if (done) { done(true, answer.data); }
      } else if (done) {
        done(false, answer.data);
      }
    });
  }

  function onSubmit(id, handler) {
    var f = document.getElementById(id);
    if (f) { f.addEventListener("submit", function (e) { e.preventDefault(); handler(f); }); }
  }
  onSubmit("klaar", function () { post("/api/agent/aftercall/done"); });
  onSubmit("langer", function () { post("/api/agent/aftercall/extend"); });
  onSubmit("afhandeling", function (f) {
    post("/api/agent/wrapup", {call_id: f.elements.call_id.value, code: f.elements.code.value},
      function (ok, data) {
        var label = f.elements.code.options[f.elements.code.selectedIndex];
        field("code-saved").textContent = ok ? "Bewaard: " + (label ? label.text : "") + "." :
          ((data.error && data.error.message) || "Niet bewaard.");
      });
  });
  onSubmit("doorverbinden", function (f) {
    var choice = f.elements.counter.options[f.elements.counter.selectedIndex];
    post("/api/agent/transfer", {counter: f.elements.counter.value}, function (ok, data) {
      field("transfer-result").textContent = ok ?
        "Doorverbonden met " + (choice ? choice.text : "het loket") + "; de doorverwijzing staat bij de oproep." :
        ((data.error && data.error.message) || "Niet doorverbonden.");
    });
  });
  window.setInterval(tick, 1000);

  // whether calls reach this page now: an agent whose link is lost would miss the pop
  var link = document.getElementById("link");
  function linkState(state, text) {
    if (link && link.getAttribute("data-state") !== state) {
      link.setAttribute("data-state", state);
      link.textContent = text;
    }
    if (link) { link.hidden = false; }
  }
  var source = new EventSource("/api/agent/stream");
  source.addEventListener("call", function (e) { show(JSON.parse(e.data)); });
  source.addEventListener("me", function (e) {
    // the stream's first message: from here on a call put through shows here at once
    linkState("live", "Live verbonden: een oproep verschijnt hier vanzelf.");
    showState(JSON.parse(e.data).state);
  });
  source.onerror = function () {
    linkState("offline", "Verbinding verbroken; opnieuw verbinden… Tot dan verschijnt een oproep hier niet.");
  };
})();
