// What is unread in each of the user's rooms, the same on every device: the socket's
// `watch` lists the rooms with their counts, `activity` moves them for rooms not open
// here, `read` for a room read on any device (docs/protocol.md). The room lists show
// rooms with news in bold with their count, the page title the total of mentions, and a
// mention or a direct message raises a notification (notify.js) when the page is hidden
// or the room is not open. What the user sees of an open room is reported as read.
import { notify } from "./notify.js";
import { handReadPosition } from "./readline.js";
import { roomItem } from "./sidebar.js";
import { command, isNearBottom, me, panes } from "./state.js";

const READ_DELAY_MS = 500;
const baseTitle = document.title;
const counts = new Map(); // room id -> {kind, title, unread, mentions, muted, readSeq}
const joinedAt = new Map(); // room id -> the seq its last join stood at (history up to it)
const readTimers = new Map(); // room id -> pending read report

export function watch() {
  command({ command: "watch" });
}

export function onRooms(rooms) {
  counts.clear();
  for (const room of rooms) {
    counts.set(room.id, {
      kind: room.kind,
      title: room.title,
      unread: room.unread,
      mentions: room.mentions,
      muted: room.muted,
      readSeq: room.read_seq,
    });
  }
  listMyRooms(rooms);
  showCounts();
  // An open pane learns where the user had read to (its "New messages" line), once.
  for (const room of rooms) handReadPosition(room.id, room.read_seq);
  panes.forEach((_, roomId) => readSoon(roomId));
}

export function onActivity(data) {
  const room = counts.get(data.activity);
  if (!room) return;
  Object.assign(room, { unread: data.unread, mentions: data.mentions });
  showCounts();
  if (data.mention) notify(data.activity, heading(data.username, room), "New message for you");
}

// A room renamed by its owner: its name in the lists and in its pane.
export function onRoomsChanged(data) {
  const renamed = data.renamed;
  const room = renamed && counts.get(renamed.id);
  if (!room) return;
  room.title = renamed.title;
  for (const name of document.querySelectorAll(`.room-link[data-room-id="${renamed.id}"] > span:first-child`)) {
    name.textContent = renamed.title;
  }
  for (const label of document.querySelectorAll(`.room-beside[data-room-id="${renamed.id}"] .visually-hidden`)) {
    label.textContent = `Open ${renamed.title} beside`;
  }
  const pane = panes.get(renamed.id);
  if (pane) {
    pane.el.setAttribute("aria-label", renamed.title);
    pane.el.querySelector(".room-title").textContent = renamed.title;
  }
}

// Who wrote, and where: what a notification is titled with.
function heading(username, room) {
  const where = room.kind === "direct" ? "Direct message" : room.title;
  return `${username || "Chat"} · ${where}`;
}

export function onRead(data) {
  const room = counts.get(data.read);
  if (!room) return;
  Object.assign(room, { unread: data.unread, mentions: data.mentions, readSeq: data.seq });
  showCounts();
}

export function onJoin(roomId, seq) {
  joinedAt.set(roomId, seq);
  if (counts.has(roomId)) handReadPosition(roomId, counts.get(roomId).readSeq);
}

// A message shown in an open pane: counted (and announced) while the user is not looking,
// else reported as read.
export function onPaneMessage(event) {
  const room = counts.get(event.room);
  const live = event.id != null && event.id === event.seq && event.seq > (joinedAt.get(event.room) ?? Infinity);
  if (room && live && !event.deleted && event.username !== me && !looking(event.room)) {
    // Counted as the server counts (rooms/unread.py): `@here` notifies, it is no mention.
    const mention = room.kind === "direct" || (event.mentions || []).includes(me);
    room.unread += room.muted && !mention ? 0 : 1;
    room.mentions += mention ? 1 : 0;
    showCounts();
    const here = !room.muted && saysHere(event.message);
    if ((mention || here) && document.visibilityState === "hidden") {
      notify(event.room, heading(event.username, room), event.message || "");
    }
  }
  readSoon(event.room);
}

function saysHere(text) {
  return /(^|[^\w.@+-])@here(?![\w.@+-]*[\w@+-])/i.test(text || "");
}

// A pane hidden by the layout (a phone showing the room list) is not looked at: its
// list has no height, and would count as scrolled to the bottom.
function looking(roomId) {
  const pane = panes.get(roomId);
  return (
    Boolean(pane) &&
    document.visibilityState === "visible" &&
    pane.list.clientHeight > 0 &&
    isNearBottom(pane.list)
  );
}

// Report the open room read up to what its pane shows, once the user can see it.
function readSoon(roomId) {
  if (readTimers.has(roomId)) return;
  readTimers.set(
    roomId,
    setTimeout(() => {
      readTimers.delete(roomId);
      const pane = panes.get(roomId);
      const room = counts.get(roomId);
      if (!pane || !pane.joined || !room || !looking(roomId)) return;
      if (pane.lastSeq > room.readSeq || room.unread > 0) {
        room.readSeq = Math.max(room.readSeq, pane.lastSeq);
        command({ command: "read", room: roomId, seq: pane.lastSeq });
      }
    }, READ_DELAY_MS),
  );
}

document.addEventListener("visibilitychange", () => panes.forEach((_, roomId) => readSoon(roomId)));
document.getElementById("rooms-open")?.addEventListener(
  "scroll",
  (event) => {
    const roomId = Number(event.target.closest?.(".room")?.dataset.roomId);
    if (roomId) readSoon(roomId);
  },
  true, // scroll does not bubble: the panes' lists are listened to from their container
);

// The room lists: bold with a count where something is unread --------------------------

export function showCounts() {
  let mentions = 0;
  let unread = false;
  for (const button of document.querySelectorAll(".room-link")) {
    showCount(button, counts.get(Number(button.dataset.roomId)));
  }
  for (const room of counts.values()) {
    mentions += room.mentions;
    unread ||= room.unread > 0;
  }
  document.title = mentions ? `(${mentions}) ${baseTitle}` : unread ? `• ${baseTitle}` : baseTitle;
}

// Changes the button only when its count changed: the lists' observer (chat.js) calls
// showCounts on every change under them, this included.
function showCount(button, room) {
  const unread = room ? room.unread : 0;
  const mentions = room ? room.mentions : 0;
  const shown = `${unread}/${mentions}/${room?.muted ? 1 : 0}`;
  let badge = button.querySelector(".room-count");
  if (badge && badge.dataset.shown === shown) return;
  if (!badge) {
    badge = Object.assign(document.createElement("span"), { className: "room-count" });
    button.append(badge);
  }
  badge.dataset.shown = shown;
  button.classList.toggle("has-unread", unread > 0);
  button.classList.toggle("is-muted", Boolean(room?.muted)); // dimmed: only mentions count
  badge.classList.toggle("for-you", mentions > 0);
  badge.hidden = unread === 0;
  badge.textContent = "";
  if (unread > 0) {
    const what = mentions ? `${unread} unread, ${mentions} for you` : `${unread} unread`;
    // The figure is for the eye; the hidden text says it in full.
    const figure = Object.assign(document.createElement("span"), { textContent: String(mentions || unread) });
    figure.setAttribute("aria-hidden", "true");
    badge.append(figure);
    const spoken = Object.assign(document.createElement("span"), { className: "visually-hidden" });
    spoken.textContent = ` (${what})`;  // "Random (2 unread, 1 for you)"
    badge.append(spoken);
  }
}

// The "Private and direct" list follows the user's rooms live: a room they were added to
// appears, one they lost goes (public rooms are in the list every lobby shares).
function listMyRooms(rooms) {
  const list = document.getElementById("my-room-list");
  if (!list) return;
  const mine = rooms.filter((room) => room.kind !== "public");
  const ids = new Set(mine.map((room) => room.id));
  for (const item of list.querySelectorAll("li[data-room-id]")) {
    if (!ids.has(Number(item.dataset.roomId))) item.remove();
  }
  for (const room of mine) {
    if (list.querySelector(`li[data-room-id="${room.id}"]`)) continue;
    list.querySelector("ul").append(roomItem(room));
  }
  list.hidden = mine.length === 0;
}
