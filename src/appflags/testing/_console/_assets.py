"""The console's stylesheet and script, served as files so that the pages' Content
Security Policy can forbid every inline script (an injected ``<script>`` never runs)."""

from __future__ import annotations

CSS = """\
:root { color-scheme: light dark; --accent: #2454a6; --bad: #b3261e; --ok: #1e6b35;
  --line: #8884; font: 16px/1.45 system-ui, sans-serif; }
body { margin: 0; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center;
  padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; text-decoration: none; color: inherit; }
nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
nav a[aria-current] { font-weight: 700; }
main { padding: 1rem; max-width: 90rem; margin: 0 auto; }
a { color: var(--accent); }
@media (prefers-color-scheme: dark) { :root { --accent: #8ab4f8; --bad: #f28b82;
  --ok: #81c995; } }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem;
  border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
th { font-weight: 600; }
thead th { overflow-wrap: normal; }
[hidden] { display: none !important; } /* a card's display: block must not show it */
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
code, pre, textarea, .mono { font-family: ui-monospace, monospace; font-size: .9rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; }
textarea { width: 100%; box-sizing: border-box; min-height: 8rem; }
input[type=text], input[type=search], select { max-width: 100%; box-sizing: border-box;
  font: inherit; padding: .25rem; }
button { font: inherit; padding: .3rem .8rem; cursor: pointer; }
form.inline { display: inline; }
fieldset { border: 1px solid var(--line); margin: 0 0 1rem; padding: .5rem 1rem 1rem; }
label { display: block; margin: .5rem 0 .2rem; font-weight: 600; }
label.check { display: inline; font-weight: 400; }
.hint, .note { color: inherit; opacity: .8; font-size: .9rem; }
.note { border-left: 4px solid var(--accent); padding: .3rem .7rem; }
.problem, .problems:not(:empty) { border-left: 4px solid var(--bad); padding: .3rem .7rem;
  white-space: pre-wrap; display: block; font-family: ui-monospace, monospace; }
.ok { color: var(--ok); }
.changed { font-weight: 600; }
.diff .add { color: var(--ok); } .diff .del { color: var(--bad); }
.rows { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 2fr); gap: .3rem; }
@media (max-width: 40rem) {
  main { padding: .5rem; } th, td { padding: .3rem; }
  /* Narrow screens: each row of the main tables becomes a card of labelled values. */
  table.cards thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); }
  table.cards, table.cards tbody, table.cards tr, table.cards th, table.cards td {
    display: block; }
  table.cards tr { border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.cards th, table.cards td { border: 0; padding: .1rem 0; overflow-wrap: anywhere; }
  table.cards td[data-label]:empty { display: none; }
  table.cards td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
}
"""

JS = """\
"use strict";
// Small and dependency-free: edits go out as form posts with the server's token, errors
// are written as text (never as HTML), and live sections reload their server fragment.
(function () {
  const token = document.querySelector('meta[name="appflags-token"]').content;

  function showProblems(form, answer) {
    const out = form.querySelector(".problems");
    const lines = [answer.error || "refused"];
    for (const p of answer.problems || []) lines.push(p.path + ": " + p.message);
    out.textContent = lines.join("\\n");
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!form.matches("form.edit")) return;
    event.preventDefault();
    const out = form.querySelector(".problems");
    if (out) out.textContent = "";
    let answer;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { "X-Appflags-Token": token, "Accept": "application/json" },
        body: new URLSearchParams(new FormData(form)),
      });
      answer = await response.json();
    } catch (err) {
      answer = { error: "the server did not answer: " + err };
    }
    if (answer.ok) {
      if (answer.location) window.location.assign(answer.location);
      else window.location.reload();
    } else if (out) {
      showProblems(form, answer);
      out.focus();
    }
  });

  const search = document.getElementById("search");
  if (search) {
    search.addEventListener("input", function () {
      const needle = search.value.trim().toLowerCase();
      for (const row of document.querySelectorAll("tr[data-key]")) {
        row.hidden = needle !== "" && !row.dataset.key.toLowerCase().includes(needle);
      }
    });
  }

  for (const live of document.querySelectorAll("[data-refresh]")) {
    setInterval(async function () {
      try {
        const response = await fetch(live.dataset.refresh, { headers: { "Accept": "text/html" } });
        if (response.ok) live.innerHTML = await response.text();
      } catch (err) { /* the server stopped: keep what is shown */ }
    }, 1000);
  }
})();
"""
