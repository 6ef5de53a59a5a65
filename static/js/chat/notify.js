// Browser notifications for mentions and direct messages, when the user turned them on.
// The permission is asked only from the switch in the lobby's settings menu (a user
// action, never on page load); the choice is kept in this browser.
const KEY = "chat.notifications";
const toggle = document.getElementById("notifications-toggle");

function supported() {
  return "Notification" in window;
}

function enabled() {
  return supported() && Notification.permission === "granted" && localStorage.getItem(KEY) === "on";
}

function showSwitch() {
  if (!toggle) return;
  const on = enabled();
  toggle.setAttribute("aria-pressed", String(on)); // the label stays "Notifications"
  const note = document.getElementById("notifications-note");
  if (note) {
    note.textContent = !supported()
      ? "This browser cannot show notifications."
      : Notification.permission === "denied"
        ? "Notifications are blocked for this site in the browser's settings."
        : "";
  }
}

toggle?.addEventListener("click", async () => {
  if (!supported()) return showSwitch();
  if (enabled()) {
    localStorage.setItem(KEY, "off");
  } else {
    const permission =
      Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
    localStorage.setItem(KEY, permission === "granted" ? "on" : "off");
  }
  showSwitch();
});
showSwitch();

// Tell the user: `title` (who, where) and `body`; a click brings the page forward and
// opens the room (chat.js listens for chat:open-room).
export function notify(roomId, title, body) {
  if (!enabled()) return;
  const notification = new Notification(title, { body, tag: `room-${roomId}` });
  notification.onclick = () => {
    window.focus();
    document.dispatchEvent(new CustomEvent("chat:open-room", { detail: roomId }));
    notification.close();
  };
}
