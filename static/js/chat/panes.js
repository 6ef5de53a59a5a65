// The room panes: one per open room, with its messages (in seq order, gaps asked for),
// unread count, members, typing line and composer error. What the panes' buttons and
// composer do beyond showing (leaving, sending) is handed in by the caller.
import { MESSAGE_TYPE, command, lobby, me, panes, wanted } from "./state.js";

const roomsOpen = document.getElementById("rooms-open");
const roomTemplate = document.getElementById("room-template");
const baseTitle = document.title;
const NEAR_BOTTOM_PX = 80;
const TYPING_SEND_MS = 2000;
const TYPING_SHOW_MS = 4000;

export function syncRoomButtons() {
  for (const button of document.querySelectorAll(".room-link")) {
    button.setAttribute("aria-pressed", String(wanted.has(Number(button.dataset.roomId))));
  }
  document.getElementById("no-room-open").hidden = panes.size > 0;
}

// `onClose()` runs when the user closes the pane, `onSubmit(textarea)` when they send.
export function createPane(roomId, title, { onClose, onSubmit }) {
  const el = roomTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.roomId = roomId;
  el.setAttribute("aria-label", title);
  el.querySelector(".room-title").textContent = title;
  el.querySelector(".room-close").addEventListener("click", onClose);
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
    onSubmit(textarea);
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      onSubmit(textarea);
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

export function removePane(roomId) {
  panes.get(roomId)?.el.remove();
  panes.delete(roomId);
  syncRoomButtons();
  updateTitle();
}

export function showComposerError(roomId, text) {
  const box = panes.get(roomId)?.el.querySelector(".composer-error");
  if (!box) return;
  box.textContent = text;
  box.hidden = !text;
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

export function clearMessages(pane) {
  pane.list.querySelectorAll(".msg:not(.msg-pending)").forEach((el) => el.remove());
  pane.lastSeq = 0;
  pane.oldestSeq = null;
  pane.expectBaseline = true;
}

export function showMessage(event) {
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
