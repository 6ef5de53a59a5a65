// The page's modal dialogs (the room switcher, the shortcuts): opened with showModal, so
// the rest of the page is inert and Escape closes them; the focus goes back to where it
// was, unless what was chosen in the dialog sends it elsewhere (`closeTo`).
const returnTo = new WeakMap(); // dialog -> the element focused before it opened

export function openDialog(dialog) {
  if (dialog.open) return;
  returnTo.set(dialog, document.activeElement);
  dialog.showModal();
}

// Closes the dialog without taking the focus back: the caller moves it.
export function closeTo(dialog) {
  returnTo.delete(dialog);
  dialog.close();
}

for (const dialog of document.querySelectorAll("dialog.dialog")) {
  dialog.addEventListener("close", () => {
    const back = returnTo.get(dialog);
    returnTo.delete(dialog);
    if (back?.isConnected) back.focus();
  });
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener("click", (event) => {
    const box = dialog.getBoundingClientRect();
    const outside =
      event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
    if (event.target === dialog && outside) dialog.close();
  });
}
