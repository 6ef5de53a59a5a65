// The room switcher (Ctrl+K or Cmd+K, and the sidebar's search button): a dialog with a
// filter and a listbox of the sidebar's rooms. The focus stays in the filter; the arrow
// keys move the active option (aria-activedescendant), Enter or a click opens it.
import { closeTo, openDialog } from "./dialogs.js";
import { openRoom } from "./navigation.js";
import { visibleItems } from "./sidebar.js";

const dialog = document.getElementById("room-switcher");
const filter = document.getElementById("switcher-filter");
const list = document.getElementById("switcher-options");
const empty = dialog.querySelector(".switcher-empty");
let active = 0;

export function openSwitcher() {
  filter.value = "";
  render();
  openDialog(dialog);
  filter.focus();
}

function rooms() {
  return visibleItems().map((link) => ({
    id: Number(link.dataset.roomId),
    title: link.querySelector("span").textContent.trim(),
    badges: [...link.querySelectorAll(".badge")].map((badge) => badge.textContent.trim()),
    unread: link.classList.contains("has-unread"),
    current: link.getAttribute("aria-current") === "page",
  }));
}

// Rooms whose name starts with what was typed first, then those that contain it.
function render() {
  const typed = filter.value.trim().toLowerCase();
  const all = rooms().filter((room) => room.title.toLowerCase().includes(typed));
  const matches = [
    ...all.filter((room) => room.title.toLowerCase().startsWith(typed)),
    ...all.filter((room) => !room.title.toLowerCase().startsWith(typed)),
  ];
  list.replaceChildren(...matches.map(option));
  list.hidden = matches.length === 0;
  filter.setAttribute("aria-expanded", String(matches.length > 0));
  empty.textContent = matches.length ? "" : "No room has that name.";
  setActive(0);
}

function option(room) {
  const item = document.createElement("li");
  item.id = `switcher-room-${room.id}`;
  item.setAttribute("role", "option");
  item.setAttribute("aria-selected", "false");
  item.dataset.roomId = room.id;
  item.classList.toggle("has-unread", room.unread);
  item.append(Object.assign(document.createElement("span"), { className: "switcher-name", textContent: room.title }));
  for (const text of room.badges) {
    item.append(" ", Object.assign(document.createElement("span"), { className: "badge", textContent: text }));
  }
  if (room.current) item.append(Object.assign(document.createElement("span"), { className: "muted", textContent: " (open)" }));
  return item;
}

function options() {
  return [...list.querySelectorAll('[role="option"]')];
}

function setActive(index) {
  const all = options();
  if (!all.length) {
    filter.removeAttribute("aria-activedescendant");
    return;
  }
  active = (index + all.length) % all.length;
  all.forEach((item, i) => item.setAttribute("aria-selected", String(i === active)));
  filter.setAttribute("aria-activedescendant", all[active].id);
  all[active].scrollIntoView({ block: "nearest" });
}

function choose(item) {
  if (!item) return;
  closeTo(dialog); // the focus goes to the room's composer
  openRoom(Number(item.dataset.roomId));
}

filter.addEventListener("input", render);
filter.addEventListener("keydown", (event) => {
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    setActive(active + (event.key === "ArrowDown" ? 1 : -1));
  } else if (event.key === "Enter" && !event.isComposing) {
    event.preventDefault();
    choose(options()[active]);
  }
});
list.addEventListener("click", (event) => choose(event.target.closest('[role="option"]')));
document.querySelector(".switcher-open")?.addEventListener("click", openSwitcher);
