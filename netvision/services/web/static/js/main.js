// netvision web UI, every page: the header, the menu, the live stream.
import { $, api, onLive, page, publish, publishControl } from "./core.js";
import "./forms.js";
import "./rows.js";
import "./banner.js";

const logout = $("#logout");
if (logout) logout.addEventListener("click", async () => { await api("POST", "/api/v1/logout"); location.href = "/login"; });

// The menu folds away on a phone; the button opens it, the button or Escape closes it.
const toggle = $("#menu-toggle");
function showMenu(open) {
  toggle.setAttribute("aria-expanded", String(open));
  document.body.classList.toggle("menu-open", open);
}
if (toggle) {
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    showMenu(open);
    if (open) { const first = $("#menu a"); if (first) first.focus(); }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && document.body.classList.contains("menu-open")) { showMenu(false); toggle.focus(); }
  });
}

const passwordNotice = $("#password-notice-ok");
if (passwordNotice) passwordNotice.addEventListener("click", () => { $("#password-notice").hidden = true; });

let seenNewest = sessionStorage.getItem("nv-newest-alarm") || "";
function topBar(data) {
  const icon = $("#alarm-icon");
  icon.hidden = !data.alarm_count;
  $("#alarm-count").textContent = data.alarm_count;
  // §12.1.4: the icon flashes when a new alarm comes in, until the alarm table is opened.
  if (page === "alarms") { seenNewest = data.newest_alarm; sessionStorage.setItem("nv-newest-alarm", seenNewest); }
  icon.classList.toggle("flash", !!data.newest_alarm && data.newest_alarm > seenNewest);
  const com = $("#communication");
  com.textContent = data.communication;
  com.classList.toggle("lost", !data.communicating);
  // Communication lost: the values stay, marked as the last read, with their time.
  const stale = $("#stale-notice");
  if (stale) { stale.hidden = !data.stale; stale.textContent = data.last_read_text || ""; }
  document.body.classList.toggle("stale", !!data.stale);
}
onLive(topBar);

// Restart and reset (nv-control) set this, so that the page reloads once NET VISION is back.
export const restart = { pending: false };
window.addEventListener("nv-restarting", () => { restart.pending = true; });

const stream = new EventSource("/api/v1/live");
stream.addEventListener("snapshot", (event) => publish(JSON.parse(event.data)));
stream.addEventListener("control", (event) => publishControl(JSON.parse(event.data)));
stream.addEventListener("ended", (event) => {
  stream.close();
  const reason = JSON.parse(event.data).reason;
  location.href = "/login?ended=" + encodeURIComponent(reason);
});
let streamLost = false;
stream.addEventListener("open", () => {
  // Back after a restart of NET VISION: the page that asked for it shows the settings now in force.
  if (streamLost && restart.pending) location.reload();
  streamLost = false;
});
stream.onerror = () => {
  streamLost = true; // the browser reconnects by itself (NET VISION restarting, network)
  // A stream refused with 401 (session gone) does not reconnect by itself: check the session.
  if (stream.readyState === EventSource.CLOSED) api("GET", "/api/v1/session");
};
