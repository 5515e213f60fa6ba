// The report page: select an item (from a panel link, the URL, a click on marked text, or j/k) and
// highlight exactly the text segments that carry its key. The server cut the text at every span
// boundary, so no character offsets are computed here (browser strings count UTF-16 units, the
// spans count code points).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var text = document.getElementById("report-text");
  var segmentsOf = {};
  text.querySelectorAll("[data-items]").forEach(function (el) {
    el.getAttribute("data-items").split(" ").forEach(function (key) {
      (segmentsOf[key] = segmentsOf[key] || []).push(el);
    });
  });
  var current = null;
  var kindTab = {practice: "practices", figure: "figures", stage: "stages", finding: "statements",
                 recommendation: "statements"};

  function itemUrl(key) { return "/reports/" + data.report + "/items/" + key; }

  function showTab(name) {
    document.querySelectorAll(".tabs button").forEach(function (b) {
      b.classList.toggle("on", b.getAttribute("data-tab") === name);
    });
    document.querySelectorAll(".tab").forEach(function (p) {
      p.hidden = p.getAttribute("data-panel") !== name;
    });
  }

  function clear() {
    text.querySelectorAll(".sel").forEach(function (el) { el.classList.remove("sel", "sel-first"); });
    document.querySelectorAll(".current").forEach(function (el) { el.classList.remove("current"); });
    document.getElementById("selection").hidden = true;
    current = null;
  }

  function select(key, options) {
    options = options || {};
    var item = data.items[key];
    if (!item) { return; }
    clear();
    current = key;
    var segs = segmentsOf[key] || [];
    segs.forEach(function (el, i) { el.classList.add("sel"); if (i === 0) { el.classList.add("sel-first"); } });
    if (segs.length && options.scroll !== false) { reveal(segs[0]); }
    var box = document.getElementById("selection");
    box.hidden = false;
    document.getElementById("sel-kind").textContent = item.kind;
    document.getElementById("sel-kind").className = "kind k-" + item.kind;
    var link = document.getElementById("sel-link");
    link.textContent = item.id;
    link.href = item.kind === "text" ? "/reports/" + data.report + "/spans/" + item.start + "-" + item.end : itemUrl(key);
    document.getElementById("sel-span").textContent = "characters " + item.start + "–" + item.end;
    document.getElementById("sel-text").textContent = segs.map(function (el) { return el.textContent; }).join("");
    var similar = document.getElementById("sel-similar");
    similar.hidden = item.kind !== "practice";
    similar.href = itemUrl(key) + "/similar";
    if (kindTab[item.kind]) { showTab(kindTab[item.kind]); }
    var entry = document.getElementById("entry-" + key);
    if (entry) { entry.classList.add("current"); revealInPanel(entry); }
    if (options.history !== false && item.kind !== "text") { history.replaceState(null, "", itemUrl(key)); }
  }

  // Scroll the text to a segment. Paragraphs off screen are laid out only when near the view (CSS
  // content-visibility), so the first scroll lands on estimated heights: scroll again, frame by frame,
  // until the segment stays in view (five frames in a row), for at most three seconds on a slow machine.
  function reveal(el) {
    var column = text.closest(".text-col") || document.documentElement;
    var started = performance.now();
    var steady = 0;
    el.scrollIntoView({block: "center"});
    (function settle() {
      requestAnimationFrame(function () {
        var at = el.getBoundingClientRect();
        var box = column.getBoundingClientRect();
        if (at.top < box.top || at.bottom > box.bottom) {
          steady = 0;
          el.scrollIntoView({block: "center"});
        } else {
          steady++;
        }
        if (steady < 5 && performance.now() - started < 3000) { settle(); }
      });
    })();
  }

  // Scroll the side panel (not the page) so that an entry shows below the panel's sticky head.
  function revealInPanel(entry) {
    var panel = document.querySelector(".panel-col");
    var head = document.querySelector(".panel-head");
    var box = panel.getBoundingClientRect();
    var at = entry.getBoundingClientRect();
    var visibleTop = box.top + head.offsetHeight;
    if (at.top < visibleTop || at.bottom > box.bottom) {
      panel.scrollTop += at.top - visibleTop - 12;
    }
  }

  function step(delta) {
    var order = data.order;
    if (!order.length) { return; }
    var at = current === null ? (delta > 0 ? -1 : order.length) : order.indexOf(current);
    var next = Math.min(order.length - 1, Math.max(0, at + delta));
    select(order[next]);
  }

  function showWhich(keys) {
    var list = document.getElementById("which-list");
    list.textContent = "";
    keys.forEach(function (key) {
      var item = data.items[key];
      if (!item) { return; }
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = itemUrl(key);
      a.setAttribute("data-key", key);
      a.className = "item-link k-" + item.kind;
      a.textContent = item.kind + " " + item.id;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" " + item.label));
      list.appendChild(li);
    });
    document.getElementById("which").hidden = false;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-key]");
    if (link) {
      event.preventDefault();
      select(link.getAttribute("data-key"));
      return;
    }
    var seg = event.target.closest("#report-text [data-items]");
    if (seg && !window.getSelection().toString()) {
      var keys = seg.getAttribute("data-items").split(" ");
      showWhich(keys);
      select(keys[keys.length - 1], {scroll: false});
    }
  });

  document.querySelectorAll(".tabs button").forEach(function (b) {
    b.addEventListener("click", function () { showTab(b.getAttribute("data-tab")); });
  });

  document.querySelectorAll("#legend input[data-kind]").forEach(function (box) {
    box.addEventListener("change", function () {
      text.classList.toggle("show-" + box.getAttribute("data-kind"), box.checked);
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.target.closest("input, textarea, select") || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "j" || event.key === "ArrowRight") { step(1); event.preventDefault(); }
    else if (event.key === "k" || event.key === "ArrowLeft") { step(-1); event.preventDefault(); }
    else if (event.key === "Escape") { clear(); document.getElementById("which").hidden = true; }
  });

  // A link to "#stage-S1" (the stages timeline) or a hand-edited fragment selects that item.
  window.addEventListener("hashchange", function () {
    var key = decodeURIComponent(location.hash.replace(/^#/, ""));
    if (data.items[key]) { select(key); }
  });

  var wanted = data.selected || decodeURIComponent(location.hash.replace(/^#/, ""));
  if (wanted && data.items[wanted]) { select(wanted, {history: !!location.hash}); }
  window.reportlens = {select: select, selected: function () { return current; }};
})();
