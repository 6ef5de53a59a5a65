// The room panes: one per open room, with its messages (in id order, each replaced by
// its newer states; a gap in the room's seqs is asked for),
// unread count, members, typing line and composer error. What the panes' buttons and
// composer do beyond showing (leaving, sending, changing a message) is handed in by the
// caller. The controls each message gets (react, reply, edit, delete) are actions.js's.
import { addActions, carryOver, forget, wireActions } from "./actions.js";
import { wireAttachments } from "./attachments.js";
import { markChanges } from "./pending.js";
import { MESSAGE_TYPE, command, isNearBottom, lobby, me, panes, wanted } from "./state.js";

const roomsOpen = document.getElementById("rooms-open");
const roomTemplate = document.getElementById("room-template");
const TYPING_SEND_MS = 2000;
const TYPING_SHOW_MS = 4000;

export function syncRoomButtons() {
  for (const button of document.querySelectorAll(".room-link")) {
    button.setAttribute("aria-pressed", String(wanted.has(Number(button.dataset.roomId))));
  }
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
    list: el.querySelector(".messages"),
    lastSeq: 0, // the room's seq this pane has every change up to
    oldestId: null, // the oldest message shown ("load older" asks for those before it)
    unread: 0,
    waiting: false, // a join was refused for the rate limit and is asked again later
    joined: false, // the server has this room joined on the current socket
    typing: new Map(), // username -> timer
    typingSentAt: 0,
    events: new Map(), // message id -> its latest event (its raw text, reactions, HTML)
  };
  // Each pane's reply bar labels the composer while a reply is being written.
  el.querySelector(".reply-bar-text").id = `reply-to-${roomId}`;
  el.querySelector(".older").addEventListener("click", () => loadOlder(roomId));
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
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(textarea);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      onSubmit(textarea);
    }
  });
  textarea.addEventListener("input", () => sendTyping(pane, roomId));
  wireAttachments(pane, roomId); // the attach button, drops on the pane, pasted images
  wireActions(pane, { change: onChange, retry: onRetry, discard: onDiscard });
  pane.list.addEventListener("scroll", () => {
    if (isNearBottom(pane.list)) setUnread(pane, 0);
  });
  panes.set(roomId, pane);
  roomsOpen.append(el);
  syncRoomButtons();
  return pane;
}

export function removePane(roomId) {
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

// Messages --------------------------------------------------------------------------

function setUnread(pane, count) {
  pane.unread = count;
  const badge = pane.el.querySelector(".unread");
  badge.textContent = count ? `${count} new` : "";
  badge.hidden = count === 0;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState !== "visible") return;
  for (const pane of panes.values()) if (isNearBottom(pane.list)) setUnread(pane, 0);
});

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

// Marks what is the user's own: their messages, and the reactions they gave (the event
// names up to 20 users per emoji); gives each stored message the viewer's action bar and
// shows the changes of it that still wait in the outbox.
function decorate(pane, nodes, reactions = []) {
  const given = new Set(reactions.filter((r) => r.users.includes(me)).map((r) => r.emoji));
  for (const node of nodes) {
    if (!(node instanceof Element)) continue;
    if (node.dataset.author === me) node.classList.add("msg-own");
    const time = node.querySelector("time[datetime]");
    if (time) time.textContent = timeFormat.format(new Date(time.getAttribute("datetime")));
    for (const chip of node.querySelectorAll(".reaction")) {
      chip.setAttribute("aria-pressed", String(given.has(chip.dataset.emoji)));
    }
    addActions(node);
    markChanges(pane, node);
  }
}

function htmlNodes(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // server-rendered and autoescaped
  return [...template.content.childNodes];
}

function messageElement(pane, id) {
  return pane.list.querySelector(`.msg[data-id="${Number(id)}"]`);
}

// The join reply says which seq of the room its history shows: the pane stands there
// once the history is in (a history skips the seqs of superseded states).
export function standAt(pane, seq) {
  pane.catchingUp = false;
  if (typeof seq === "number") pane.lastSeq = Math.max(pane.lastSeq, seq);
}

// Too much was missed: drop the room's messages, the latest ones follow.
export function clearMessages(pane) {
  pane.list.querySelectorAll(".msg:not(.msg-pending)").forEach((el) => el.remove());
  pane.oldestId = null;
  pane.events.clear();
}

// A message event (new, edited, reacted to) or a deletion, live or from a history.
export function showMessage(event) {
  const pane = panes.get(event.room);
  if (!pane) return;
  if (event.seq != null) {
    if (event.seq > pane.lastSeq + 1) {
      // A gap: ask for what is missing, once until the join is answered (unless a join
      // is already due: asking now would only count against the limit). The event is
      // shown all the same: it is the message as it is now, and the seqs before it may
      // be states it superseded, which nothing will send again.
      if (!pane.waiting && !pane.catchingUp) {
        pane.catchingUp = true;
        command({ command: "join", room: event.room, since: pane.lastSeq });
      }
    } else if (event.seq === pane.lastSeq + 1) {
      pane.lastSeq = event.seq;
    }
    // At or below lastSeq: part of a history, or seen already (placed by id if newer).
  }
  if (event.deleted) removeMessage(pane, event);
  else if (event.id == null) appendNodes(pane, htmlNodes(event.html), event); // a notice
  else placeMessage(pane, event);
}

function placeMessage(pane, event) {
  const existing = messageElement(pane, event.id);
  if (existing && Number(existing.dataset.seq) >= event.seq) return; // not newer
  pane.events.set(event.id, event);
  const nodes = htmlNodes(event.html);
  decorate(pane, nodes, event.reactions);
  if (existing) {
    replaceMessage(existing, nodes); // an edit or a reaction: in place
    return;
  }
  if (pane.oldestId !== null && event.id < pane.oldestId) return; // "load older" shows it
  if (pane.oldestId === null) {
    pane.oldestId = event.id;
    pane.el.querySelector(".older").hidden = event.id <= 1;
  }
  const later = [...pane.list.querySelectorAll(".msg[data-id]")].find(
    (el) => Number(el.dataset.id) > event.id,
  );
  if (later) later.before(...nodes);
  else appendNodes(pane, nodes, event);
}

// Whatever the user was doing with the message (editing, picking a reaction, confirming
// a deletion) goes on in its new state, focus included.
function replaceMessage(existing, nodes) {
  const fresh = nodes.find((node) => node instanceof Element);
  const refocus = fresh ? carryOver(existing, fresh) : () => {};
  existing.replaceWith(...nodes);
  refocus();
}

// Shows the message again as its latest event has it, with what still waits in the
// outbox (a change was queued, acknowledged or refused).
export function refreshMessage(roomId, id) {
  const pane = panes.get(roomId);
  const event = pane?.events.get(id);
  const existing = pane && messageElement(pane, id);
  if (!event || !existing) return;
  const nodes = htmlNodes(event.html);
  decorate(pane, nodes, event.reactions);
  replaceMessage(existing, nodes);
}

function appendNodes(pane, nodes, event) {
  const stick = isNearBottom(pane.list);
  if (event.id == null) decorate(pane, nodes);
  // Stored messages go before the pending ones, which stay at the bottom.
  const firstPending = pane.list.querySelector(".msg-pending");
  if (firstPending) firstPending.before(...nodes);
  else pane.list.append(...nodes);
  const mine = event.username === me && event.msg_type === MESSAGE_TYPE.message;
  if (stick || mine) pane.list.scrollTop = pane.list.scrollHeight;
  const noteworthy = event.seq != null && !mine;
  if (noteworthy && (!stick || document.visibilityState === "hidden")) setUnread(pane, pane.unread + 1);
}

// A deleted message disappears; one that others replied to leaves a small line.
function removeMessage(pane, event) {
  const replies = pane.list.querySelectorAll(`.msg[data-reply-to="${Number(event.id)}"]`);
  for (const reply of replies) {
    const quote = reply.querySelector(".reply-quote");
    if (quote) quote.replaceChildren(Object.assign(document.createElement("span"), {
      className: "reply-deleted",
      textContent: "message deleted",
    }));
  }
  pane.events.delete(event.id);
  const existing = messageElement(pane, event.id);
  forget(pane, event.id, existing);
  if (!existing) return;
  if (replies.length) {
    const line = document.createElement("li");
    line.className = "msg msg-deleted";
    line.dataset.id = event.id;
    line.dataset.seq = event.seq;
    line.textContent = "message deleted";
    existing.replaceWith(line);
  } else {
    existing.remove();
  }
}

// One page of older messages; how many came (0: none left, or the request failed). One
// request at a time per pane: the button and a jump to a search result share it.
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
  const button = pane.el.querySelector(".older");
  const slot = pane.el.querySelector(".older-slot");
  const before = pane.list.scrollHeight;
  const nodes = messages.flatMap((m) => {
    if (m.deleted) return [];
    pane.events.set(m.id, m);
    const made = htmlNodes(m.html);
    decorate(pane, made, m.reactions);
    return made;
  });
  slot.after(...nodes);
  if (messages.length) pane.oldestId = messages[0].id;
  button.hidden = !messages.length || pane.oldestId <= 1;
  pane.list.scrollTop += pane.list.scrollHeight - before; // keep the reader's place
  return messages.length;
}

// Presence and typing -------------------------------------------------------------------

export function showPresence(data) {
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

export function showTyping(data) {
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
