// Search the catalog as you type. Without JavaScript the form still searches on submit.
(function () {
  "use strict";
  var input = document.querySelector("[data-live-search]");
  var out = document.getElementById("resultaten");
  if (!input || !out || !window.fetch) { return; }
  var url = input.getAttribute("data-live-search");
  var timer = null;
  var asked = 0;

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }

  function when(iso) {
    return iso.slice(8, 10) + "/" + iso.slice(5, 7) + " om " + iso.slice(11, 16);
  }

  function show(query, products) {
    out.textContent = "";
    out.appendChild(el("h2", "Resultaten voor \u201c" + query + "\u201d"));
    if (!products.length) {
      out.appendChild(el("p", "Niets gevonden. Probeer een ander woord."));
      return;
    }
    products.forEach(function (p) {
      var art = el("article", "", "hit");
      art.appendChild(el("h3", p.name));
      var where = el("p", p.place.name + ": ");
      var badge = el("span", p.place.open ? "nu open" : "nu gesloten",
        "badge " + (p.place.open ? "open" : "closed"));
      where.appendChild(badge);
      if (!p.place.open && p.place.next_open) {
        where.appendChild(document.createTextNode(" opent " + when(p.place.next_open)));
      }
      art.appendChild(where);
      if (p.description) { art.appendChild(el("p", p.description)); }
      if (p.bring) { art.appendChild(el("p", "Meebrengen: " + p.bring)); }
      out.appendChild(art);
    });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var query = input.value.trim();
      if (!query) { out.textContent = ""; return; }
      var mine = ++asked;
      fetch(url + "?q=" + encodeURIComponent(query), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {products: []}; })
        .then(function (data) { if (mine === asked) { show(query, data.products); } })
        .catch(function () { /* keep the last results */ });
    }, 120);
  });
})();
