// netvision web UI, shared helpers: the REST API, messages, the confirmation box and
// the live stream every page listens to.
export const $ = (selector, root) => (root || document).querySelector(selector);
export const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
export const page = document.body.dataset.page;
const csrfMeta = $('meta[name="csrf-token"]');
export const csrf = () => (csrfMeta ? csrfMeta.content : ($("#csrf") || {}).value || "");

export async function api(method, path, body, raw) {
  const options = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
  if (raw !== undefined) { options.body = raw; options.headers["Content-Type"] = "application/octet-stream"; }
  else if (body !== undefined) { options.body = JSON.stringify(body); options.headers["Content-Type"] = "application/json"; }
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (response.status === 401 && page !== "login") { location.href = "/login" + (data.ended ? "?ended=" + data.ended : ""); }
  return { ok: response.ok, status: response.status, data };
}

// A message in the page's message box; an error is also scrolled into view.
export function say(text, isError) {
  const box = $("#message");
  if (!box) return;
  box.textContent = text;
  box.classList.toggle("error", !!isError);
  box.setAttribute("role", isError ? "alert" : "status");
  box.hidden = !text;
  if (text && isError) box.scrollIntoView({ block: "nearest" });
}
export function problemText(result) {
  const data = result.data || {};
  return [data.error || ("HTTP " + result.status)].concat(data.problems || []).join(" — ");
}
export function readJson(id) {
  const node = document.getElementById(id);
  try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
}
export function el(tag, attrs, text) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  if (text !== undefined) node.textContent = text;
  return node;
}
export const svgEl = (tag, attrs) => {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  return node;
};

// Ask before a change: resolves true when the person confirms. One box for every page
// (templates/partials/confirm.html).
export function confirmAction(text, okText) {
  const dialog = $("#confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(window.confirm(text));
  $("#confirm-text", dialog).textContent = text;
  const ok = $("#confirm-ok", dialog);
  if (!ok.dataset.label) ok.dataset.label = ok.textContent;
  ok.textContent = okText || ok.dataset.label;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

export const pageData = readJson("page-data");

// The live state: the last snapshot sent by the server, and who wants each new one.
const listeners = [];
export const live = { data: readJson("live-data") };
export function onLive(listener) {
  listeners.push(listener);
  if (live.data && live.data.views) listener(live.data);
}
export function publish(data) {
  live.data = data;
  listeners.forEach((listener) => listener(data));
}
const controlListeners = [];
export function onControl(listener) { controlListeners.push(listener); }
export function publishControl(result) { controlListeners.forEach((listener) => listener(result)); }
