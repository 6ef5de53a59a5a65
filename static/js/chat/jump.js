// Opening a room at one message (a search result, /rooms/<id>/?message=N): once the
// room's history is in its pane, older pages are loaded until the message is there too,
// then it is scrolled to the middle, highlighted and focused.
import { showToast } from "../../websocket/websocket.js";
import { loadOlder } from "./panes.js";
import { panes } from "./state.js";

const MAX_PAGES = 40; // 2,000 messages back at most
const HISTORY_WAIT_MS = 5000;

export async function openAt(roomId, id) {
  const pane = await historyOf(roomId);
  if (!pane) {
    showToast("The room did not open in time to show that message.");
    return;
  }
  for (let page = 0; page < MAX_PAGES && pane.oldestId > id; page++) {
    if (!(await loadOlder(roomId))) break;
  }
  const found = pane.list.querySelector(`.msg[data-id="${Number(id)}"]`);
  if (!found) {
    showToast("That message cannot be shown here: it may have been deleted.");
    return;
  }
  found.classList.add("msg-found");
  found.scrollIntoView({ block: "center" });
  found.focus({ preventScroll: true });
}

// The pane once its history has come (its oldest message is known), or null.
async function historyOf(roomId) {
  const started = Date.now();
  while (Date.now() - started < HISTORY_WAIT_MS) {
    const pane = panes.get(roomId);
    if (pane && pane.oldestId !== null) return pane;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}
