// A lineage DAG as SVG: the server lays it out (cairn.ui.graph), this draws it and lets
// the reader follow it: clicking a node shows what it is, what it was computed from and
// what uses it, each a link to that node.
import { el } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

export function drawLineage(container, graph) {
  const { nodes, edges, node_width: w, node_height: h } = graph;
  const pad = 12;
  const users = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) users.get(e.source).push(e.target);
  const root = svg("svg", {
    class: "lineage-graph", width: graph.width + 2 * pad, height: graph.height + 2 * pad,
    viewBox: `${-pad} ${-pad} ${graph.width + 2 * pad} ${graph.height + 2 * pad}`, role: "img",
    "aria-label": "lineage graph",
  });
  root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }))));
  if (graph.body_box) {
    const b = graph.body_box;
    root.append(svg("rect", { x: b.x, y: b.y, width: b.width, height: b.height, rx: 8, class: "body-box" }),
      svg("text", { x: b.x + 8, y: b.y + 14, class: "body-label" }, "patch body: one fold's steps, shown once"));
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const e of edges) {
    const a = byId.get(e.source);
    const b = byId.get(e.target);
    const x1 = a.x + w;
    const y1 = a.y + h / 2;
    const x2 = b.x;
    const y2 = b.y + h / 2;
    const mid = (x1 + x2) / 2;
    root.append(svg("path", { d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
      class: `edge edge-${e.kind}`, "marker-end": "url(#arrow)", "data-source": e.source, "data-target": e.target }));
  }
  const details = el("div", { class: "lineage-details", id: "lineage-details" },
    el("p", { class: "muted" }, "Click a node to see what it is and follow its inputs."));
  const shapes = new Map();
  for (const n of nodes) {
    const g = svg("g", { class: `node op-${n.op.replace(/[^\w-]/g, "_")}`, transform: `translate(${n.x},${n.y})`,
      tabindex: 0, "data-node": n.id, role: "button" },
      svg("title", {}, `#${n.id} ${n.op} ${n.full_label}`),
      svg("rect", { width: w, height: h, rx: 5 }),
      svg("text", { x: 8, y: 15, class: "op" }, `#${n.id} ${n.op}`),
      svg("text", { x: 8, y: 30, class: "label" }, n.label));
    g.addEventListener("click", () => select(n.id));
    g.addEventListener("keydown", (event) => { if (event.key === "Enter") select(n.id); });
    shapes.set(n.id, g);
    root.append(g);
  }

  function nodeLink(id) {
    const n = byId.get(id);
    return el("a", { href: `#node-${id}`, class: "node-link", "data-node": id,
      onclick: (event) => { event.preventDefault(); select(id); } }, `#${id} ${n.op}`);
  }

  function select(id) {
    const n = byId.get(id);
    for (const [key, g] of shapes) g.classList.toggle("selected", key === id);
    const shape = shapes.get(id);
    if (shape.scrollIntoView) shape.scrollIntoView({ block: "nearest", inline: "center" });
    const rows = [["operation", n.op], ["label", n.full_label || "—"], ["digest", n.digest]];
    if (n.seed !== null) rows.push(["seed", String(n.seed)]);
    if (n.data) rows.push(["data fingerprint", n.data]);
    details.replaceChildren(
      el("h3", {}, `#${n.id} ${n.op}`),
      el("table", { class: "pairs" }, el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", { class: "mono" }, v))))),
      el("p", {}, "computed from: ", n.inputs.length ? n.inputs.map((i) => [nodeLink(i), " "]) : "nothing (a source)"),
      n.body !== null ? el("p", {}, "patch body: ", nodeLink(n.body)) : null,
      el("p", {}, "used by: ", users.get(id).length ? users.get(id).map((i) => [nodeLink(i), " "]) : "nothing (the result)"),
      n.literal !== null ? el("details", {}, el("summary", {}, "literal"), el("pre", {}, JSON.stringify(n.literal, null, 2))) : null);
    details.dataset.selected = String(id);
  }

  container.replaceChildren(el("div", { class: "lineage-scroll" }, root), details);
  return { select };
}
