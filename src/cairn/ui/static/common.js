// Helpers every page shares: calling the API, building DOM from data, formatting.
// Everything from the store becomes text nodes or attributes, never HTML, so a run
// named <script> is shown as those characters.

export const page = document.body.dataset;
export const writable = page.allowWrites === "true";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

// GET (or another method with a JSON body) an /api/ path; errors carry the server's sentence.
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(data.error || response.statusText, response.status);
  return data;
}

// el("a", {href: "/x", class: "y"}, "text", child) -> an element; strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replace what a container shows.
export function show(target, ...children) {
  const node = typeof target === "string" ? document.getElementById(target) : target;
  node.classList.remove("loading");
  node.replaceChildren();
  append(node, children);
  return node;
}

export function showError(target, error) {
  return show(target, el("p", { class: "error" }, error.message || String(error)));
}

// A number from the API (which sends non-finite values as "NaN" / "Infinity").
export function num(value) {
  return value === null || value === undefined ? NaN : Number(value);
}

export function fmt(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || value === "NaN" || value === "Infinity" || value === "-Infinity") {
    const x = Number(value);
    if (!Number.isFinite(x)) return String(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
    const a = Math.abs(x);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toExponential(3) : String(Number(x.toPrecision(4)));
  }
  if (typeof value === "boolean") return value ? "true" : "false";
  return String(value);
}

export function when(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const d = new Date(Number(seconds) * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Number(seconds);
  return s < 60 ? `${s.toFixed(2)} s` : s < 3600 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

export function bytes(n) {
  const x = Number(n);
  if (x < 1024) return `${x} B`;
  if (x < 1024 ** 2) return `${(x / 1024).toFixed(1)} KiB`;
  return `${(x / 1024 ** 2).toFixed(1)} MiB`;
}

export function status(value) {
  return el("span", { class: `status status-${value}` }, value);
}

export function runLink(id, text) {
  return el("a", { href: `/runs/${encodeURIComponent(id)}`, class: "mono" }, text || id.slice(0, 8));
}

// A table from header labels and rows of cells (nodes or values).
export function table(headers, rows, attrs = {}) {
  return el("table", attrs,
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) => el("td", {}, c instanceof Node ? c : fmt(c)))))));
}

// key -> value pairs as a two-column table.
export function pairs(object, empty = "none") {
  const keys = Object.keys(object || {}).sort();
  if (!keys.length) return el("p", { class: "muted" }, empty);
  return table(["key", "value"], keys.map((k) => [el("span", { class: "mono" }, k),
    object[k] === null ? el("span", { class: "muted" }, "None") : fmt(object[k])]), { class: "pairs" });
}

// Plotly (5 MB of script) is fetched the first time a page draws a chart, not before.
let plotly = null;
function loadPlotly() {
  plotly ||= new Promise((resolve, reject) => {
    const script = el("script", { src: "/static/vendor/plotly.min.js" });
    script.addEventListener("load", () => resolve(window.Plotly));
    script.addEventListener("error", () => reject(new Error("could not load the chart library")));
    document.head.append(script);
  });
  return plotly;
}

export async function plot(target, traces, layout = {}) {
  const node = typeof target === "string" ? document.getElementById(target) : target;
  node.classList.remove("loading");
  const base = {
    margin: { l: 55, r: 15, t: 10, b: 45 }, height: 300, hovermode: "closest",
    font: { family: "system-ui, sans-serif", size: 12 }, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "#fafafa",
  };
  const Plotly = await loadPlotly();
  return Plotly.newPlot(node, traces, { ...base, ...layout }, { displaylogo: false, responsive: true });
}

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf"];
