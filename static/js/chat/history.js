// Older messages, a page at a time (GET /rooms/<id>/older/?before=ID): loaded as the user
// scrolls up to the top of the conversation (an IntersectionObserver on the slot above
// the oldest message), or with the "Load older messages" button in that slot, which
// stays the keyboard's way. The reader's place is kept, and the page is not announced.
import { quietly } from "./announce.js";
import { decorate, htmlNodes } from "./messages.js";
import { keepPlace } from "./scrolling.js";
import { lobby, panes } from "./state.js";
import { regroup } from "./timeline.js";

// Starts loading a little before the top is reached.
const AHEAD = "300px 0px 0px 0px";

export function wireHistory(pane, roomId) {
  const slot = pane.el.querySelector(".older-slot");
  const button = slot.querySelector(".older");
  button.addEventListener("click", () => loadOlder(roomId));
  // Only a slot that comes into view loads: the empty list of a pane just opened shows
  // it too, before its history pushes it away.
  let shown = null;
  pane.olderObserver = new IntersectionObserver(
    (entries) => {
      const now = entries.at(-1).isIntersecting;
      const cameIntoView = now && shown === false;
      shown = now;
      if (cameIntoView && !button.hidden) loadWhileInView(pane, roomId);
    },
    { root: pane.list, rootMargin: AHEAD },
  );
  pane.olderObserver.observe(slot);
}

// A short page may leave the top in view: the next one follows.
async function loadWhileInView(pane, roomId) {
  const slot = pane.el.querySelector(".older-slot");
  const button = slot.querySelector(".older");
  while ((await loadOlder(roomId)) > 0 && !button.hidden && panes.get(roomId) === pane) {
    const top = pane.list.getBoundingClientRect().top;
    if (slot.getBoundingClientRect().bottom < top - 300) break;
  }
}

// One page of older messages; how many came (0: none left, or the request failed). One
// request at a time per pane: the button, the scroll and a jump to a search result
// (jump.js) share it.
export function loadOlder(roomId) {
  const pane = panes.get(roomId);
  if (!pane || pane.oldestId === null) return Promise.resolve(0);
  pane.loadingOlder ||= fetchOlder(pane, roomId).finally(() => (pane.loadingOlder = null));
  return pane.loadingOlder;
}

async function fetchOlder(pane, roomId) {
  const url = lobby.dataset.olderUrl.replace("/0/", `/${roomId}/`);
  const response = await fetch(`${url}?before=${pane.oldestId}`, { credentials: "same-origin" });
  if (!response.ok) return 0;
  const { messages } = await response.json();
  if (panes.get(roomId) !== pane) return 0; // closed meanwhile
  const button = pane.el.querySelector(".older");
  const slot = pane.el.querySelector(".older-slot");
  const nodes = messages.flatMap((m) => {
    if (m.deleted) return [];
    pane.events.set(m.id, m);
    const made = htmlNodes(m.html);
    decorate(pane, made, m.reactions);
    return made;
  });
  quietly(pane, () =>
    keepPlace(pane, () => {
      slot.after(...nodes);
      if (messages.length) pane.oldestId = messages[0].id;
      button.hidden = !messages.length || pane.oldestId <= 1;
      regroup(pane);
    }),
  );
  return messages.length;
}
