// The room panes: one per open room, made from the lobby's room template and wired to
// the modules that fill it: its messages (messages.js, laid out by timeline.js, scrolled
// by scrolling.js, older pages from history.js, the "New messages" line readline.js's),
// members and typing (presence.js), and the composer (composer.js, attachments.js). What
// the panes' buttons and composer do beyond showing (leaving, sending, changing a
// message) is handed in by the caller. The controls each message gets (react, reply,
// edit, delete) are actions.js's.
import { wireActions } from "./actions.js";
import { quietly } from "./announce.js";
import { wireAttachments } from "./attachments.js";
import { countCharacters, refuseTooLong, wireComposer } from "./composer.js";
import { wireHistory } from "./history.js";
import { messageElement } from "./messages.js";
import { sendTyping } from "./presence.js";
import { dropReadLine, wireReadLine } from "./readline.js";
import { wireScrolling } from "./scrolling.js";
import { lobby, panes } from "./state.js";
import { atMidnight, relabelDays } from "./timeline.js";

// What other modules take from the panes, wherever it is made.
export { loadOlder } from "./history.js";
export { clearMessages, refreshMessage, showMessage } from "./messages.js";
export { showPresence, showTyping } from "./presence.js";

const roomsOpen = document.getElementById("rooms-open");
const roomTemplate = document.getElementById("room-template");

// Which rooms are open changed: the sidebar marks them (static/js/chat/navigation.js).
export function syncRoomButtons() {
  document.dispatchEvent(new CustomEvent("chat:rooms-open-changed"));
  document.getElementById("no-room-open").hidden = panes.size > 0;
}

// `onClose()` runs when the user closes the pane, `onSubmit(textarea)` when they send,
// `onChange({kind, id, …})` when they edit, delete or react to a message, `onRetry(clientId)`
// and `onDiscard(clientId)` when they answer a change that could not be made.
export function createPane(roomId, title, { onClose, onSubmit, onChange, onRetry, onDiscard }) {
  const el = roomTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.roomId = roomId;
  el.setAttribute("aria-label", title);
  el.querySelector(".room-title").textContent = title;
  el.querySelector(".room-settings").href = lobby.dataset.settingsUrl.replace("/0/", `/${roomId}/`);
  el.querySelector(".room-close").addEventListener("click", onClose);
  const pane = {
    el,
    log: el.querySelector(".messages-log"), // the live region around the list (announce.js)
    list: el.querySelector(".messages"),
    lastSeq: 0, // the room's seq this pane has every change up to
    oldestId: null, // the oldest message shown ("load older" asks for those before it)
    historySeq: 0, // the seq the last join's history stands at: what is up to it is no news
    unread: 0,
    waiting: false, // a join was refused for the rate limit and is asked again later
    joined: false, // the server has this room joined on the current socket
    typing: new Map(), // username -> timer
    typingSentAt: 0,
    events: new Map(), // message id -> its latest event (its raw text, reactions, HTML)
  };
  // Each pane's reply bar labels the composer while a reply is being written.
  el.querySelector(".reply-bar-text").id = `reply-to-${roomId}`;
  pane.list.addEventListener("click", (event) => {
    const chip = event.target.closest(".reaction");
    if (chip) {
      // Toggle the user's own reaction; the message comes back with its new state.
      const id = Number(chip.closest(".msg").dataset.id);
      const on = chip.getAttribute("aria-pressed") !== "true";
      onChange({ kind: "react", id, emoji: chip.dataset.emoji, on });
      return;
    }
    const quote = event.target.closest(".reply-quote");
    if (quote) messageElement(pane, quote.dataset.parent)?.scrollIntoView({ block: "center" });
  });
  const form = el.querySelector(".composer");
  const textarea = form.querySelector("textarea");
  const send = () => {
    if (refuseTooLong(pane)) return; // saying the limit
    onSubmit(textarea);
    if (textarea.value === "") dropReadLine(pane); // sent: the user is past what was new
    countCharacters(pane);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  textarea.addEventListener("input", () => sendTyping(pane, roomId));
  wireComposer(pane); // the counter, and the error line tied to the textarea
  wireAttachments(pane, roomId); // the attach button, drops on the pane, pasted images
  wireActions(pane, { change: onChange, retry: onRetry, discard: onDiscard });
  wireScrolling(pane); // following the newest message, "Jump to latest"
  wireHistory(pane, roomId); // older pages as the user scrolls up
  wireReadLine(pane);
  panes.set(roomId, pane);
  roomsOpen.append(el);
  syncRoomButtons();
  return pane;
}

export function removePane(roomId) {
  panes.get(roomId)?.olderObserver.disconnect();
  panes.get(roomId)?.el.remove();
  panes.delete(roomId);
  syncRoomButtons();
}

export function showComposerError(roomId, text) {
  const box = panes.get(roomId)?.el.querySelector(".composer-error");
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

// The join reply says which seq of the room its history shows: the pane stands there
// once the history is in (a history skips the seqs of superseded states), and what comes
// up to it is history, shown without being announced.
export function standAt(pane, seq) {
  pane.catchingUp = false;
  if (typeof seq === "number") {
    pane.lastSeq = Math.max(pane.lastSeq, seq);
    pane.historySeq = Math.max(pane.historySeq, seq);
  }
}

// "Today" turns into "Yesterday" at midnight, quietly.
atMidnight(() => {
  for (const pane of panes.values()) quietly(pane, () => relabelDays(pane.list));
});
