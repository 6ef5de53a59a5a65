// The reaction picker: eight common emoji under a message, one Tab stop, the arrow keys
// (and Home, End) move within it. Choosing one the user has given already takes it back.
import { button, dismiss } from "./controls.js";

// The picker's choice: eight common emoji and the names a screen reader says.
export const EMOJI = [
  ["👍", "thumbs up"],
  ["❤️", "red heart"],
  ["😂", "face with tears of joy"],
  ["🎉", "party popper"],
  ["😮", "face with open mouth"],
  ["😢", "crying face"],
  ["🙏", "folded hands"],
  ["👀", "eyes"],
];
export const PICKER_KEYS = /^(Arrow(Left|Right|Up|Down)|Home|End)$/;

export function given(msg, emoji) {
  const chip = msg.querySelector(`.reaction[data-emoji="${CSS.escape(emoji)}"]`);
  return chip?.getAttribute("aria-pressed") === "true";
}

export function togglePicker(msg) {
  if (msg.querySelector(".emoji-picker")) closePicker(msg, { focus: true });
  else openPicker(msg);
}

function openPicker(msg) {
  const picker = document.createElement("div");
  picker.className = "emoji-picker msg-transient";
  picker.setAttribute("role", "group");
  picker.setAttribute("aria-label", "Pick a reaction");
  for (const [emoji, name] of EMOJI) {
    const shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true"); // named in words, once
    shown.textContent = emoji;
    const choice = button("pick", name, shown, { className: "emoji-choice" });
    choice.dataset.emoji = emoji;
    choice.setAttribute("aria-pressed", String(given(msg, emoji)));
    choice.tabIndex = -1; // one tab stop; the arrow keys move within
    picker.append(choice);
  }
  picker.firstElementChild.tabIndex = 0;
  msg.append(picker);
  msg.classList.add("msg-acting");
  msg.querySelector('[data-action="react"]').setAttribute("aria-expanded", "true");
  picker.firstElementChild.focus();
}

export function closePicker(msg, options) {
  const picker = msg.querySelector(".emoji-picker");
  if (!picker) return;
  const react = msg.querySelector('[data-action="react"]');
  react?.setAttribute("aria-expanded", "false");
  dismiss(msg, picker, react, options);
}

export function moveInPicker(current, key) {
  const choices = [...current.closest(".emoji-picker").querySelectorAll(".emoji-choice")];
  const at = choices.indexOf(current.closest(".emoji-choice"));
  const next = {
    ArrowLeft: at - 1,
    ArrowUp: at - 1,
    ArrowRight: at + 1,
    ArrowDown: at + 1,
    Home: 0,
    End: choices.length - 1,
  }[key];
  const target = choices[(next + choices.length) % choices.length];
  for (const choice of choices) choice.tabIndex = choice === target ? 0 : -1;
  target.focus();
}
