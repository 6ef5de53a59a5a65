// What the chat modules share: the lobby's settings, the rooms this tab has open, their
// panes, and the outbox of unacknowledged sends. Kept in this one module so that every
// other module reads and changes the same objects; the wanted rooms and the outbox
// survive a reload in sessionStorage.
import { send } from "../../websocket/websocket.js";

export const lobby = document.getElementById("lobby");
export const socketUrl = lobby.dataset.chatSocket;
export const me = lobby.dataset.username;
export const maxLength = Number(lobby.dataset.maxLength);
// {"message": 0, "warning": 1, …}: rooms.models.MessageType, rendered into the page.
export const MESSAGE_TYPE = JSON.parse(document.getElementById("message-types").textContent);

const OUTBOX_KEY = "chat.outbox";
const ROOMS_KEY = "chat.rooms";

export const panes = new Map(); // room id -> pane state
export const wanted = new Set(JSON.parse(sessionStorage.getItem(ROOMS_KEY) || "[]")); // rooms open in this tab
// client_id -> {room, text, state: "pending" | "failed", error}
export const outbox = new Map(Object.entries(JSON.parse(sessionStorage.getItem(OUTBOX_KEY) || "{}")));

export function saveState() {
  sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(Object.fromEntries(outbox)));
  sessionStorage.setItem(ROOMS_KEY, JSON.stringify([...wanted]));
}

// Every frame of the chat goes to the one socket of the lobby.
export function command(data) {
  send(socketUrl, data);
}
