// The site header's menu button (phones, static/css/layout.css): it shows and hides the
// navigation and the user's links, which wider screens show in the header's row.
// Escape, or a click elsewhere, closes it.
const toggle = document.querySelector(".menu-toggle");
const menu = document.getElementById("site-menu");

function isOpen() {
  return toggle.getAttribute("aria-expanded") === "true";
}

function setOpen(open) {
  toggle.setAttribute("aria-expanded", String(open));
}

if (toggle && menu) {
  toggle.addEventListener("click", () => setOpen(!isOpen()));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen()) {
      setOpen(false);
      toggle.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (isOpen() && !menu.contains(event.target) && !toggle.contains(event.target)) setOpen(false);
  });
}
