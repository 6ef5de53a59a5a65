// The chat UI of the lobby: open rooms side by side on one socket (/chat/stream/).
// Talks the protocol documented in the README; the socket itself (reconnects,
// queueing) is the core runtime's job (websocket.js). Nothing typed is lost:
// sends wait in an outbox (kept in sessionStorage) until the server acks them.
import { open, send, showToast, socketState } from "../websocket/websocket.js";

const lobby = document.getElementById("lobby");
const socketUrl = lobby.dataset.chatSocket;
const me = lobby.dataset.username;
const maxLength = Number(lobby.dataset.maxLength);
// {"message": 0, "warning": 1, …}: rooms.models.MessageType, rendered into the page.
const MESSAGE_TYPE = JSON.parse(document.getElementById("message-types").textContent);
const roomsOpen = document.getElementById("rooms-open");
const roomTemplate = document.getElementById("room-template");
const baseTitle = document.title;
const NEAR_BOTTOM_PX = 80;
const TYPING_SEND_MS = 2000;
const TYPING_SHOW_MS = 4000;
const OUTBOX_KEY = "chat.outbox";
const ROOMS_KEY = "chat.rooms";

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
  SERVICE_UNAVAILABLE: "The server is briefly unavailable. Retrying…",
};
// Refusals that pass by themselves (the database or Redis is down for a moment):
// the message stays pending and goes again after a growing delay.
const RETRY_LATER = new Set(["SERVICE_UNAVAILABLE"]);
// Refusals that a retry cannot fix: the text goes back into the composer.
const FINAL_REFUSALS = new Set(["MESSAGE_TOO_LONG", "MESSAGE_EMPTY", "BAD_REQUEST", "ROOM_INVALID", "ROOM_ACCESS_DENIED"]);
// A join over CHAT_MAX_JOINS_PER_MINUTE (a fixed one-minute window on the server) is asked
// again after a quarter of that window: one retry at a time, so a refused retry just waits
// again, and the first one in the next minute gets in.
const JOIN_RETRY_MS = 15_000;
const JOIN_LIMITED_TEXT = `Too many rooms opened at once. Trying again in ${JOIN_RETRY_MS / 1000} s…`;

const panes = new Map(); // room id -> pane state
const joinRetries = new Map(); // room id -> timer of a rate-limited join's next try
const wanted = new Set(JSON.parse(sessionStorage.getItem(ROOMS_KEY) || "[]")); // rooms open in this tab
// client_id -> {room, text, state: "pending" | "failed", error}
const outbox = new Map(Object.entries(JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "{}")));

function saveState() {
  sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(Object.fromEntries(outbox)));
  sessionStorage.setItem(ROOMS_KEY, JSON.stringify([...wanted]));
}

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
  saveState();
  const pane = panes.get(roomId);
  const since = pane && pane.lastSeq > 0 ? pane.lastSeq : null;
  if (pane) pane.expectBaseline = since === null;
  command({ command: "join", room: roomId, ...(since !== null ? { since } : {}) });
}

function leave(roomId) {
  wanted.delete(roomId);
  for (const [id, item] of outbox) if (item.room === roomId) outbox.delete(id);
  saveState();
  // A room waiting out the join limit is not joined, and the server would refuse the leave.
  if (!panes.get(roomId)?.waiting) command({ command: "leave", room: roomId });
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
  const pane = {
    el,
    list: el.querySelector(".messages"),
    lastSeq: 0,
    oldestSeq: null,
    unread: 0,
    expectBaseline: true,
    waiting: false, // a join was refused for the rate limit and is asked again later
    joined: false, // the server has this room joined on the current socket
    typing: new Map(), // username -> timer
    typingSentAt: 0,
  };
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
  textarea.addEventListener("input", () => sendTyping(pane, roomId));
  pane.list.addEventListener("scroll", () => {
    if (isNearBottom(pane.list)) setUnread(pane, 0);
  });
  panes.set(roomId, pane);
  roomsOpen.append(el);
  syncRoomButtons();
  return pane;
}

function removePane(roomId) {
  cancelJoinRetry(roomId);
  panes.get(roomId)?.el.remove();
  panes.delete(roomId);
  syncRoomButtons();
  updateTitle();
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
  updateTitle();
}

function updateTitle() {
  const total = [...panes.values()].reduce((sum, pane) => sum + pane.unread, 0);
  document.title = total ? `(${total}) ${baseTitle}` : baseTitle;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") return;
  for (const pane of panes.values()) if (isNearBottom(pane.list)) setUnread(pane, 0);
});

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

function clearMessages(pane) {
  pane.list.querySelectorAll(".msg:not(.msg-pending)").forEach((el) => el.remove());
  pane.lastSeq = 0;
  pane.oldestSeq = null;
  pane.expectBaseline = true;
}

function showMessage(event) {
  const pane = panes.get(event.room);
  if (!pane) return;
  if (event.seq != null) {
    if (event.seq <= pane.lastSeq) return; // seen already
    if (!pane.expectBaseline && event.seq > pane.lastSeq + 1) {
      // A gap: ask for what is missing; the replay includes this message too.
      // (Unless a join is already due: asking now would only count against the limit.)
      if (!pane.waiting) command({ command: "join", room: event.room, since: pane.lastSeq });
      return;
    }
    pane.expectBaseline = false;
    pane.lastSeq = event.seq;
    if (pane.oldestSeq === null) {
      pane.oldestSeq = event.seq;
      pane.el.querySelector(".older").hidden = event.seq <= 1;
    }
  }
  const stick = isNearBottom(pane.list);
  const nodes = htmlNodes(event.html);
  decorate(nodes);
  // Stored messages go before the pending ones, which stay at the bottom.
  const firstPending = pane.list.querySelector(".msg-pending");
  if (firstPending) firstPending.before(...nodes);
  else pane.list.append(...nodes);
  const mine = event.username === me && event.msg_type === MESSAGE_TYPE.message;
  if (stick || mine) pane.list.scrollTop = pane.list.scrollHeight;
  const noteworthy = event.seq != null && !mine;
  if (noteworthy && (!stick || document.visibilityState === "hidden")) setUnread(pane, pane.unread + 1);
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

// Presence and typing -------------------------------------------------------------------

function showPresence(data) {
  const pane = panes.get(data.presence);
  if (!pane) return;
  pane.el.querySelector(".member-count").textContent = `${data.count} online`;
  pane.el.querySelector(".members").textContent = data.members.join(", ");
}

function sendTyping(pane, roomId) {
  const now = Date.now();
  if (pane.waiting) return; // not joined: the server would refuse it
  if (now - pane.typingSentAt < TYPING_SEND_MS) return;
  pane.typingSentAt = now;
  command({ command: "typing", room: roomId });
}

function showTyping(data) {
  const pane = panes.get(data.typing);
  if (!pane || data.username === me) return;
  clearTimeout(pane.typing.get(data.username));
  pane.typing.set(
    data.username,
    setTimeout(() => {
      pane.typing.delete(data.username);
      renderTyping(pane);
    }, TYPING_SHOW_MS),
  );
  renderTyping(pane);
}

function renderTyping(pane) {
  const names = [...pane.typing.keys()];
  const line = pane.el.querySelector(".typing");
  line.textContent = names.length === 0 ? "" : `${names.join(", ")} ${names.length === 1 ? "is" : "are"} typing…`;
}

// Sending: the outbox ---------------------------------------------------------------------

function showComposerError(roomId, text) {
  const box = panes.get(roomId)?.el.querySelector(".composer-error");
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
}

function pendingElement(clientId) {
  return document.querySelector(`.msg-pending[data-client-id="${CSS.escape(clientId)}"]`);
}

function renderPending(clientId) {
  const item = outbox.get(clientId);
  const pane = item && panes.get(item.room);
  if (!pane) return;
  let el = pendingElement(clientId);
  if (!el) {
    el = document.createElement("li");
    el.className = "msg msg-own msg-pending";
    el.dataset.clientId = clientId;
    const text = document.createElement("p");
    text.className = "msg-text";
    text.textContent = item.text;
    const status = document.createElement("div");
    status.className = "msg-status";
    el.append(text, status);
    pane.list.append(el);
    pane.list.scrollTop = pane.list.scrollHeight;
  }
  const status = el.querySelector(".msg-status");
  status.replaceChildren();
  el.classList.toggle("msg-failed", item.state === "failed");
  if (item.state === "failed") {
    status.append(`Not sent: ${ERROR_TEXT[item.error] || item.error}`);
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "btn-quiet retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => {
      item.state = "pending";
      saveState();
      renderPending(clientId);
      transmit(clientId);
    });
    status.append(" ", retry);
  } else if (RETRY_LATER.has(item.error)) {
    status.textContent = ERROR_TEXT[item.error];
  } else {
    status.textContent = "Sending…";
  }
}

function transmit(clientId) {
  const item = outbox.get(clientId);
  // Offline sends wait in the outbox, not in the socket's queue: they must follow the
  // re-join after a reconnect, and resendPending() sends them when the join is answered.
  // A room waiting out the join limit is not joined: its sends wait for the join too.
  if (item && socketState(socketUrl) === "open" && !panes.get(item.room)?.waiting) {
    command({ command: "send", room: item.room, message: item.text, client_id: clientId });
  }
}

function submit(roomId, textarea) {
  const text = textarea.value;
  if (!text.trim()) return showComposerError(roomId, ERROR_TEXT.MESSAGE_EMPTY);
  if (text.length > maxLength) return showComposerError(roomId, ERROR_TEXT.MESSAGE_TOO_LONG);
  const clientId = newClientId();
  outbox.set(clientId, { room: roomId, text, state: "pending" });
  saveState();
  textarea.value = "";
  showComposerError(roomId, "");
  renderPending(clientId);
  transmit(clientId);
}

function onAck(ack) {
  if (!outbox.has(ack.ack)) return;
  outbox.delete(ack.ack);
  saveState();
  pendingElement(ack.ack)?.remove(); // the stored message arrives (or arrived) by seq
}

function onError(error) {
  const text = ERROR_TEXT[error.error] || error.error;
  const item = error.client_id ? outbox.get(error.client_id) : null;
  if (item) {
    if (FINAL_REFUSALS.has(error.error)) {
      // Retrying cannot help: give the text back to the composer to edit.
      outbox.delete(error.client_id);
      saveState();
      pendingElement(error.client_id)?.remove();
      const textarea = panes.get(item.room)?.el.querySelector("textarea");
      if (textarea && !textarea.value) textarea.value = item.text;
      showComposerError(item.room, text);
    } else if (RETRY_LATER.has(error.error)) {
      item.tries = (item.tries || 0) + 1;
      item.error = error.error;
      saveState();
      renderPending(error.client_id);
      const delay = Math.min(30_000, 500 * 2 ** item.tries);
      setTimeout(() => transmit(error.client_id), delay);
    } else {
      item.state = "failed";
      item.error = error.error;
      saveState();
      renderPending(error.client_id);
    }
    return;
  }
  if (error.error === "RATE_LIMITED" && !error.client_id && error.room != null && wanted.has(error.room)) {
    retryJoinLater(error.room); // a join (or a resume) over the join limit
    return;
  }
  if (RETRY_LATER.has(error.error) && error.room != null && wanted.has(error.room)) {
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
      removePane(error.room);
      showToast(text);
    } else {
      showComposerError(error.room, text);
    }
  } else {
    showToast(text);
  }
}

// The room stays wanted and gets a pane (before its first join, titled from the room list)
// that says why it is empty; the join is asked again once the timer runs out.
function retryJoinLater(roomId) {
  const title = document.querySelector(`.room-link[data-room-id="${roomId}"] span`)?.textContent;
  const pane = panes.get(roomId) || createPane(roomId, title || `Room ${roomId}`);
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

function resendPending(roomId) {
  for (const [clientId, item] of outbox) {
    if (item.room !== roomId) continue;
    renderPending(clientId);
    if (item.state === "pending") transmit(clientId);
  }
}

// Socket events -------------------------------------------------------------------------

document.addEventListener("ws:message", ({ detail }) => {
  if (detail.url !== socketUrl) return;
  const data = detail.data;
  if ("join" in data) {
    const fresh = !panes.has(data.join);
    if (fresh) createPane(data.join, data.title);
    cancelJoinRetry(data.join); // e.g. joined by the re-join after a reconnect
    panes.get(data.join).waiting = false;
    panes.get(data.join).joined = true; // on this socket, until it closes
    showComposerError(data.join, ""); // e.g. an outage or a join limit that has passed
    resendPending(data.join); // after a reconnect or a reload, unacked sends go again
  } else if ("resync" in data) {
    const pane = panes.get(data.resync);
    if (pane) clearMessages(pane); // too much was missed: the newest page follows
  } else if ("leave" in data) {
    removePane(data.leave);
  } else if ("ack" in data) {
    onAck(data);
  } else if ("error" in data) {
    onError(data);
  } else if ("presence" in data) {
    showPresence(data);
  } else if ("typing" in data) {
    showTyping(data);
  } else if ("html" in data) {
    showMessage(data);
  }
});

document.addEventListener("ws:close", ({ detail }) => {
  // A new socket has joined nothing yet.
  if (detail.url === socketUrl) panes.forEach((pane) => (pane.joined = false));
});

document.addEventListener("ws:open", ({ detail }) => {
  // After a reconnect the server has forgotten this socket's rooms: join them again,
  // from the last seq each pane has seen.
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

// chat.v2: the protocol's extensions (batch frames); without it the server speaks plain multichat.
open(socketUrl, { protocols: ["chat.v2"] });
if (lobby.dataset.openRoom) wanted.add(Number(lobby.dataset.openRoom));
wanted.forEach(join); // rooms open before a reload come back, with their outbox
