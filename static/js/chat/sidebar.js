// The sidebar's room items: their addresses, the item built for a room listed live (the
// same markup as templates/rooms/room_item.html), and which of them are open. A room's
// item is a link to its address, so it can be opened in a new tab or copied; the page
// opens it in place (navigation.js).

// Slugs that name other pages under /rooms/ (rooms.models.RESERVED_SLUGS).
const RESERVED_SLUGS = new Set(["new", "send", "direct"]);

// A room's address, as Room.get_absolute_url makes it: by slug for public and private
// rooms, by id for direct ones and for slugs that would be read as something else.
export function roomUrl({ id, kind, slug }) {
  const own = slug && !/^\d+$/.test(slug) && !RESERVED_SLUGS.has(slug);
  return kind === "direct" || !own ? `/rooms/${id}/` : `/rooms/${encodeURIComponent(slug)}/`;
}

export function itemOf(roomId) {
  return document.querySelector(`.room-lists .room-link[data-room-id="${Number(roomId)}"]`);
}

// Where the page goes for a room: its item's address, else the one every room has.
export function urlOf(roomId) {
  return itemOf(roomId)?.getAttribute("href") || `/rooms/${Number(roomId)}/`;
}

export function titleOf(roomId) {
  return itemOf(roomId)?.querySelector("span")?.textContent.trim() || `Room ${roomId}`;
}

// The items the user can see, in the sidebar's order (public rooms, then their own).
export function visibleItems() {
  return [...document.querySelectorAll(".room-lists .room-link")].filter((link) => link.closest("[hidden]") === null);
}

// The item of a room listed live (the `rooms` frame: id, kind, title, slug).
export function roomItem(room) {
  const item = document.createElement("li");
  item.dataset.roomId = room.id;
  const link = Object.assign(document.createElement("a"), { className: "room-link", href: roomUrl(room) });
  link.dataset.roomId = room.id;
  const name = Object.assign(document.createElement("span"), { textContent: room.title });
  const kind = Object.assign(document.createElement("span"), { className: "badge", textContent: room.kind });
  link.append(name, kind);
  const beside = Object.assign(document.createElement("button"), {
    type: "button",
    className: "room-beside",
    title: "Open beside the open room",
  });
  beside.dataset.roomId = room.id;
  beside.innerHTML =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><rect x="3" y="5" width="18" height="14" rx="2"/><path d="M12 5v14"/></svg>';
  const label = Object.assign(document.createElement("span"), {
    className: "visually-hidden",
    textContent: `Open ${room.title} beside`,
  });
  beside.append(label);
  item.append(link, beside);
  return item;
}

// The room in view is the page (aria-current); the others open beside it are marked
// for the eye. A room beside cannot be opened beside again.
export function markOpen(current, open) {
  for (const link of document.querySelectorAll(".room-lists .room-link")) {
    const id = Number(link.dataset.roomId);
    if (id === current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
    link.classList.toggle("is-open", open.has(id));
    const beside = link.parentElement.querySelector(".room-beside");
    if (beside) beside.disabled = open.has(id);
  }
}
