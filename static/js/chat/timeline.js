// How the conversation reads: each message's time in the viewer's time zone, messages of
// one sender in a row grouped, a line between days, and the "New messages" line. The
// stored HTML of a message (templates/rooms/message.html) is the same for everyone and
// carries only its UTC time, so all of this is worked out here, on the page, from the
// list itself: regroup() walks the list after every change (a message placed by id,
// older ones loaded, one deleted or replaced by its edit) and puts each aid where it
// belongs, moving or making as few elements as it can (they sit in a live region).
import { me } from "./state.js";

// Consecutive messages of one author closer than this show the author and time once.
const GROUP_MS = 5 * 60 * 1000;

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const fullTime = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});
const dayThisYear = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });
const dayOtherYear = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});

const times = new WeakMap(); // message element -> its Date (null: it has none)

// A message's <time>: the time of day beside the author; the full date and time as its
// tooltip and, in place of the short one, for screen readers.
export function showTime(node) {
  const time = node.querySelector(":scope > .msg-meta > time[datetime]");
  if (!time) return;
  const date = new Date(time.getAttribute("datetime"));
  if (Number.isNaN(date.getTime())) return;
  const full = fullTime.format(date);
  time.title = full;
  const shown = Object.assign(document.createElement("span"), { textContent: timeOfDay.format(date) });
  shown.setAttribute("aria-hidden", "true");
  const spoken = Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: full });
  time.replaceChildren(shown, spoken);
}

function timeOf(item) {
  if (times.has(item)) return times.get(item);
  const time = item.matches(".msg[data-id]") && item.querySelector(":scope > .msg-meta > time[datetime]");
  const date = time ? new Date(time.getAttribute("datetime")) : null;
  const known = date && !Number.isNaN(date.getTime()) ? date : null;
  times.set(item, known);
  return known;
}

function dayKey(date) {
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

// "Today", "Yesterday", else the date (with its year when it is not this year's).
export function dayLabel(date, now = new Date()) {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const days = Math.round((today - day) / 86_400_000); // rounded: a DST day is 23 or 25 h
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return (date.getFullYear() === now.getFullYear() ? dayThisYear : dayOtherYear).format(date);
}

// A heading per day: screen reader users move through the days with their heading keys.
function separator(date) {
  const item = document.createElement("li");
  item.className = "day-separator";
  item.dataset.day = dayKey(date);
  item.dataset.date = date.toISOString();
  const heading = Object.assign(document.createElement("h3"), { className: "day-heading" });
  heading.textContent = dayLabel(date);
  item.append(heading);
  return item;
}

// Messages of people (not server notices, not pending or deleted ones) group.
function groupable(item) {
  return (
    item.matches(".msg[data-id][data-author]") &&
    !item.matches(".msg-deleted, .msg-warning, .msg-alert, .msg-muted")
  );
}

// The first message by someone else after the read position the pane was opened with,
// among those the room had then, if it is loaded (older pages may still hold it); null
// when there is none.
function firstUnread(pane) {
  const seq = pane.readLine?.seq;
  if (seq == null) return null;
  const olderLeft = !pane.el.querySelector(".older")?.hidden;
  if (olderLeft && !(pane.oldestId <= seq)) return null; // not loaded yet
  for (const item of pane.list.querySelectorAll(".msg[data-id]:not(.msg-deleted)")) {
    const id = Number(item.dataset.id);
    if (id > pane.readLine.until) break; // came while the pane was open: no news to mark
    if (id > seq && item.dataset.author !== me) return item;
  }
  return null;
}

function placeReadLine(pane) {
  const target = firstUnread(pane);
  let line = pane.list.querySelector(":scope > .unread-line");
  if (!target) {
    line?.remove();
    return null;
  }
  if (!line) {
    line = document.createElement("li");
    line.className = "unread-line";
    line.append(Object.assign(document.createElement("span"), { textContent: "New messages" }));
  }
  if (target.previousElementSibling !== line) target.before(line);
  return target;
}

export function regroup(pane) {
  const target = placeReadLine(pane);
  let lastDay = null;
  let previous = null; // {author, date} of the message a next one may group with
  const spare = []; // separators met since the last dated message: reused, else removed
  for (const item of [...pane.list.children]) {
    if (item.matches(".day-separator")) {
      spare.push(item);
      continue;
    }
    if (item.matches(".unread-line, .older-slot")) continue;
    const date = timeOf(item);
    if (!date) {
      previous = null; // a notice, a deleted line, a pending message: the group ends
      continue;
    }
    const day = dayKey(date);
    if (day !== lastDay) {
      const reused = spare.find((sep) => sep.dataset.day === day);
      const sep = reused || separator(date);
      if (reused) spare.splice(spare.indexOf(reused), 1);
      // The separator goes before the "New messages" line that goes before the message.
      const before = item.previousElementSibling?.matches(".unread-line") ? item.previousElementSibling : item;
      if (sep.nextElementSibling !== before) before.before(sep);
      lastDay = day;
      previous = null;
    }
    for (const sep of spare.splice(0)) sep.remove();
    const compact =
      groupable(item) &&
      item !== target &&
      previous !== null &&
      previous.author === item.dataset.author &&
      date - previous.date < GROUP_MS;
    setCompact(item, compact, date);
    previous = groupable(item) ? { author: item.dataset.author, date } : null;
  }
  for (const sep of spare) sep.remove();
}

// A compact message hides its author and time from the eye only (screen readers still
// hear both); its full time stays on hover, as the message's tooltip.
function setCompact(item, compact, date) {
  if (item.classList.contains("msg-compact") === compact) return;
  item.classList.toggle("msg-compact", compact);
  if (compact) item.title = fullTime.format(date);
  else item.removeAttribute("title");
}

// "Today" becomes "Yesterday" at midnight: the page may stay open for days.
export function relabelDays(root) {
  for (const item of root.querySelectorAll(".day-separator")) {
    const label = dayLabel(new Date(item.dataset.date));
    const heading = item.querySelector(".day-heading");
    if (heading.textContent !== label) heading.textContent = label;
  }
}

// `callback` runs just after every midnight, local time.
export function atMidnight(callback) {
  const now = new Date();
  const next = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 0, 0, 5);
  setTimeout(() => {
    callback();
    atMidnight(callback);
  }, next - now);
}
