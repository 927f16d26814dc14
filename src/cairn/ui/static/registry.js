// Registry: models with versions, aliases and stored sizes (delta against the full
// size); datasets with versions, rows added and removed. Aliases can be moved with --allow-writes.
import { api, bytes, el, fmt, runLink, show, showError, table, when, writable } from "./common.js";

function aliasForm(name, refresh) {
  const alias = el("input", { name: "alias", placeholder: "alias, e.g. champion", required: true });
  const version = el("input", { name: "version", type: "number", min: 1, placeholder: "version", required: true });
  const message = el("span", { class: "error" });
  return el("form", {
    class: "inline-form alias-form",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api(`/api/models/${encodeURIComponent(name)}/aliases`, { method: "POST", body: { alias: alias.value, version: Number(version.value) } });
        refresh();
      } catch (error) {
        message.textContent = error.message;
      }
    },
  }, alias, version, el("button", { type: "submit" }, "Set alias"), message);
}

async function modelSection(name) {
  const box = el("div", { class: "model", "data-model": name });
  const refresh = async () => {
    const m = await api(`/api/models/${encodeURIComponent(name)}`);
    const byVersion = {};
    for (const [alias, v] of Object.entries(m.aliases)) (byVersion[v] ||= []).push(alias);
    box.replaceChildren(el("h3", {}, name),
      table(["version", "aliases", "created", "run", "study", "dataset", "class", "stored", "of full size", "stored as"],
        m.versions.map((v) => [v.version, (byVersion[v.version] || []).join(", "), when(v.created_at), runLink(v.run_id),
          v.study_id === null ? "" : el("a", { href: `/studies/${v.study_id}` }, String(v.study_id)), v.dataset_version || "",
          el("span", { title: v.model_class }, v.model_class.split(".").pop()), bytes(v.size),
          `${((100 * v.size) / Math.max(v.raw_size, 1)).toFixed(0)} %`,
          v.base_version === null ? "snapshot" : `delta of v${v.base_version}`])),
      ...(writable ? [aliasForm(name, refresh)] : []));
  };
  await refresh();
  return box;
}

async function datasetSection(name) {
  const d = await api(`/api/datasets/${encodeURIComponent(name)}`);
  return el("div", { class: "dataset", "data-dataset": name }, el("h3", {}, name),
    table(["version", "parent", "created", "rows", "added", "removed", "columns", "stored", "stored as"],
      d.versions.map((v) => [v.version, v.parent_version === null ? "" : v.parent_version, when(v.created_at), v.n_rows,
        fmt(v.n_added), fmt(v.n_removed), el("span", { title: v.columns.map((c) => `${c[0]}: ${c[1]}`).join("\n") }, String(v.columns.length)),
        bytes(v.size), v.base_version === null ? "snapshot" : `delta of v${v.base_version}`])));
}

api("/api/models").then(async ({ models }) => {
  show("models", models.length ? await Promise.all(models.map((m) => modelSection(m.name)))
    : el("p", { class: "muted" }, "No registered models: 'cairn models register RUN_ID NAME'."));
}).catch((e) => showError("models", e));

api("/api/datasets").then(async ({ datasets }) => {
  show("datasets", datasets.length ? await Promise.all(datasets.map((d) => datasetSection(d.name)))
    : el("p", { class: "muted" }, "No registered datasets."));
}).catch((e) => showError("datasets", e));
