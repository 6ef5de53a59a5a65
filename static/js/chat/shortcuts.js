// The page's keyboard shortcuts (all of them are listed in the dialog `?` opens,
// templates/rooms/lobby.html): Ctrl+K or Cmd+K, the room switcher; Alt+Up/Down, the
// previous or next room of the sidebar; `?` outside a text field, the shortcuts; Escape
// closes an open menu (dialogs close themselves). The composer's and the messages' own
// keys are handled where they are (panes.js, actions.js), and go first.
import { openDialog } from "./dialogs.js";
import { step } from "./navigation.js";
import { openSwitcher } from "./switcher.js";

const help = document.getElementById("shortcuts-help");

function inTextField(target) {
  return Boolean(target.closest?.('input, textarea, select, [contenteditable=""], [contenteditable="true"]'));
}

function only(event, ...held) {
  const keys = { alt: event.altKey, ctrl: event.ctrlKey, meta: event.metaKey, shift: event.shiftKey };
  return Object.entries(keys).every(([key, down]) => down === held.includes(key));
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.isComposing) return;
  const modal = document.querySelector("dialog[open]");
  if ((only(event, "ctrl") || only(event, "meta")) && event.key.toLowerCase() === "k") {
    event.preventDefault(); // the browser's own Ctrl+K (its search bar) gives way
    if (!modal) openSwitcher();
  } else if (only(event, "alt") && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    if (modal) return;
    event.preventDefault();
    step(event.key === "ArrowUp" ? -1 : 1);
  } else if (event.key === "?" && !event.ctrlKey && !event.metaKey && !event.altKey && !inTextField(event.target)) {
    if (modal) return;
    event.preventDefault();
    openDialog(help);
  } else if (event.key === "Escape") {
    // A disclosure menu (the sidebar's settings) with the focus in it closes.
    const menu = event.target.closest?.("details[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  }
});
document.querySelector(".shortcuts-open")?.addEventListener("click", () => openDialog(help));
