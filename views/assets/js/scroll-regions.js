// A table or code block wider than the screen scrolls inside its own frame (phones). Such a frame
// must take keyboard focus, or keyboard users cannot scroll it (WCAG 2.1.1); only frames that
// really scroll become tab stops, named after their table's caption or the heading above them.
(function () {
  function nameOf(frame) {
    var caption = frame.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var el = frame.previousElementSibling;
    while (el && !/^H[1-6]$/.test(el.tagName)) el = el.previousElementSibling;
    return el ? el.textContent.trim() : "Scrollable table";
  }
  function update() {
    var frames = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.scrollWidth > frame.clientWidth + 1) {
        if (!frame.hasAttribute("tabindex")) {
          frame.setAttribute("tabindex", "0");
          frame.setAttribute("role", "region");
          if (!frame.hasAttribute("aria-label") && !frame.hasAttribute("aria-labelledby")) frame.setAttribute("aria-label", nameOf(frame) + " (scrolls sideways)");
          frame.setAttribute("data-scroll-focus", "");
        }
      } else if (frame.hasAttribute("data-scroll-focus")) {
        frame.removeAttribute("tabindex");
        frame.removeAttribute("role");
        frame.removeAttribute("aria-label");
        frame.removeAttribute("data-scroll-focus");
      }
    }
  }
  var pending = null;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(update, 150);
  });
})();
