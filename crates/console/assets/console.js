// The console's script: the input check of the start form, the state panel (a state
// chosen in the graph or the table), the history's filter, and the live update of a
// running execution. Everything works from event handlers on the document, so the live
// part of the page can be replaced without binding anything again.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);

  // The start form: the input must be JSON before it is sent.
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { ev.preventDefault(); return; }
    if (!form.hasAttribute("data-json-check")) return;
    const area = $("textarea[data-json]", form);
    const note = $(".json-error", form);
    const text = area.value.trim();
    try {
      if (text !== "") JSON.parse(text);
      area.removeAttribute("aria-invalid");
      note.hidden = true;
    } catch (e) {
      ev.preventDefault();
      area.setAttribute("aria-invalid", "true");
      note.textContent = "The input is not valid JSON: " + e.message;
      note.hidden = false;
      area.focus();
    }
  });

  function visits() {
    const data = $("#visits");
    return data ? JSON.parse(data.textContent) : [];
  }
  function pretty(text) {
    if (text === null || text === undefined) return "";
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }
  let chosen = null; // { visit } or { state } the user chose; kept across live updates

  // Shows visit `i` in the panel and marks it in the graph and table.
  function show(i) {
    const all = visits();
    const v = all[i];
    if (!v) return;
    $("#io-name").textContent = v.name;
    const panel = $("#state-panel");
    let html = '<p id="io-status"></p>';
    if (v.error || v.cause) html += '<div class="error-box small" id="io-error"><p><strong>Error</strong> <code></code></p><pre class="cause"></pre></div>';
    html += '<div class="io"><div><h3>Input</h3><pre class="json" id="io-input"></pre></div><div><h3>Output</h3><pre class="json" id="io-output"></pre></div></div>';
    panel.querySelectorAll(":scope > :not(h2)").forEach((n) => n.remove());
    panel.insertAdjacentHTML("beforeend", html);
    $("#io-status").innerHTML = "";
    $("#io-status").append(v.kind + " · ");
    const badge = document.createElement("span");
    badge.className = "badge s-" + v.status;
    badge.textContent = v.status.toUpperCase();
    $("#io-status").append(badge);
    if (v.error || v.cause) {
      $("#io-error code").textContent = v.error || "";
      $("#io-error pre").textContent = pretty(v.cause);
    }
    $("#io-input").textContent = pretty(v.input);
    $("#io-output").textContent = pretty(v.output);
    document.querySelectorAll("#states tr[aria-selected]").forEach((r) => r.removeAttribute("aria-selected"));
    const row = $('#states tr[data-visit="' + i + '"]');
    if (row) row.setAttribute("aria-selected", "true");
    document.querySelectorAll("svg.graph .node.selected").forEach((n) => n.classList.remove("selected"));
    const node = $('svg.graph .node[data-state="' + CSS.escape(v.name) + '"]');
    if (node) node.classList.add("selected");
  }

  // The latest visit of a state.
  function showState(name) {
    const all = visits();
    for (let i = all.length - 1; i >= 0; i--) {
      if (all[i].name === name) { show(i); return true; }
    }
    return false;
  }

  function choose(target) {
    const row = target.closest("#states tr[data-visit]");
    if (row) { chosen = { visit: +row.dataset.visit }; show(chosen.visit); return true; }
    const node = target.closest("svg.graph .node[data-state]");
    if (node && $("#visits")) {
      chosen = { state: node.dataset.state };
      if (!showState(chosen.state)) {
        $("#io-name").textContent = chosen.state;
        const panel = $("#state-panel");
        panel.querySelectorAll(":scope > :not(h2)").forEach((n) => n.remove());
        panel.insertAdjacentHTML("beforeend", '<p class="muted">Not reached.</p>');
      }
      return true;
    }
    return false;
  }
  document.addEventListener("click", (ev) => { choose(ev.target); });
  document.addEventListener("keydown", (ev) => {
    if ((ev.key === "Enter" || ev.key === " ") && ev.target.matches("#states tr, svg.graph .node")) {
      if (choose(ev.target)) ev.preventDefault();
    }
  });

  // The history: an event opens (its details come from the list beside it), filter by
  // type, expand or collapse all.
  let details = null; // a promise of the list, fetched once per version of the page
  function eventDetails() {
    if (details === null) {
      const arn = $("#live").dataset.arn;
      details = fetch("/console/execution/events?arn=" + encodeURIComponent(arn), { cache: "no-store" }).then((r) => r.json());
    }
    return details;
  }
  async function openEvent(li, open) {
    const button = li.querySelector("button.ev");
    let pre = li.querySelector("pre");
    if (open && !pre) {
      const all = await eventDetails();
      pre = li.querySelector("pre"); // opened meanwhile by another click
    }
    if (open && !pre) {
      const all = await eventDetails();
      const index = Array.prototype.indexOf.call(li.parentElement.children, li);
      pre = document.createElement("pre");
      pre.className = "json";
      pre.textContent = all[index];
      li.append(pre);
    }
    if (pre) pre.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  }
  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("#history button.ev");
    if (button) openEvent(button.parentElement, button.getAttribute("aria-expanded") !== "true");
  });
  function applyFilter() {
    const select = $("#event-filter");
    if (!select) return;
    const type = select.value;
    document.querySelectorAll("#history > li").forEach((li) => {
      li.hidden = type !== "" && li.dataset.type !== type;
    });
  }
  document.addEventListener("change", (ev) => { if (ev.target.id === "event-filter") applyFilter(); });
  document.addEventListener("click", (ev) => {
    if (ev.target.id === "expand-all" || ev.target.id === "collapse-all") {
      const open = ev.target.id === "expand-all";
      document.querySelectorAll("#history > li:not([hidden])").forEach((li) => openEvent(li, open));
    }
  });

  // Live update: while the execution runs, ask for its progress every second and, when
  // its history has grown or its status changed, put the new page's live part in place,
  // keeping the chosen state, the filter and the events opened.
  const live = $("#live");
  if (!live) return;
  const arn = live.dataset.arn;
  async function poll() {
    const now = $("#live");
    if (!now || now.dataset.status !== "RUNNING") return;
    try {
      const answer = await fetch("/console/execution/progress?arn=" + encodeURIComponent(arn), { cache: "no-store" });
      const progress = await answer.json();
      if (progress.status !== now.dataset.status || String(progress.events) !== now.dataset.events) {
        await refresh();
      }
    } catch (e) { /* the server may be restarting: try again */ }
    setTimeout(poll, 1000);
  }
  async function refresh() {
    const answer = await fetch(location.href, { cache: "no-store" });
    const doc = new DOMParser().parseFromString(await answer.text(), "text/html");
    const fresh = $("#live", doc);
    const old = $("#live");
    if (!fresh || !old) return;
    const filter = $("#event-filter") ? $("#event-filter").value : "";
    const rows = () => Array.from(document.querySelectorAll("#history > li"));
    const opened = rows().map((li, i) => (li.querySelector('button[aria-expanded="true"]') ? i : -1)).filter((i) => i >= 0);
    old.replaceWith(fresh);
    details = null;
    if (filter && $("#event-filter")) { $("#event-filter").value = filter; applyFilter(); }
    const fresh_rows = rows();
    opened.forEach((i) => { if (fresh_rows[i]) openEvent(fresh_rows[i], true); });
    if (chosen && chosen.state !== undefined) showState(chosen.state);
    else if (chosen) show(chosen.visit);
    document.dispatchEvent(new CustomEvent("console:updated"));
  }
  setTimeout(poll, 1000);
})();
