// What the chat modules share: the lobby's settings, the rooms this tab has open, their
// panes, and the outbox of unacknowledged sends. Kept in this one module so that every
// other module reads and changes the same objects; the wanted rooms and the outbox
// survive a reload in sessionStorage.
import { send } from "../../websocket/websocket.js";

export const lobby = document.getElementById("lobby");
export const socketUrl = lobby.dataset.chatSocket;
export const me = lobby.dataset.username;
export const maxLength = Number(lobby.dataset.maxLength);
// Moderators (staff, or the rooms.moderate_room permission) may delete anyone's message;
// the lobby says so in data-moderator="1". Without it the page offers Delete on own ones.
export const moderator = lobby.dataset.moderator === "1";
// {"message": 0, "warning": 1, …}: rooms.models.MessageType, rendered into the page.
export const MESSAGE_TYPE = JSON.parse(document.getElementById("message-types").textContent);

const OUTBOX_KEY = "chat.outbox";
const ROOMS_KEY = "chat.rooms";

export const panes = new Map(); // room id -> pane state
export const wanted = new Set(JSON.parse(sessionStorage.getItem(ROOMS_KEY) || "[]")); // rooms open in this tab
// client_id -> {room, kind, state: "pending" | "failed", error, tries, …}: a send (kind
// "send", or none in an outbox saved before changes existed: text, replyTo, quote) or a
// change of a stored message (kind "edit": id, text; "delete": id; "react": id, emoji, on).
export const outbox = new Map(Object.entries(JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "{}")));

export function saveState() {
  sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(Object.fromEntries(outbox)));
  sessionStorage.setItem(ROOMS_KEY, JSON.stringify([...wanted]));
}

// Every frame of the chat goes to the one socket of the lobby.
export function command(data) {
  send(socketUrl, data);
}

// Whether a pane's conversation is scrolled to (about) its newest message: what the
// user sees there counts as seen.
const NEAR_BOTTOM_PX = 80;
export function isNearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
}
