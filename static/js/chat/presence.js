// Who is in a room and who is typing there: the pane's member count and names, and its
// typing line (sent at most every TYPING_SEND_MS while the user types, shown for
// TYPING_SHOW_MS after the last one heard).
import { command, me, panes } from "./state.js";

const TYPING_SEND_MS = 2000;
const TYPING_SHOW_MS = 4000;

export function showPresence(data) {
  const pane = panes.get(data.presence);
  if (!pane) return;
  pane.el.querySelector(".member-count").textContent = `${data.count} online`;
  pane.el.querySelector(".members").textContent = data.members.join(", ");
}

export function sendTyping(pane, roomId) {
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
