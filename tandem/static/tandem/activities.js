// The activity section of a card: refused forms (422) are shown in place, inline done/reschedule
// forms can be cancelled, and the next-step prompt takes the focus. Mode switching (log / plan) is
// CSS only, so the form works the same without JavaScript.
(() => {
  "use strict";

  // htmx leaves 4xx answers unswapped; 422 is a form with its errors, meant to be shown.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const element = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status === 422 && element && element.closest("[data-activities]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("click", (event) => {
    const cancel = event.target.closest("[data-activity-cancel]");
    if (cancel) {
      const holder = cancel.closest(".planned-action");
      if (holder) holder.replaceChildren();
      return;
    }
    // "Plan one" on a deal with no next step: switch the form to planning and bring it into view.
    const plan = event.target.closest("[data-no-next-step] label[for='activity-mode-plan']");
    if (plan) {
      window.setTimeout(() => focusForm(document.getElementById("activity-form")), 0);
    }
  });

  function focusForm(form) {
    if (!form) return;
    form.scrollIntoView({ block: "center", behavior: "smooth" });
    const subject = form.querySelector("input[name$='subject']");
    if (subject) subject.focus({ preventScroll: true });
  }

  // Only one recording plays at a time.
  document.addEventListener(
    "play",
    (event) => {
      if (!(event.target instanceof HTMLAudioElement)) return;
      document.querySelectorAll("audio.activity-audio").forEach((audio) => {
        if (audio !== event.target) audio.pause();
      });
    },
    true,
  );

  function focusPrompt(root) {
    const prompt = root.querySelector("[data-next-step-prompt]");
    if (prompt) focusForm(prompt.closest("#activity-form"));
  }

  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (!target) return;
    if (target.id === "activities") focusPrompt(target);
    const inline = target.classList && target.classList.contains("planned-action") ? target : null;
    if (inline) {
      const field = inline.querySelector("select, textarea, input:not([type=hidden])");
      if (field) field.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    if (window.location.hash === "#activity-form") focusPrompt(document);
  });

  // --- "@" suggestions in descriptions and notes ------------------------------------------------
  // Typing "@" and the start of a colleague's name or email lists matches; Enter, Tab or a click
  // puts "@Full Name" in the text. Without JavaScript typing the name in full works the same.
  const MENTION = /(?:^|[\s(])@([^\s@]{1,30})$/;
  let menu = null;
  let menuFor = null;
  let active = 0;
  let timer = 0;

  function closeMenu() {
    if (menu) menu.remove();
    menu = null;
    menuFor = null;
  }

  function choose(field, user) {
    const caret = field.selectionStart;
    const before = field.value.slice(0, caret);
    const match = before.match(MENTION);
    if (!match) return closeMenu();
    const start = caret - match[1].length;
    field.value = `${field.value.slice(0, start)}${user.insert} ${field.value.slice(caret)}`;
    const position = start + user.insert.length + 1;
    field.setSelectionRange(position, position);
    field.focus();
    closeMenu();
  }

  function highlight(index) {
    if (!menu) return;
    const items = [...menu.querySelectorAll("button")];
    active = (index + items.length) % items.length;
    items.forEach((item, position) => item.classList.toggle("active", position === active));
  }

  function showMenu(field, users) {
    closeMenu();
    if (!users.length) return;
    menu = document.createElement("div");
    menu.className = "dropdown-menu show mention-menu shadow-sm";
    menu.setAttribute("role", "listbox");
    users.forEach((user) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "dropdown-item small";
      item.setAttribute("role", "option");
      item.textContent = user.name || user.email;
      const email = document.createElement("span");
      email.className = "text-body-secondary ms-2";
      email.textContent = user.email;
      item.appendChild(email);
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        choose(field, user);
      });
      item.user = user;
      menu.appendChild(item);
    });
    field.parentElement.style.position = "relative";
    field.insertAdjacentElement("afterend", menu);
    menuFor = field;
    highlight(0);
  }

  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.matches || !field.matches("[data-mention-url]")) return;
    const match = field.value.slice(0, field.selectionStart).match(MENTION);
    window.clearTimeout(timer);
    if (!match) return closeMenu();
    const url = field.dataset.mentionUrl;
    if (!url) return;
    timer = window.setTimeout(async () => {
      const query = new URLSearchParams({ q: match[1] });
      const response = await fetch(`${url}?${query}`, { headers: { Accept: "application/json" } });
      if (response.ok) showMenu(field, (await response.json()).users);
    }, 150);
  });

  document.addEventListener("keydown", (event) => {
    if (!menu || event.target !== menuFor) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      choose(menuFor, menu.querySelectorAll("button")[active].user);
    } else if (event.key === "Escape") {
      closeMenu();
    }
  });

  document.addEventListener("focusout", (event) => {
    if (menu && event.target === menuFor) window.setTimeout(closeMenu, 100);
  });
  document.addEventListener("htmx:beforeSwap", closeMenu);
})();
