// Settings forms (§18): every field with data-key is sent as one PATCH of the settings.
// A refused save names each field by its label, highlights it and scrolls it into view.
import { $, $$, api, confirmAction, problemText, say } from "./core.js";

// A change after which the firewall would refuse this browser comes back 409: ask first (§18.15).
export async function patchSettings(changes, confirmText) {
  let result = await api("PATCH", "/api/v1/settings", { changes });
  if (result.status === 409 && result.data.lockout) {
    if (!(await confirmAction(confirmText || result.data.error))) return { ...result, cancelled: true };
    result = await api("PATCH", "/api/v1/settings", { changes, confirm_lockout: true });
  }
  return result;
}

export function collect(form) {
  const changes = {};
  $$("[data-key]", form).forEach((input) => {
    if (input.disabled) return;
    if (input.dataset.secret !== undefined && !input.value) return; // left empty: the secret is kept
    let value = input.value;
    // An empty number is null, never 0: the server refuses it ("Enter a number").
    if (input.dataset.type === "int") value = value.trim() === "" ? null : Number(value);
    if (input.dataset.type === "bool") value = value === "true";
    if (input.dataset.type === "list") value = value.split(/[\s,]+/).filter(Boolean);
    changes[input.dataset.key] = value;
  });
  return changes;
}

// The value a control had when the page was drawn (or at the last save).
export function initialValue(input) {
  if (input.tagName === "SELECT") {
    const chosen = Array.from(input.options).find((option) => option.defaultSelected) || input.options[0];
    return chosen ? chosen.value : "";
  }
  return input.defaultValue;
}
function keepAsInitial(form) {
  $$("[data-key]", form).forEach((input) => {
    if (input.tagName === "SELECT") Array.from(input.options).forEach((option) => { option.defaultSelected = option.selected; });
    else if (input.dataset.secret === undefined) input.defaultValue = input.value;
  });
}
// The dotted keys whose control the person changed.
export function changedKeys(form) {
  return $$("[data-key]", form).filter((input) => !input.disabled && input.value !== initialValue(input)).map((input) => input.dataset.key);
}

// Checks a page adds before a save (e.g. the listener this browser uses): each resolves
// true to go on. ``check(changes, form)``.
const beforeSave = [];
export function onBeforeSave(check) { beforeSave.push(check); }
// What a page does once a save went through: ``after(changes, form, before)``, ``before``
// holding the values the fields had until then.
const afterSave = [];
export function onAfterSave(after) { afterSave.push(after); }
function initialValues(form) {
  const values = {};
  $$("[data-key]", form).forEach((input) => { values[input.dataset.key] = initialValue(input); });
  return values;
}

export function messagesOf(root) {
  const holder = (root && root.closest && root.closest("[data-messages]")) || $("[data-messages]");
  try { return holder ? JSON.parse(holder.dataset.messages) : {}; } catch (e) { return {}; }
}
export const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (all, name) => (name in values ? values[name] : all));

function controlOf(key, root) {
  const box = $(`p.field-error[data-error-for="${CSS.escape(key)}"]`, root);
  if (box) {
    const holder = box.closest(".field") || box.parentElement;
    return { field: holder, input: $("input, select, textarea", holder), error: box };
  }
  const field = $(`[data-field="${CSS.escape(key)}"]`, root) || $(`[data-field="${CSS.escape(key)}"]`);
  if (field) return { field, input: $("input, select, textarea", field), error: $(`[data-error-for="${CSS.escape(key)}"]`, field) };
  // A row's problem without a field ("access_control.rules[0]: ...") marks the row's first control.
  const input = $(`[data-problem-key="${CSS.escape(key)}"]`, root) || $(`[data-problem-key^="${CSS.escape(key)}."]`, root);
  return input ? { field: input.closest("td, .field") || input, input, error: null } : null;
}
function labelOf(key, root, messages) {
  const found = controlOf(key, root);
  if (found && found.field.classList.contains("field")) {
    const text = $("label", found.field);
    if (text) return text.textContent.trim();
  }
  if (found && found.input && found.input.getAttribute("aria-label")) return found.input.getAttribute("aria-label");
  return (messages.labels || {})[key] || key;
}

// "must be at most 65535" in the page's language, when the tables have the words.
function reasonText(reason, messages) {
  const rules = [
    [/^must be at least (-?[\d.]+)$/, (m) => fill(messages.at_least, { n: m[1] })],
    [/^must be at most (-?[\d.]+)$/, (m) => fill(messages.at_most, { n: m[1] })],
    [/^must be at most (\d+) characters$/, (m) => fill(messages.too_long, { n: m[1] })],
    [/^must be a whole number$/, () => messages.whole],
    [/^must not be empty$/, () => messages.not_empty],
    [/^must be one of (.*)$/, (m) => fill(messages.one_of, { values: m[1] })],
    [/^contains characters that are not allowed$/, () => messages.not_allowed],
    [/^Enter a number$/, () => messages.enter_number],
  ];
  for (const [pattern, words] of rules) {
    const match = pattern.exec(reason);
    if (match && words(match)) return words(match);
  }
  return reason;
}

// The key a page marks a problem with: rows are "table.2.name" in answers, "table[2].name"
// on the pages whose rows are lists.
function shownKey(key, root) {
  if (controlOf(key, root)) return key;
  const row = /^(.*)\.(\d+)(?:\.(\w+))?$/.exec(key);
  if (!row) return key;
  const listed = `${row[1]}[${row[2]}]`;
  if (row[3] && controlOf(`${listed}.${row[3]}`, root)) return `${listed}.${row[3]}`;
  return controlOf(listed, root) ? listed : key;
}

const PROBLEM = /^([A-Za-z_]\w*(?:\.\w+|\[\d+\])*)(?: = (.*?))?: (.+)$/;

// [{key, text, also}] from an API answer: the settings problems ("key = value: why"), or
// the request model's fields.
export function fieldProblems(result, root, changed) {
  const messages = messagesOf(root);
  const data = result.data || {};
  const out = [];
  if (data.problems && data.fields && data.fields.length) {
    // A refused settings change: the server names each field by its label, in the page's language.
    data.fields.forEach((item) => out.push({ key: item.field ? shownKey(item.field, root) : null, text: item.message }));
    return out;
  }
  (data.fields || []).forEach((item) => out.push({ key: item.field, text: fill(messages.problem, { label: labelOf(item.field, root, messages), reason: item.message }) }));
  (data.problems || []).forEach((line) => {
    const match = PROBLEM.exec(line);
    if (!match) { out.push({ key: null, text: line }); return; }
    let key = match[1];
    const reason = match[3];
    const clash = /^(tcp|udp) port (\d+) is already used by ([\w.]+)$/.exec(reason);
    const off = /^cannot be disabled while ([\w.]+) is disabled too/.exec(reason);
    if (clash) {
      // The field to correct is the one the person changed.
      let other = clash[3];
      if (!changed.includes(key) && changed.includes(other)) [key, other] = [other, key];
      out.push({ key, also: [], text: fill(messages.port_clash, { field: labelOf(key, root, messages), port: clash[2], other: labelOf(other, root, messages) }) });
    } else if (off) {
      out.push({ key, also: [off[1]], text: fill(messages.both_off, { field: labelOf(key, root, messages), other: labelOf(off[1], root, messages) }) });
    } else {
      out.push({ key, text: fill(messages.problem, { label: labelOf(key, root, messages), reason: reasonText(reason, messages) }) });
    }
  });
  return out;
}

export function clearProblems(root) {
  $$(".invalid", root).forEach((node) => node.classList.remove("invalid"));
  $$("[aria-invalid]", root).forEach((node) => node.removeAttribute("aria-invalid"));
  $$("p.field-error[data-error-for]", root).forEach((node) => { node.textContent = ""; node.hidden = true; });
}

// Show a refused save: the message box lists the problems, each field is marked and its
// own message is under it; the first is scrolled into view and focused.
export function showProblems(result, root, changed) {
  clearProblems(root);
  const messages = messagesOf(root);
  if (result.cancelled) { say(messages.cancelled); return; }
  const problems = fieldProblems(result, root, changed || []);
  let first = null;
  problems.forEach((problem) => {
    [problem.key, ...(problem.also || [])].forEach((key, index) => {
      const found = key && controlOf(key, root);
      if (!found) return;
      found.field.classList.add("invalid");
      if (found.input) found.input.setAttribute("aria-invalid", "true");
      if (found.error && index === 0) { found.error.textContent = problem.text; found.error.hidden = false; }
      if (!first) first = found;
    });
  });
  const texts = problems.map((problem) => problem.text);
  const listed = texts.join(" — ");
  say(texts.length ? (messages.not_saved ? fill(messages.not_saved, { problems: listed }) : listed) : problemText(result), true);
  if (first) {
    // A settings field is display: contents (no box of its own): scroll its control.
    (first.input || first.field).scrollIntoView({ block: "center" });
    if (first.input) first.input.focus({ preventScroll: true });
  }
}

// The words a control is named by in a message: its label, else its aria-label; a cell of a
// table of rows is "<row> <n>, <column>" (the row's header, the cell's column).
function nameOfControl(input, root) {
  const text = input.id && $(`label[for="${CSS.escape(input.id)}"]`, root);
  if (text) return text.textContent.trim();
  const cell = input.closest("td[data-label]");
  const row = input.closest("tr");
  const head = row && row.querySelector("th[scope=row], .row-index, .rule-index");
  const table = row && row.closest("table");
  const title = table && table.tHead && table.tHead.rows[0] && table.tHead.rows[0].cells[0];
  if (cell && head) {
    const shown = head.textContent.trim();
    const number = /^\d+$/.test(shown) && title ? `${title.textContent.trim()} ${shown}` : shown;
    return `${number}, ${cell.dataset.label}`;
  }
  return input.getAttribute("aria-label") || input.name || "";
}

// Marks controls as refused on the page, before anything is sent: [{input, reason}] each
// gets .invalid, aria-invalid and its message under it (the message box lists them all); the
// first is scrolled into view and focused. False when one was marked (do not send).
export function refuseControls(found, root) {
  if (!found.length) return true;
  clearProblems(root);
  const messages = messagesOf(root);
  const texts = found.map(({ input, reason }) => {
    const text = fill(messages.problem || "{label}: {reason}", { label: nameOfControl(input, root), reason });
    const field = input.closest(".field") || input.closest("td") || input;
    field.classList.add("invalid");
    input.setAttribute("aria-invalid", "true");
    const error = $("p.field-error", field);
    if (error) { error.textContent = text; error.hidden = false; }
    return text;
  });
  const listed = texts.join(" — ");
  say(messages.not_saved ? fill(messages.not_saved, { problems: listed }) : listed, true);
  found[0].input.scrollIntoView({ block: "center" });
  found[0].input.focus({ preventScroll: true });
  return false;
}

// A number field left empty (or holding what is not a number: the browser then reads "") is
// refused on the page with "Enter a number" rather than sent as 0 or "". True when none is.
export function refuseEmptyNumbers(root, inputs) {
  const reason = messagesOf(root).enter_number || "Enter a number";
  const numbers = inputs || $$('input[type="number"], input[data-type="int"]', root);
  return refuseControls(numbers.filter((input) => !input.disabled && input.value.trim() === "").map((input) => ({ input, reason })), root);
}

$$("form[data-settings-form]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const messages = messagesOf(form);
    if (!refuseEmptyNumbers(form)) return;
    const changes = collect(form);
    if (!Object.keys(changes).length) return;
    for (const check of beforeSave) {
      if (!(await check(changes, form))) return;
    }
    const changed = changedKeys(form);
    const before = initialValues(form);
    const result = await patchSettings(changes);
    if (!result.ok) { showProblems(result, form, changed); return; }
    clearProblems(form);
    keepAsInitial(form);
    $$("[data-secret]", form).forEach((input) => { input.value = ""; });
    say(messages.saved || "OK");
    afterSave.forEach((after) => after(changes, form, before));
  });
});
