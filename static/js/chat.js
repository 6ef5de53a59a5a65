// The chat UI of the lobby: open rooms side by side on one socket (/chat/stream/).
// Talks the protocol documented in the README; the socket itself (reconnects,
// queueing) is the core runtime's job (websocket.js).
import { open, send, showToast } from "./websocket.js";

const lobby = document.getElementById("lobby");
const socketUrl = lobby.dataset.chatSocket;
const me = lobby.dataset.username;
const roomsOpen = document.getElementById("rooms-open");
const roomTemplate = document.getElementById("room-template");
const NEAR_BOTTOM_PX = 80;

const ERROR_TEXT = {
  USER_HAS_TO_LOGIN: "Please log in again to chat.",
  ROOM_INVALID: "This room does not exist (any more).",
  ROOM_ACCESS_DENIED: "You do not have access to this room.",
  BAD_REQUEST: "The message could not be read by the server.",
  UNKNOWN_COMMAND: "The server did not understand that.",
  MESSAGE_EMPTY: "Write something first.",
  MESSAGE_TOO_LONG: "That message is too long.",
  RATE_LIMITED: "You are sending too fast. Wait a moment and try again.",
  SERVER_ERROR: "Something went wrong on the server. Try again.",
};

const panes = new Map(); // room id -> {el, list, lastSeq, oldestSeq}
const pending = new Map(); // client_id -> {room, text}
const wanted = new Set(); // rooms the user has open (re-joined after a reconnect)

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function command(data) {
  send(socketUrl, data);
}

// Opening and closing rooms ---------------------------------------------------------

function join(roomId) {
  wanted.add(roomId);
  const pane = panes.get(roomId);
  command({ command: "join", room: roomId, ...(pane ? { since: pane.lastSeq } : {}) });
}

function leave(roomId) {
  wanted.delete(roomId);
  command({ command: "leave", room: roomId });
  removePane(roomId);
}

function syncRoomButtons() {
  for (const button of document.querySelectorAll(".room-link")) {
    button.setAttribute("aria-pressed", String(wanted.has(Number(button.dataset.roomId))));
  }
  document.getElementById("no-room-open").hidden = panes.size > 0;
}

function createPane(roomId, title) {
  const el = roomTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.roomId = roomId;
  el.setAttribute("aria-label", title);
  el.querySelector(".room-title").textContent = title;
  el.querySelector(".room-close").addEventListener("click", () => leave(roomId));
  const pane = { el, list: el.querySelector(".messages"), lastSeq: 0, oldestSeq: null, unread: 0 };
  el.querySelector(".older").addEventListener("click", () => loadOlder(roomId));
  const form = el.querySelector(".composer");
  const textarea = form.querySelector("textarea");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit(roomId, textarea);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit(roomId, textarea);
    }
  });
  pane.list.addEventListener("scroll", () => {
    if (isNearBottom(pane.list)) setUnread(pane, 0);
  });
  panes.set(roomId, pane);
  roomsOpen.append(el);
  syncRoomButtons();
  return pane;
}

function removePane(roomId) {
  panes.get(roomId)?.el.remove();
  panes.delete(roomId);
  syncRoomButtons();
}

// Messages --------------------------------------------------------------------------

function isNearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
}

function setUnread(pane, count) {
  pane.unread = count;
  const badge = pane.el.querySelector(".unread");
  badge.textContent = count ? `${count} new` : "";
  badge.hidden = count === 0;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function decorate(nodes) {
  for (const node of nodes) {
    if (!(node instanceof Element)) continue;
    if (node.dataset.author === me) node.classList.add("msg-own");
    const time = node.querySelector("time[datetime]");
    if (time) time.textContent = timeFormat.format(new Date(time.getAttribute("datetime")));
  }
}

function htmlNodes(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // server-rendered and autoescaped
  return [...template.content.childNodes];
}

function showMessage(event) {
  const pane = panes.get(event.room);
  if (!pane) return;
  if (event.seq != null) {
    if (event.seq <= pane.lastSeq) return; // seen already (history and live overlap)
    pane.lastSeq = event.seq;
    if (pane.oldestSeq === null) {
      pane.oldestSeq = event.seq;
      pane.el.querySelector(".older").hidden = event.seq <= 1;
    }
  }
  const stick = isNearBottom(pane.list);
  const nodes = htmlNodes(event.html);
  decorate(nodes);
  pane.list.append(...nodes);
  // Follow new messages only if the reader is at the bottom; otherwise count them.
  if (stick || event.username === me) pane.list.scrollTop = pane.list.scrollHeight;
  else setUnread(pane, pane.unread + 1);
}

async function loadOlder(roomId) {
  const pane = panes.get(roomId);
  if (!pane || pane.oldestSeq === null) return;
  const url = lobby.dataset.olderUrl.replace("/0/", `/${roomId}/`);
  const response = await fetch(`${url}?before=${pane.oldestSeq}`, { credentials: "same-origin" });
  if (!response.ok) return;
  const { messages } = await response.json();
  const button = pane.el.querySelector(".older");
  const slot = pane.el.querySelector(".older-slot");
  const before = pane.list.scrollHeight;
  const nodes = messages.flatMap((m) => htmlNodes(m.html));
  decorate(nodes);
  slot.after(...nodes);
  if (messages.length) pane.oldestSeq = messages[0].seq;
  button.hidden = !messages.length || pane.oldestSeq <= 1;
  pane.list.scrollTop += pane.list.scrollHeight - before; // keep the reader's place
}

// Sending -----------------------------------------------------------------------------

function showComposerError(roomId, text) {
  const box = panes.get(roomId)?.el.querySelector(".composer-error");
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

function submit(roomId, textarea) {
  const text = textarea.value;
  if (!text.trim()) {
    showComposerError(roomId, ERROR_TEXT.MESSAGE_EMPTY);
    return;
  }
  const clientId = newClientId();
  pending.set(clientId, { room: roomId, text });
  showComposerError(roomId, "");
  command({ command: "send", room: roomId, message: text, client_id: clientId });
}

function onAck(ack) {
  const sent = pending.get(ack.ack);
  pending.delete(ack.ack);
  const textarea = panes.get(ack.room)?.el.querySelector("textarea");
  // Clear only if the user has not started typing something else meanwhile.
  if (sent && textarea && textarea.value === sent.text) textarea.value = "";
}

function onError(error) {
  const text = ERROR_TEXT[error.error] || error.error;
  const sent = error.client_id ? pending.get(error.client_id) : null;
  if (sent) {
    pending.delete(error.client_id);
    showComposerError(sent.room, text); // the text stays in the composer
    return;
  }
  if (error.room != null && !panes.has(error.room)) {
    wanted.delete(error.room);
    syncRoomButtons();
  }
  if (error.room != null && panes.has(error.room)) showComposerError(error.room, text);
  else showToast(text);
}

// Socket events -------------------------------------------------------------------------

document.addEventListener("ws:message", ({ detail }) => {
  if (detail.url !== socketUrl) return;
  const data = detail.data;
  if ("join" in data) {
    if (!panes.has(data.join)) createPane(data.join, data.title);
  } else if ("leave" in data) {
    removePane(data.leave);
  } else if ("ack" in data) {
    onAck(data);
  } else if ("error" in data) {
    onError(data);
  } else if ("html" in data) {
    showMessage(data);
  }
});

document.addEventListener("ws:open", ({ detail }) => {
  // After a reconnect the server has forgotten this socket's rooms: join them again.
  if (detail.url === socketUrl && detail.reconnected) wanted.forEach(join);
});

document.getElementById("room-list").addEventListener("click", (event) => {
  const button = event.target.closest(".room-link");
  if (!button) return;
  const roomId = Number(button.dataset.roomId);
  if (wanted.has(roomId)) leave(roomId);
  else join(roomId);
  syncRoomButtons();
});

// The room list is replaced live when rooms change; keep the pressed state right.
new MutationObserver(syncRoomButtons).observe(document.getElementById("room-list"), { childList: true, subtree: true });

open(socketUrl);
if (lobby.dataset.openRoom) join(Number(lobby.dataset.openRoom));
