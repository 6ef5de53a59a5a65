// The height the chat may fill: the visual viewport's, which an on-screen keyboard
// shrinks. Chrome resizes the layout for the keyboard (the viewport meta's
// interactive-widget=resizes-content, base.html), Safari does not: there --app-height
// (static/css/layout.css) keeps the composer above the keyboard.
const viewport = window.visualViewport;

function fit() {
  if (viewport.scale > 1.01) return; // pinch-zoomed: the layout keeps its size
  document.documentElement.style.setProperty("--app-height", `${Math.round(viewport.height)}px`);
  // Safari scrolls the page up under the keyboard: the chat is pinned to the top.
  if (window.scrollY) window.scrollTo(0, 0);
}

if (viewport) {
  viewport.addEventListener("resize", fit);
  fit();
}
