// Configuration: restore with a preview, encrypted backup, certificate (§18.2). Each
// change asks first and reports its outcome in words.
import { $, api, confirmAction, csrf, el, pageData, problemText, say } from "../core.js";
import { fill, onAfterSave } from "../forms.js";

const words = pageData.words || {};

function certificateInfo(info) {
  const box = $("#certificate-info");
  if (!box || !info || !info.subject) return;
  box.textContent = fill(info.uploaded ? words.cert_uploaded_info : words.cert_info, {
    subject: info.subject, issuer: info.issuer, until: String(info.not_after || "").slice(0, 10).split("-").reverse().join("/"),
  });
}

// Configuration restore: the file is checked and what it would change is shown first;
// nothing is applied before the confirmation.
const configUpload = $("#config-upload");
if (configUpload) {
  let pending = null;
  const preview = $("#config-preview");
  const close = () => { pending = null; preview.hidden = true; };
  configUpload.addEventListener("change", async () => {
    const file = configUpload.files[0];
    if (!file) return;
    const body = { file: await file.text() };
    const password = $("#config-upload-password").value;
    if (password) body.password = password;
    configUpload.value = "";
    const result = await api("POST", "/api/v1/configuration/preview", body);
    if (!result.ok) { close(); say(problemText(result), true); return; }
    pending = body;
    const list = $("#config-preview-changes");
    list.textContent = "";
    $("#config-preview-note").textContent = result.data.note;
    result.data.changes.forEach((change) => list.appendChild(el("li", {},
      change.secret ? change.key + " (" + words.secret + ")" : change.key + ": " + JSON.stringify(change.old) + " → " + JSON.stringify(change.new))));
    if (!result.data.changes.length) list.appendChild(el("li", {}, words.nothing));
    preview.hidden = false;
    preview.scrollIntoView({ block: "nearest" });
  });
  $("#config-apply").addEventListener("click", async () => {
    if (!pending) return;
    let result = await api("POST", "/api/v1/configuration", pending);
    if (result.status === 409 && result.data.lockout && await confirmAction(words.lockout || result.data.error)) {
      result = await api("POST", "/api/v1/configuration?confirm_lockout=true", pending);
    }
    close();
    $("#config-upload-password").value = "";
    say(result.ok ? words.restored : problemText(result), !result.ok);
    if (result.ok) setTimeout(() => location.reload(), 2000);
  });
  $("#config-cancel").addEventListener("click", () => { close(); say(words.restore_cancelled); });
}

const backupForm = $("#backup-form");
if (backupForm) backupForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/api/v1/configuration/backup", {
    method: "POST", credentials: "same-origin",
    headers: { "X-CSRF-Token": csrf(), "Content-Type": "application/json" },
    body: JSON.stringify({ password: backupForm.elements.password.value }),
  });
  if (!response.ok) {
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    say(problemText({ status: response.status, data }), true);
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = el("a", { href: url, download: "netvision-backup.json" });
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  backupForm.reset();
  say(words.backup_done);
});

const certUpload = $("#cert-upload");
if (certUpload) certUpload.addEventListener("change", async () => {
  const file = certUpload.files[0];
  if (!file) return;
  const result = await api("POST", "/api/v1/certificate", undefined, await file.arrayBuffer());
  certUpload.value = "";
  say(result.ok ? fill(words.cert_installed, { file: file.name }) : problemText(result), !result.ok);
  if (result.ok) certificateInfo(result.data);
});
if ($("#certificate-info")) api("GET", "/api/v1/certificate").then((r) => { if (r.ok) certificateInfo(r.data); });
const certRemove = $("#cert-remove");
if (certRemove) certRemove.addEventListener("click", async () => {
  if (!(await confirmAction(words.cert_confirm, words.cert_ok))) return;
  const result = await api("DELETE", "/api/v1/certificate");
  say(result.ok ? words.cert_removed : problemText(result), !result.ok);
  if (result.ok) certificateInfo(result.data);
});
// A new language or temperature unit: the pages are drawn again with it.
onAfterSave((changes, form, before) => {
  if (["system.language", "system.temperature_unit"].some((key) => key in changes && String(changes[key]) !== before[key])) {
    setTimeout(() => location.reload(), 800);
  }
});
