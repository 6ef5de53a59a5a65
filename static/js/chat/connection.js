// What the page shows of its connection besides the banner (websocket.js's #ws-status):
// while offline or between sockets, each open room's member list says it is not live
// (nobody's coming and going reaches the page meanwhile). The re-join after a reconnect
// sends the list again, which replaces this.
import { panes } from "./state.js";

const STALE = " · not updated while disconnected";

function markPresence(live) {
  for (const pane of panes.values()) {
    const count = pane.el.querySelector(".member-count");
    if (!count) continue;
    pane.el.classList.toggle("presence-stale", !live);
    if (!live && !count.textContent.endsWith(STALE) && count.textContent) {
      count.textContent += STALE;
    } else if (live) {
      count.textContent = count.textContent.replace(STALE, "");
    }
  }
}

document.addEventListener("ws:state", ({ detail }) => markPresence(detail.state === "open"));
