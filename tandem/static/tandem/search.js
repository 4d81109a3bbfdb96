// Top-bar global search: close the as-you-type dropdown on Escape or a click elsewhere, and
// move into it with the down arrow.
(() => {
  "use strict";
  const results = () => document.getElementById("global-search-results");

  function close() {
    const box = results();
    if (box) box.innerHTML = "";
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && results() && results().innerHTML.trim()) close();
    if (event.key === "ArrowDown" && event.target.matches("[data-global-search]")) {
      const first = results() && results().querySelector("a.dropdown-item");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });

  document.addEventListener("click", (event) => {
    if (!event.target.closest(".global-search")) close();
  });
})();
