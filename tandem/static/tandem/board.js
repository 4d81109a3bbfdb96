// The deals board: drag cards between columns (SortableJS) and onto the Won/Lost zones, post the
// move, and show the answer: the fresh board, the prompt for what the stage requires, or a message.
// The "Move to…" form on each card posts the same way (and works as a plain form without JS).
(() => {
  "use strict";

  const board = () => document.getElementById("board");
  const modalElement = () => document.getElementById("move-modal");
  let moveInFlight = false;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function toast(text) {
    const element = document.getElementById("board-toast");
    if (!element || !window.bootstrap) { window.alert(text); return; }
    element.querySelector("[data-toast-text]").textContent = text;
    window.bootstrap.Toast.getOrCreateInstance(element).show();
  }

  function replaceBoard(html) {
    const current = board();
    if (!current) return;
    const holder = document.createElement("div");
    holder.innerHTML = html.trim();
    const fresh = holder.querySelector("#board");
    if (!fresh) return;
    current.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    initSortables();
  }

  async function refreshBoard() {
    const current = board();
    if (!current) return;
    const response = await fetch(current.dataset.refreshUrl, { headers: { "HX-Request": "true" } });
    if (response.ok) replaceBoard(await response.text());
  }

  function hideModal() {
    const element = modalElement();
    if (element && window.bootstrap) window.bootstrap.Modal.getOrCreateInstance(element).hide();
  }

  function showPrompt(html) {
    const element = modalElement();
    element.querySelector("#move-modal-body").innerHTML = html;
    element.dataset.promptOpen = "1";
    if (window.htmx) window.htmx.process(element);
    window.bootstrap.Modal.getOrCreateInstance(element).show();
  }

  async function postMove(url, body) {
    if (board()) body.set("board_query", board().dataset.boardQuery || "");
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
        body,
      });
    } catch (error) {
      toast(board() ? board().dataset.errorText : "Error");
      refreshBoard();
      return;
    }
    const text = await response.text();
    if (response.status === 200) {
      modalElement().dataset.promptOpen = "";
      hideModal();
      replaceBoard(text);
      return;
    }
    if (response.status === 422) {
      showPrompt(text);
      return;
    }
    hideModal();
    const plain = (response.headers.get("Content-Type") || "").startsWith("text/plain");
    const fallback = response.status === 409 ? board().dataset.staleText : board().dataset.errorText;
    toast(plain && text ? text : fallback);
    refreshBoard(); // the card goes back to where the server says it is
  }

  function moveUrl(card) {
    return board().dataset.moveUrlTemplate.replace("/0/", `/${card.dataset.dealId}/`);
  }

  // The "Move to…" menu of a card is fetched the first time it opens.
  document.addEventListener(
    "toggle",
    async (event) => {
      const menu = event.target;
      if (!(menu instanceof HTMLDetailsElement) || !menu.matches("[data-move-menu]") || !menu.open) return;
      // Columns scroll inside themselves and would clip the menu: pin it to the viewport instead.
      const body = menu.querySelector("[data-move-menu-body]");
      const anchor = menu.querySelector("summary").getBoundingClientRect();
      body.style.position = "fixed";
      body.style.top = `${anchor.bottom + 4}px`;
      body.style.left = `${Math.max(8, anchor.right - body.offsetWidth)}px`;
      if (menu.dataset.loaded) return;
      menu.dataset.loaded = "1";
      const card = menu.closest("[data-deal-id]");
      const query = new URLSearchParams({ board_query: board() ? board().dataset.boardQuery || "" : "" });
      const response = await fetch(`${moveUrl(card)}?${query}`, { headers: { "HX-Request": "true" } });
      if (response.ok) body.innerHTML = await response.text();
    },
    true,
  );

  function onDrop(event) {
    const card = event.item;
    const target = event.to;
    const body = new FormData();
    body.set("stage", target.dataset.stageId);
    body.set("expected_stage", card.dataset.stageId);
    if (target.hasAttribute("data-drop-zone")) card.classList.add("d-none");
    postMove(moveUrl(card), body);
  }

  function initSortables() {
    if (!window.Sortable) return;
    document.querySelectorAll("[data-sortable]").forEach((list) => {
      if (list.dataset.sortableReady) return;
      list.dataset.sortableReady = "1";
      const isZone = list.hasAttribute("data-drop-zone");
      window.Sortable.create(list, {
        group: { name: "deals", pull: !isZone, put: true },
        sort: false,
        draggable: ".deal-card",
        filter: "details, summary, select, button, input",
        preventOnFilter: false,
        animation: 150,
        ghostClass: "deal-card-ghost",
        chosenClass: "deal-card-chosen",
        dragClass: "deal-card-drag",
        onStart: () => document.body.classList.add("board-dragging"),
        onEnd: () => document.body.classList.remove("board-dragging"),
        onAdd: onDrop,
      });
    });
  }

  // Forms posting a move (the prompt, and "Move to…" on a card) go through fetch on the board page.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("[data-move-form]") || !board()) return;
    event.preventDefault();
    postMove(form.action, new FormData(form));
  });

  document.addEventListener("DOMContentLoaded", () => {
    initSortables();
    const element = modalElement();
    if (element) {
      // Closing the prompt without moving puts the card back where it was.
      element.addEventListener("hidden.bs.modal", () => {
        if (element.dataset.promptOpen) {
          element.dataset.promptOpen = "";
          refreshBoard();
        }
      });
    }
  });
  document.addEventListener("htmx:afterSettle", initSortables);
})();
