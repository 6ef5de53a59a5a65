// The "New messages" line: where the user stopped reading when they opened the room. The
// read position is the server's (unread.js has it per room from the `rooms` frame, which
// may come before or after the room's history); the pane takes the first one it is
// handed after it opened, and timeline.js draws the line before the first message of
// someone else after it. The line goes once the user has read on: they scrolled it into
// view, and it has since gone above while they are at the newest message; or they sent.
import { quietly } from "./announce.js";
import { keepPlace } from "./scrolling.js";
import { isNearBottom, panes } from "./state.js";
import { regroup } from "./timeline.js";

// From unread.js: the room's read position as the server has it (a number), or that the
// room has none to show (null).
export function handReadPosition(roomId, seq) {
  const pane = panes.get(roomId);
  if (!pane || pane.readLine !== undefined) return; // decided once per opening
  // Not joined yet (e.g. waiting out the join limit): what the room had is not known yet.
  // The join hands the position again (unread.js onJoin).
  if (!pane.joined) return;
  // Only what was there when the room opened is new to the user; what comes while the
  // pane is open is live, and needs no line.
  const unread = typeof seq === "number" && seq < pane.historySeq;
  pane.readLine = unread ? { seq, until: pane.historySeq, seen: false } : null;
  if (pane.readLine) quietly(pane, () => keepPlace(pane, () => regroup(pane)));
}

export function dropReadLine(pane) {
  if (!pane.readLine) return;
  pane.readLine = null;
  quietly(pane, () => keepPlace(pane, () => regroup(pane)));
}

export function wireReadLine(pane) {
  pane.readLine = undefined; // not known yet
  pane.userScrollAt = -Infinity;
  // What the user scrolls themselves: the page's own scrolling (to the newest message
  // while the history comes in, say) shows the line without anyone reading it.
  const byUser = () => (pane.userScrollAt = performance.now());
  for (const type of ["wheel", "touchmove", "keydown", "pointerdown"]) {
    pane.list.addEventListener(type, byUser, { passive: true });
  }
  pane.list.addEventListener("scroll", () => checkReadLine(pane));
}

const USER_SCROLL_MS = 1000;

function checkReadLine(pane) {
  const line = pane.readLine && pane.list.querySelector(":scope > .unread-line");
  if (!line) return;
  const view = pane.list.getBoundingClientRect();
  const box = line.getBoundingClientRect();
  const inView = box.bottom > view.top && box.top < view.bottom;
  if (inView && performance.now() - pane.userScrollAt < USER_SCROLL_MS) pane.readLine.seen = true;
  else if (pane.readLine.seen && box.bottom <= view.top && isNearBottom(pane.list)) dropReadLine(pane);
}
