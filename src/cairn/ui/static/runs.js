// Runs table: a filter in cairn's query language, sortable columns, pages, compare.
// The state (filter, order, page) lives in the URL, so a view can be linked and reloaded.
import { api, duration, el, fmt, page, runLink, show, status, when } from "./common.js";

const url = new URL(window.location.href);
const state = {
  filter: url.searchParams.get("filter") || "",
  order: url.searchParams.get("order_by") || "",
  page: Number(url.searchParams.get("page") || 1),
  perPage: Number(url.searchParams.get("per_page") || 50),
};
const selected = new Set();
let requests = 0;
const filterBox = document.getElementById("filter");
const errorBox = document.getElementById("filter-error");
const compareButton = document.getElementById("compare");

// A field name for an ordering: keys with unusual characters go in backticks.
function field(kind, key) {
  return /^[\w.\-/:]+$/.test(key) ? `${kind}.${key}` : `${kind}.\`${key}\``;
}

function syncUrl() {
  const next = new URL(window.location.href);
  for (const [key, value] of [["filter", state.filter], ["order_by", state.order],
    ["page", state.page > 1 ? state.page : ""], ["per_page", state.perPage !== 50 ? state.perPage : ""]]) {
    if (value) next.searchParams.set(key, value); else next.searchParams.delete(key);
  }
  window.history.replaceState(null, "", next);
}

async function load() {
  const query = new URLSearchParams({ page: state.page, per_page: state.perPage });
  if (page.experimentId) query.set("experiment_id", page.experimentId);
  if (page.studyId) query.set("study_id", page.studyId);
  if (state.filter.trim()) query.set("filter", state.filter);
  if (state.order) query.set("order_by", state.order);
  syncUrl();
  const ticket = ++requests;
  document.body.classList.add("busy");
  try {
    const answer = await api(`/api/runs?${query}`);
    if (ticket !== requests) return; // a later search is under way: its answer wins
    errorBox.hidden = true;
    render(answer);
  } catch (error) {
    if (ticket !== requests) return;
    errorBox.textContent = error.message;
    errorBox.hidden = false;
  } finally {
    if (ticket === requests) document.body.classList.remove("busy");
  }
}

function header(label, name, title) {
  const [shown, shownDirection] = state.order.split(/\s+/);
  const arrow = shown === name ? (shownDirection === "asc" ? " ▲" : " ▼") : "";
  return el("th", {
    class: "sortable", title: title || `order by ${name}`, "data-field": name,
    onclick: () => {
      // Read the order at click time: a second click before the table redraws still toggles.
      const [current, direction] = state.order.split(/\s+/);
      state.order = current === name && direction !== "asc" ? `${name} asc` : `${name} desc`;
      state.page = 1;
      load();
    },
  }, label + arrow);
}

function render({ runs, total, page: number, pages }) {
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const params = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const head = el("thead", {},
    el("tr", { class: "groups" }, el("th", { colspan: 6 }), metrics.length ? el("th", { colspan: metrics.length }, "metrics") : null,
      params.length ? el("th", { colspan: params.length, class: "params" }, "params") : null),
    el("tr", {}, el("th", {}), header("run", "run_id"), header("name", "run_name"), header("status", "status"),
      header("start", "start_time"), header("duration", "duration"),
      metrics.map((k) => header(k, field("metrics", k), `metrics.${k}`)),
      params.map((k) => header(k, field("params", k), `params.${k}`))));
  const body = el("tbody", {}, runs.map((r) => el("tr", { "data-run-id": r.id },
    el("td", {}, el("input", {
      type: "checkbox", checked: selected.has(r.id), "aria-label": `select run ${r.id}`,
      onchange: (event) => { if (event.target.checked) selected.add(r.id); else selected.delete(r.id); updateCompare(); },
    })),
    el("td", {}, runLink(r.id)), el("td", {}, r.name || ""), el("td", {}, status(r.status)),
    el("td", {}, when(r.start_time)), el("td", { class: "num" }, duration(r.duration)),
    metrics.map((k) => el("td", { class: "num" }, fmt(r.metrics[k]))),
    params.map((k) => el("td", {}, k in r.params ? fmt(r.params[k]) : "")))));
  show("runs", head, body);
  performance.mark("cairn:runs-rendered"); // when the table first shows runs (bench/ui.py reads it)
  const first = (number - 1) * state.perPage + 1;
  const matches = total === 1 ? "1 run matches" : `${total} runs match`;
  show("summary", total ? `${matches}; showing ${first}–${first + runs.length - 1}` : "No runs match.");
  const go = (n) => () => { state.page = n; load(); };
  show("pager",
    el("button", { type: "button", disabled: number <= 1, onclick: go(1) }, "« first"),
    el("button", { type: "button", disabled: number <= 1, onclick: go(number - 1), id: "prev" }, "‹ prev"),
    el("span", { id: "page-number" }, ` page ${number} of ${pages} `),
    el("button", { type: "button", disabled: number >= pages, onclick: go(number + 1), id: "next" }, "next ›"),
    el("button", { type: "button", disabled: number >= pages, onclick: go(pages) }, "last »"));
}

function updateCompare() {
  compareButton.disabled = selected.size < 2;
  compareButton.textContent = `Compare selected (${selected.size})`;
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  state.filter = filterBox.value;
  state.page = 1;
  load();
});
compareButton.addEventListener("click", () => {
  const query = new URLSearchParams([...selected].map((id) => ["run", id]));
  window.location.href = `/compare?${query}`;
});
filterBox.value = state.filter;
updateCompare();
load();
