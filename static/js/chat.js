// The chat UI of the lobby: the room in view, and others beside it on wide screens, on
// one socket (/chat/stream/). Which room is in view, and its address, is navigation.js's.
// Talks the protocol of docs/protocol.md; the socket itself (reconnects,
// queueing) is the core runtime's job (websocket.js). This module wires the socket's
// events and the room list to the rooms this tab has open: joining, leaving, and
// joining again after a refusal. The panes, the outbox and the shared state are
// modules of their own in chat/.
import { open, showToast } from "../websocket/websocket.js";
import { errorText, retriesLater } from "./chat/errors.js";
import {
  discardChange,
  dropSendsTo,
  onAck,
  onSendRefused,
  queueChange,
  resendPending,
  retryChange,
  submit,
} from "./chat/outbox.js";
import {
  clearMessages,
  createPane,
  removePane,
  showComposerError,
  showMessage,
  showPresence,
  showTyping,
  standAt,
  syncRoomButtons,
} from "./chat/panes.js";
import { openAt } from "./chat/jump.js";
import { closeRoom, openRoom, paneOpened, startNavigation } from "./chat/navigation.js";
import "./chat/shortcuts.js"; // Ctrl+K, Alt+Up/Down, ?; the room switcher with it
import "./chat/viewport.js";
import "./chat/connection.js"; // stale member lists while disconnected
import { command, lobby, panes, saveState, socketUrl, wanted } from "./chat/state.js";
import {
  onActivity,
  onJoin,
  onPaneMessage,
  onRead,
  onRooms,
  onRoomsChanged,
  showCounts,
  watch,
} from "./chat/unread.js";

// A join over CHAT_MAX_JOINS_PER_MINUTE (a fixed one-minute window on the server) is asked
// again after a quarter of that window: one retry at a time, so a refused retry just waits
// again, and the first one in the next minute gets in.
const JOIN_RETRY_MS = 15_000;
const JOIN_LIMITED_TEXT = `Too many rooms opened at once. Trying again in ${JOIN_RETRY_MS / 1000} s…`;

const WATCH_RETRY_MS = 30_000;

const joinRetries = new Map(); // room id -> timer of a rate-limited join's next try

// Opening and closing rooms ---------------------------------------------------------

function join(roomId) {
  wanted.add(roomId);
  saveState();
  const pane = panes.get(roomId);
  const since = pane && pane.lastSeq > 0 ? pane.lastSeq : null;
  command({ command: "join", room: roomId, ...(since !== null ? { since } : {}) });
}

function leave(roomId) {
  wanted.delete(roomId);
  dropSendsTo(roomId);
  saveState();
  // A room waiting out the join limit is not joined, and the server would refuse the leave.
  if (!panes.get(roomId)?.waiting) command({ command: "leave", room: roomId });
  closePane(roomId);
}

function openPane(roomId, title) {
  return createPane(roomId, title, {
    onClose: () => closeRoom(roomId), // the focus goes to the room's item (navigation.js)
    onSubmit: (textarea) => submit(roomId, textarea),
    onChange: (fields) => queueChange(roomId, fields), // an edit, deletion or reaction
    onRetry: retryChange,
    onDiscard: discardChange,
  });
}

function closePane(roomId) {
  cancelJoinRetry(roomId);
  removePane(roomId);
}

// The room stays wanted and gets a pane (before its first join, titled from the room list)
// that says why it is empty; the join is asked again once the timer runs out.
function retryJoinLater(roomId) {
  const title = document.querySelector(`.room-link[data-room-id="${roomId}"] span`)?.textContent;
  const pane = panes.get(roomId) || openPane(roomId, title || `Room ${roomId}`);
  // A refused catch-up join of a room this socket is in leaves it joined: its sends and
  // its leave go on as usual, only the catch-up is asked again later.
  pane.waiting = !pane.joined;
  showComposerError(roomId, JOIN_LIMITED_TEXT);
  if (joinRetries.has(roomId)) return; // already due: never more than one try at a time
  const timer = setTimeout(() => {
    joinRetries.delete(roomId);
    if (wanted.has(roomId)) join(roomId);
  }, JOIN_RETRY_MS);
  joinRetries.set(roomId, timer);
}

function cancelJoinRetry(roomId) {
  clearTimeout(joinRetries.get(roomId));
  joinRetries.delete(roomId);
}

// Refusals ------------------------------------------------------------------------------

function onError(error) {
  if (onSendRefused(error)) return; // one of this tab's sends or changes: the outbox's business
  if (error.error === "RATE_LIMITED" && error.room == null) {
    setTimeout(watch, WATCH_RETRY_MS); // a watch over the limit (e.g. many reconnects)
    return;
  }
  const text = errorText(error.error);
  if (error.error === "RATE_LIMITED" && !error.client_id && error.room != null && wanted.has(error.room)) {
    retryJoinLater(error.room); // a join (or a resume) over the join limit
    return;
  }
  if (retriesLater(error.error) && error.room != null && wanted.has(error.room)) {
    // A join (or a resume) that met an outage: ask again shortly.
    setTimeout(() => wanted.has(error.room) && join(error.room), 2000);
    if (panes.has(error.room)) showComposerError(error.room, text);
    return;
  }
  if (error.room != null && !panes.has(error.room)) {
    wanted.delete(error.room);
    saveState();
    syncRoomButtons();
  }
  if (error.room != null && panes.has(error.room)) {
    if (error.error === "ROOM_ACCESS_DENIED") {
      // Access was withdrawn while the room was open (e.g. staff flag removed).
      wanted.delete(error.room);
      saveState();
      closePane(error.room);
      showToast(text);
    } else {
      showComposerError(error.room, text);
    }
  } else {
    showToast(text);
  }
}

// Socket events -------------------------------------------------------------------------

document.addEventListener("ws:message", ({ detail }) => {
  if (detail.url !== socketUrl) return;
  const data = detail.data;
  if ("join" in data) {
    const fresh = !panes.has(data.join);
    if (fresh) openPane(data.join, data.title);
    if (fresh) paneOpened(data.join); // its composer takes the focus if the user opened it
    standAt(panes.get(data.join), data.seq); // where the history that follows leaves it
    cancelJoinRetry(data.join); // e.g. joined by the re-join after a reconnect
    panes.get(data.join).waiting = false;
    panes.get(data.join).joined = true; // on this socket, until it closes
    onJoin(data.join, data.seq);
    showComposerError(data.join, ""); // e.g. an outage or a join limit that has passed
    resendPending(data.join); // after a reconnect or a reload, unacked sends go again
  } else if ("resync" in data) {
    const pane = panes.get(data.resync);
    if (pane) clearMessages(pane); // too much was missed: the newest page follows
  } else if ("leave" in data) {
    closePane(data.leave);
  } else if ("ack" in data) {
    onAck(data);
  } else if ("error" in data) {
    onError(data);
  } else if ("presence" in data) {
    showPresence(data);
  } else if ("typing" in data) {
    showTyping(data);
  } else if ("html" in data || data.deleted) {
    showMessage(data);
    onPaneMessage(data);
  } else if ("rooms" in data) {
    onRooms(data.rooms);
  } else if ("activity" in data) {
    onActivity(data);
  } else if ("read" in data) {
    onRead(data);
  } else if ("rooms_changed" in data) {
    onRoomsChanged(data.rooms_changed);
  }
});

document.addEventListener("ws:close", ({ detail }) => {
  // A new socket has joined nothing yet.
  if (detail.url === socketUrl) panes.forEach((pane) => (pane.joined = false));
});

document.addEventListener("ws:open", ({ detail }) => {
  if (detail.url !== socketUrl) return;
  // After a reconnect the server has forgotten this socket's rooms: join them again,
  // from the last seq each pane has seen. Every socket watches the user's rooms.
  if (detail.reconnected) wanted.forEach(join);
  watch();
});

// A notification was clicked: its room opens in view (notify.js).
document.addEventListener("chat:open-room", ({ detail: roomId }) => openRoom(roomId));

// The room list is replaced live when rooms change; keep the open rooms marked and the
// counts right.
new MutationObserver(() => {
  syncRoomButtons();
  showCounts();
}).observe(document.querySelector(".room-lists"), { childList: true, subtree: true });

// chat.v2: the protocol's extensions (batch frames); without it the server speaks plain multichat.
open(socketUrl, { protocols: ["chat.v2"] });
const jumping = Boolean(lobby.dataset.openRoom && lobby.dataset.openMessage);
if (lobby.dataset.leftRoom) {
  // Just left on its settings page: not opened again from this tab's saved rooms (the
  // join would make the user a member again).
  wanted.delete(Number(lobby.dataset.leftRoom));
  saveState();
}
// Which rooms open: the address's, or those of this tab before a reload (navigation.js).
startNavigation({ join, leave, jumping });
if (jumping) openAt(Number(lobby.dataset.openRoom), Number(lobby.dataset.openMessage)); // a search result
wanted.forEach(join); // rooms open before a reload come back, with their outbox
