// Where the reader is in a room's conversation, kept so that a reload or going back to
// the room finds them at the same place: the first message in view and how far its top
// is from the top of the list; none while they are at the newest messages (a room opens
// there anyway). navigation.js keeps the anchors in history.state and sessionStorage.
import { loadOlder } from "./panes.js";
import { isNearBottom, panes } from "./state.js";

const KEY = "chat.anchors";
const HISTORY_WAIT_MS = 5000;
const QUIET_MS = 200; // no message came for this long: the join's history is in
const MAX_PAGES = 10; // 500 messages back at most

const saved = new Map(
  Object.entries(JSON.parse(sessionStorage.getItem(KEY) || "{}")).map(([id, anchor]) => [Number(id), anchor]),
);

export function anchorOf(pane) {
  if (pane.list.clientHeight === 0 || isNearBottom(pane.list)) return null;
  const top = pane.list.getBoundingClientRect().top;
  for (const msg of pane.list.querySelectorAll(".msg[data-id]")) {
    const rect = msg.getBoundingClientRect();
    if (rect.bottom > top) return { id: Number(msg.dataset.id), offset: Math.round(rect.top - top) };
  }
  return null;
}

// The anchor kept in this tab for a room (across reloads), or null.
export function savedAnchor(roomId) {
  return saved.get(roomId) ?? null;
}

export function keepAnchor(roomId, anchor) {
  if (anchor) saved.set(roomId, anchor);
  else saved.delete(roomId);
  sessionStorage.setItem(KEY, JSON.stringify(Object.fromEntries(saved)));
}

// Once the room's history is in its pane, scroll back to the anchor (loading older pages
// if it is further back than the join brought).
export async function restoreAnchor(roomId, anchor) {
  const pane = await settled(roomId);
  if (!pane || !anchor) return;
  for (let page = 0; page < MAX_PAGES && pane.oldestId > anchor.id; page++) {
    if (!(await loadOlder(roomId))) break;
  }
  const msg = pane.list.querySelector(`.msg[data-id="${Number(anchor.id)}"]`);
  if (!msg) return;
  pane.list.scrollTop += msg.getBoundingClientRect().top - pane.list.getBoundingClientRect().top - anchor.offset;
}

async function settled(roomId) {
  const started = Date.now();
  let count = -1;
  let since = started;
  while (Date.now() - started < HISTORY_WAIT_MS) {
    const pane = panes.get(roomId);
    if (!pane) return null;
    const now = Date.now();
    if (pane.list.childElementCount !== count) {
      count = pane.list.childElementCount;
      since = now;
    } else if (pane.oldestId !== null && now - since >= QUIET_MS) {
      return pane;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return null;
}
