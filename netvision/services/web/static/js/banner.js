// The status banner on every page (templates/partials/banner.html): the server sends the
// state in words with every snapshot; this only puts them in place.
import { $, onLive } from "./core.js";

const TONES = ["ok", "info", "warning", "critical"];

function renderBanner(data) {
  const banner = $("#status-banner");
  const state = data && data.banner;
  if (!banner || !state) return;
  banner.classList.remove(...TONES.map((tone) => "tone-" + tone), ...Array.from(banner.classList).filter((c) => c.startsWith("kind-")));
  banner.classList.add("tone-" + state.tone, "kind-" + state.kind);
  banner.dataset.kind = state.kind;
  $("#banner-title", banner).textContent = state.title;
  $("#banner-detail", banner).textContent = state.detail;
  const alarms = $("#banner-alarms", banner);
  alarms.textContent = state.alarms || "";
  alarms.hidden = !state.alarms;
  const since = $("#banner-since", banner);
  since.textContent = state.since || "";
  since.hidden = !state.since;
}
onLive(renderBanner);
