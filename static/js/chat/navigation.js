// Which room the user is in, and how they move between rooms. The page's address names
// that room (/rooms/<slug>/: Room.get_absolute_url), so opening one pushes a history
// entry, back and forward switch rooms, and a reload comes back to it at the same place.
// Clicking a room replaces the one in view (it is left, as closing it is); "Open beside"
// keeps it and opens the other next to it, on wide screens. On a phone the room list and
// the conversation are two screens (the lobby's data-screen), with a Back button.
// Focus follows: into the composer of a room opened, onto a room's item when it closes.
// Joining and leaving are chat.js's (handed in to startNavigation).
import { anchorOf, keepAnchor, restoreAnchor, savedAnchor } from "./anchor.js";
import { panes, saveState, wanted, lobby } from "./state.js";
import { itemOf, markOpen, urlOf, visibleItems } from "./sidebar.js";

// The phone layout's breakpoint: static/css/layout.css and site.css use the same width.
const phone = matchMedia("(max-width: 760px)");
const LAST_ROOM_KEY = "chat.lastRoom"; // what / opens on a wide screen, across visits
const ANCHOR_SAVE_MS = 250;

let current = null; // the room in view, the one the address names; null: the room list
let shownPath = location.pathname; // the address the page shows its room for
let focusWanted = null; // the room whose composer gets the focus once its pane is there
const pendingAnchors = new Map(); // room id -> where its pane scrolls once its history is in
const anchorTimers = new Map();
let hooks = { join() {}, leave() {} };

export function isPhone() {
  return phone.matches;
}

// A history entry of this page: the room in view (or null) and where it was read.
function entry(roomId, extra = {}) {
  return { room: roomId, ...extra };
}

function addressOf(roomId) {
  return roomId === null ? "/" : urlOf(roomId);
}

// A new history entry ("pushState") or this one changed ("replaceState"), for the room in
// view; `url` null keeps the address.
function record(method, extra = {}, url = addressOf(current)) {
  history[method](entry(current, extra), "", url);
  shownPath = location.pathname;
}

// Opens a room in view. `beside`: next to the room in view instead of in its place (not
// on a phone). `push`: a new history entry (not when history itself brought the page
// here). `anchor`: where to scroll once the history is in, when the pane is new.
export function openRoom(roomId, { beside = false, push = true, focus = true, anchor = null } = {}) {
  roomId = Number(roomId);
  const previous = current;
  if (focus) focusWanted = roomId;
  // The new room is current and wanted before the old one is left: leaving tells the
  // sidebar (chat:rooms-open-changed), which must not take the new one for gone.
  const replaced = roomId === previous ? [] : beside && !isPhone() ? [] : isPhone() ? [...wanted] : [previous];
  if (roomId !== previous) {
    current = roomId;
    if (push) record("pushState", { fromList: isPhone() && previous === null });
  }
  if (!wanted.has(roomId)) {
    if (anchor) pendingAnchors.set(roomId, anchor);
    hooks.join(roomId);
  }
  for (const other of replaced) if (other !== null && other !== roomId && wanted.has(other)) hooks.leave(other);
  localStorage.setItem(LAST_ROOM_KEY, String(roomId));
  show();
  if (focus && panes.has(roomId)) focusComposer(roomId);
}

// The pane's × button: the room is left and the focus goes to its item in the list.
export function closeRoom(roomId) {
  if (roomId === current) {
    current = [...wanted].filter((id) => id !== roomId).at(-1) ?? null;
    record("replaceState");
  }
  hooks.leave(roomId);
  show();
  itemOf(roomId)?.focus();
}

// A phone's Back button: to the room list. When the room was opened from the list, that
// is going back in history (the popstate handler does the rest).
function backToList() {
  const roomId = current;
  if (history.state?.fromList) {
    history.back();
    return;
  }
  current = null;
  record("pushState");
  if (roomId !== null) hooks.leave(roomId);
  show();
  itemOf(roomId)?.focus();
}

// Alt+Up/Down: the previous or next room of the sidebar (from the focused item, when
// the focus is in the list), opened in place of the one in view.
export function step(delta) {
  const items = visibleItems();
  if (!items.length) return;
  const from = document.activeElement?.closest?.(".room-link") || itemOf(current);
  const index = items.indexOf(from);
  const next = index === -1 ? (delta > 0 ? items[0] : items.at(-1)) : items[index + delta];
  if (next) openRoom(Number(next.dataset.roomId));
}

// A pane was made for a joined room (chat.js): focus and scroll as the opening asked.
export function paneOpened(roomId) {
  show();
  if (focusWanted === roomId) focusComposer(roomId);
  const anchor = pendingAnchors.get(roomId);
  pendingAnchors.delete(roomId);
  if (anchor) restoreAnchor(roomId, anchor);
}

function focusComposer(roomId) {
  focusWanted = null;
  panes.get(roomId)?.el.querySelector(".composer textarea")?.focus();
}

// The sidebar and the panes show which room is in view; a phone shows one screen.
function show() {
  lobby.dataset.screen = current === null ? "list" : "room";
  markOpen(current, wanted);
  for (const [id, pane] of panes) pane.el.classList.toggle("is-current", id === current);
}

// The room an address names, from the sidebar's links (or /rooms/<id>/).
function roomAt(path) {
  const link = [...document.querySelectorAll(".room-lists .room-link")].find((a) => a.getAttribute("href") === path);
  if (link) return Number(link.dataset.roomId);
  const byId = /^\/rooms\/(\d+)\/$/.exec(path);
  return byId ? Number(byId[1]) : null;
}

window.addEventListener("popstate", (event) => {
  // A fragment (the skip link) makes an entry of the same address: no room changes.
  if (location.pathname === shownPath) return;
  shownPath = location.pathname;
  const state = event.state;
  const roomId = state && "room" in state ? state.room : roomAt(location.pathname);
  if (roomId === null) {
    const left = current;
    current = null;
    if (left !== null && wanted.has(left)) hooks.leave(left);
    show();
    itemOf(left)?.focus();
    return;
  }
  openRoom(roomId, { push: false, anchor: state?.anchor ?? null });
});

// Whatever else opened or closed a room (a join refused, access withdrawn, a leave
// answered): when the room in view is gone, another open one (or the list) takes its
// place, in the address too.
document.addEventListener("chat:rooms-open-changed", () => {
  if (current !== null && !wanted.has(current)) {
    current = [...wanted].at(-1) ?? null;
    record("replaceState");
  }
  show();
});

// Keep where each room is read: in this tab's storage, and in the history entry of the
// room in view. scroll does not bubble: the panes' lists are listened to from their container.
document.getElementById("rooms-open").addEventListener(
  "scroll",
  (event) => {
    const roomId = Number(event.target.closest?.(".room")?.dataset.roomId);
    if (!roomId || anchorTimers.has(roomId)) return;
    anchorTimers.set(
      roomId,
      setTimeout(() => {
        anchorTimers.delete(roomId);
        const pane = panes.get(roomId);
        if (!pane) return;
        const anchor = anchorOf(pane);
        keepAnchor(roomId, anchor);
        if (roomId === current && history.state?.room === roomId) {
          history.replaceState({ ...history.state, anchor }, "");
        }
      }, ANCHOR_SAVE_MS),
    );
  },
  true,
);

function wireClicks() {
  document.querySelector(".room-lists").addEventListener("click", (event) => {
    const beside = event.target.closest(".room-beside");
    if (beside) {
      openRoom(Number(beside.dataset.roomId), { beside: true });
      return;
    }
    const link = event.target.closest(".room-link");
    // A new tab or window (a modifier, the middle button) is the browser's to open.
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    openRoom(Number(link.dataset.roomId));
  });
  document.getElementById("rooms-open").addEventListener("click", (event) => {
    if (event.target.closest(".room-back")) backToList();
  });
}

// What the page opens with. A reload (or a page come back to) has its history entry:
// the rooms this tab had open come back, the one in view in view. A fresh visit opens the
// room of its address alone; / opens the list on a phone, else the rooms this tab had
// open, or the last room the user was in.
export function startNavigation({ join, leave, jumping = false }) {
  hooks = { join, leave };
  wireClicks();
  const state = history.state;
  const reload = Boolean(state) && "room" in state;
  const addressed = lobby.dataset.openRoom ? Number(lobby.dataset.openRoom) : null;
  const left = Number(lobby.dataset.leftRoom) || null; // just left on its settings page
  let start = addressed;
  if (reload) {
    start = state.room ?? null;
    for (const id of wanted) if (id !== start) pendingAnchors.set(id, savedAnchor(id));
    if (start !== null) pendingAnchors.set(start, state.anchor ?? savedAnchor(start));
  } else if (addressed !== null) {
    wanted.clear();
  } else if (isPhone()) {
    wanted.clear();
  } else {
    const last = Number(localStorage.getItem(LAST_ROOM_KEY));
    if (wanted.has(last) || (!wanted.size && last !== left && itemOf(last))) start = last;
    else start = [...wanted].at(-1) ?? null;
  }
  if (isPhone()) for (const id of [...wanted]) if (id !== start) wanted.delete(id);
  if (start !== null) wanted.add(start);
  saveState();
  current = start;
  // The address of the room in view (/rooms/<id>/ becomes its slug's), but a search
  // result's ?message=N stays: a reload goes to that message again.
  const keep = location.search || (current === null && addressed === null);
  record("replaceState", { fromList: state?.fromList, anchor: state?.anchor }, keep ? null : addressOf(current));
  if (current !== null && !jumping && !isPhone()) focusWanted = current;
  for (const [id, anchor] of pendingAnchors) if (!anchor) pendingAnchors.delete(id);
  show();
  if (left) itemOf(left)?.focus();
}
