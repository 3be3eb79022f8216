// textgen-bench report: sortable tables and the sample browser. Plain JavaScript, no dependencies.
"use strict";

// ---------------------------------------------------------------- sortable tables

// A cell's sort key: the number it starts with ("2.158 ± 0.01 [..]", "4,729", "1=", "T=0.5",
// "< 0.001"), else its text; null for an empty cell or a dash (always sorted last).
function sortKey(text) {
  const shown = text.trim();
  if (shown === "" || shown === "—") return null;
  const match = shown.replace(/,/g, "").match(/^(<\s*)?(?:T=)?([-+−±]?)(\d+(?:\.\d+)?(?:e[-+]?\d+)?)/i);
  if (!match) return shown.toLowerCase();
  let value = parseFloat(match[3]);
  if (match[2] === "-" || match[2] === "−") value = -value;
  return match[1] ? value - 1e-12 : value;
}

function compareKeys(a, b) {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a !== typeof b) return typeof a === "number" ? -1 : 1;
  return a < b ? -1 : 1;
}

// Sort a table's body by one column, ascending on the first click, then flipping; the human
// (reference) row stays last, and equal keys keep the table's own order.
function sortTable(table, header) {
  const column = Array.from(header.parentNode.children).indexOf(header);
  const ascending = header.getAttribute("aria-sort") !== "ascending";
  table.querySelectorAll("thead th").forEach((th) => th.setAttribute("aria-sort", "none"));
  header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const keyed = rows
    .filter((row) => !row.classList.contains("reference"))
    .map((row) => ({ row, key: sortKey(row.cells[column].textContent) }));
  keyed.sort((a, b) => {
    const nulls = (a.key === null) - (b.key === null);
    const order = compareKeys(a.key, b.key) * (ascending ? 1 : -1);
    return nulls || order || a.row.dataset.order - b.row.dataset.order;
  });
  body.append(...keyed.map((entry) => entry.row), ...rows.filter((r) => r.classList.contains("reference")));
}

function setUpTables() {
  document.querySelectorAll("table.sortable").forEach((table) => {
    table.querySelectorAll("thead th").forEach((header) => {
      header.querySelector("button").addEventListener("click", () => sortTable(table, header));
    });
  });
}

// ---------------------------------------------------------------- the sample browser

const state = { corpus: 0, prompt: 0, seed: 0, sample: 0, temperature: "all" };
let samples = null;

async function unpack(node) {
  const bytes = Uint8Array.from(atob(node.textContent.trim()), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return JSON.parse(await new Response(stream).text());
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  Object.entries(attributes).forEach(([key, value]) => node.setAttribute(key, value));
  children.forEach((child) => node.append(child));
  return node;
}

function fill(select, labels, selected) {
  select.replaceChildren(...labels.map((label, i) => element("option", { value: String(i) }, label)));
  select.value = String(selected);
}

function oneLine(text, limit) {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > limit ? line.slice(0, limit - 1) + "…" : line;
}

const corpus = () => samples.corpora[state.corpus];
const prompt = () => corpus().prompts[state.prompt];

function samplesOfPrompt() {
  const counts = corpus().cells.map((cell) =>
    Math.max(0, ...cell.texts.map((t) => (t && t[state.prompt] ? t[state.prompt].length : 0))));
  return Math.max(1, ...counts);
}

function fillControls() {
  const c = corpus();
  fill(document.getElementById("pick-corpus"), samples.corpora.map((x) => x.name), state.corpus);
  fill(document.getElementById("pick-prompt"),
    c.prompts.map((p) => `${p.label}: ${oneLine(p.text, 48)}`), state.prompt);
  fill(document.getElementById("pick-seed"), c.seeds.map((s) => `seed ${s}`), state.seed);
  const count = samplesOfPrompt();
  state.sample = Math.min(state.sample, count - 1);
  const sample = document.getElementById("pick-sample");
  fill(sample, Array.from({ length: count }, (_, i) => `sample ${i + 1}`), state.sample);
  sample.disabled = count < 2;
  const temperature = document.getElementById("pick-temperature");
  fill(temperature, ["every temperature", ...c.temperatures.map((t) => t.label)], 0);
  temperature.value = state.temperature === "all" ? "0" : String(state.temperature + 1);
}

// The text as spans: the loop shaded one period at a time, copied n-grams underlined. Offsets
// are in code points (as Python counts characters), so the text is split with Array.from.
function markedText(entry) {
  const chars = Array.from(entry.text);
  const loop = entry.loop;
  const copied = entry.copied || [];
  const cuts = new Set([0, chars.length]);
  if (loop) {
    for (let i = loop[0]; i < loop[1]; i += loop[2]) cuts.add(i);
    cuts.add(loop[1]);
  }
  copied.forEach(([start, end]) => { cuts.add(start); cuts.add(end); });
  const points = Array.from(cuts).filter((x) => x >= 0 && x <= chars.length).sort((a, b) => a - b);
  const pre = element("pre", { class: "text" });
  for (let i = 0; i + 1 < points.length; i++) {
    const [start, end] = [points[i], points[i + 1]];
    const piece = chars.slice(start, end).join("");
    const classes = [];
    if (loop && start >= loop[0] && start < loop[1]) {
      const period = Math.floor((start - loop[0]) / loop[2]);
      classes.push("loop", `p${period % 2}`);
      if (start === loop[0]) classes.push("loop-start");
    }
    if (copied.some(([s, e]) => start >= s && start < e)) classes.push("copied");
    pre.append(classes.length ? element("span", { class: classes.join(" ") }, piece) : piece);
  }
  if (loop) {
    pre.dataset.loop = loop.join(",");
    pre.title = `loop from character ${loop[0]} to ${loop[1]}, repeating every ${loop[2]} characters`;
  }
  if (entry.text === "") pre.append(element("em", {}, "(empty: the model ended the text at once)"));
  return pre;
}

function metricsList(entry) {
  if (!entry.metrics) return element("p", { class: "note" }, "Per-text metrics not stored in this run.");
  const list = element("dl", { class: "metrics" });
  entry.metrics.forEach(([label, value]) => list.append(element("dt", {}, label), element("dd", {}, value)));
  return list;
}

// The cycling probe's long continuation, collapsed: its summary names the attractor.
function longText(entry, chars) {
  const words = entry.attractor || (entry.loop ? "cycling" : "no cycle found");
  const summary = element("summary", {}, `${chars ? chars.toLocaleString("en") + "-character" : "Long"} continuation: ${words}`);
  return element("details", { class: "long" }, summary, markedText(entry));
}

function card(title, entry, attributes = {}) {
  const head = element("h4", {}, title);
  if (attributes.color) head.prepend(element("span", { class: "swatch", style: `background:${attributes.color}` }));
  const body = entry
    ? [markedText(entry), metricsList(entry)]
    : [element("p", { class: "note" }, "No continuation stored (the cell failed or did not run).")];
  if (attributes.long) body.push(longText(attributes.long, corpus().cycleChars));
  return element("article", { class: "card", "data-row": attributes.row || "" }, head, ...body);
}

// The probe's continuation of the shown test prompt at the sweep temperature of index t, if any.
function longOf(cell, t) {
  const c = corpus();
  const index = (c.cycleTemperatures || []).indexOf(c.temperatures[t].value);
  const texts = cell && cell.long && index >= 0 ? cell.long[index] : null;
  return texts && texts[state.prompt] ? texts[state.prompt] : null;
}

function entryOf(cell, temperature) {
  const texts = cell && cell.texts[temperature];
  const list = texts && texts[state.prompt];
  return list && list.length ? list[Math.min(state.sample, list.length - 1)] : null;
}

function renderPrompt() {
  const p = prompt();
  const view = document.getElementById("prompt-view");
  const parts = [element("article", { class: "card prompt" }, element("h4", {}, `Prompt (${p.label})`),
    element("pre", { class: "text" }, p.text))];
  if (p.human) parts.push(card("Human continuation (test split)", p.human, { row: "human" }));
  view.replaceChildren(...parts);
}

function renderGrid() {
  const c = corpus();
  const seed = c.seeds[state.seed];
  const shown = state.temperature === "all" ? c.temperatures.map((_, i) => i) : [state.temperature];
  const rows = shown.map((t) => {
    const cards = c.rows.map((row) => {
      const cell = c.cells.find((x) => x.row === row.name && x.seed === seed);
      return card(row.name, entryOf(cell, t), { row: row.name, color: row.color, long: longOf(cell, t) });
    });
    const label = c.temperatures[t].label;
    return element("section", { class: "temperature", "data-temperature": label, "aria-label": label },
      element("h3", {}, label), element("div", { class: "cards" }, ...cards));
  });
  document.getElementById("sample-grid").replaceChildren(...rows);
}

function render() {
  fillControls();
  renderPrompt();
  renderGrid();
  const c = corpus();
  const words = [`${prompt().label} of ${c.prompts.length}`, `seed ${c.seeds[state.seed]}`];
  if (samplesOfPrompt() > 1) words.push(`sample ${state.sample + 1}`);
  const note = c.note ? ` ${c.note}` : "";
  document.getElementById("browser-status").textContent = `Showing ${words.join(", ")} on ${c.name}.${note}`;
}

function step(key, size, by) {
  state[key] = (state[key] + by + size) % size;
}

function onKey(event) {
  const target = event.target;
  if (event.altKey || event.ctrlKey || event.metaKey || target.closest("select, input, textarea, dialog")) return;
  const moves = {
    ArrowRight: () => step("prompt", corpus().prompts.length, 1),
    j: () => step("prompt", corpus().prompts.length, 1),
    ArrowLeft: () => step("prompt", corpus().prompts.length, -1),
    k: () => step("prompt", corpus().prompts.length, -1),
    s: () => step("seed", corpus().seeds.length, 1),
    t: () => {
      const count = corpus().temperatures.length;
      state.temperature = state.temperature === "all" ? 0 : state.temperature + 1 < count ? state.temperature + 1 : "all";
    },
  };
  if (!moves[event.key]) return;
  event.preventDefault();
  moves[event.key]();
  render();
}

function listen(id, update) {
  document.getElementById(id).addEventListener("change", (event) => {
    update(Number(event.target.value));
    render();
  });
}

function setUpBrowser(data) {
  samples = data;
  if (!samples.corpora.length || !samples.corpora.some((c) => c.prompts.length)) {
    document.getElementById("browser-status").textContent = "This run has no samples to show.";
    return;
  }
  state.corpus = samples.corpora.findIndex((c) => c.prompts.length);
  listen("pick-corpus", (i) => Object.assign(state, { corpus: i, prompt: 0, seed: 0, sample: 0 }));
  listen("pick-prompt", (i) => { state.prompt = i; });
  listen("pick-seed", (i) => { state.seed = i; });
  listen("pick-sample", (i) => { state.sample = i; });
  listen("pick-temperature", (i) => { state.temperature = i === 0 ? "all" : i - 1; });
  document.getElementById("previous-prompt").addEventListener("click", () => {
    step("prompt", corpus().prompts.length, -1);
    render();
  });
  document.getElementById("next-prompt").addEventListener("click", () => {
    step("prompt", corpus().prompts.length, 1);
    render();
  });
  document.addEventListener("keydown", onKey);
  render();
}

function startBrowser() {
  const status = document.getElementById("browser-status");
  if (!("DecompressionStream" in window)) {
    status.textContent = "This browser cannot unpack the samples (it lacks DecompressionStream); "
      + "open the report in a current Chromium, Firefox or Safari.";
    return;
  }
  unpack(document.getElementById("sample-data")).then(setUpBrowser).catch((error) => {
    status.textContent = `The samples could not be unpacked: ${error}`;
    console.error(error);
  });
}

// ---------------------------------------------------------------- enlarging a plot

// A click (or Enter) on a plot shows it in a dialog as large as the window allows; a click
// anywhere or Esc closes it. The page loads nothing: the dialog reuses the plot's data URI.
function setUpLightbox() {
  const dialog = document.getElementById("lightbox");
  const large = dialog.querySelector("img");
  document.querySelectorAll("figure img").forEach((img) => {
    img.tabIndex = 0;
    img.setAttribute("role", "button");
    img.title = "Enlarge";
    const open = () => {
      large.src = img.src;
      large.alt = img.alt;
      dialog.showModal();
    };
    img.addEventListener("click", open);
    img.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      open();
    });
  });
  dialog.addEventListener("click", () => dialog.close());
}

setUpTables();
setUpLightbox();
startBrowser();
