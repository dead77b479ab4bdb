// Date and time (§18.1).
import { $, api, onLive, problemText } from "../core.js";

$("#browser-time").textContent = new Date().toLocaleString();
setInterval(() => { $("#browser-time").textContent = new Date().toLocaleString(); }, 1000);
const clockResult = $("#clock-result");
async function setClock(time, source) {
  const result = await api("POST", "/api/v1/clock", { time, source });
  clockResult.textContent = result.ok ? clockResult.dataset.done + " — " + result.data.time : problemText(result);
  clockResult.classList.toggle("error", !result.ok);
}
const browserButton = $("#clock-browser");
if (browserButton) browserButton.addEventListener("click", () => setClock(new Date().toISOString(), "browser"));
const clockForm = $("#clock-form");
if (clockForm) clockForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(clockForm);
  const date = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(String(form.get("date")).trim());
  const time = /^(\d{2}):(\d{2}):(\d{2})$/.exec(String(form.get("time")).trim());
  if (!date || !time) { clockResult.textContent = "dd/mm/yyyy hh:mm:ss"; clockResult.classList.add("error"); return; }
  // Local time of NET VISION's time zone: the server applies it (no offset sent).
  setClock(`${date[3]}-${date[2]}-${date[1]}T${time[1]}:${time[2]}:${time[3]}`, "manual");
});
onLive((data) => { if (data.time) $("#nv-time").textContent = new Date(data.time).toLocaleString(); });
