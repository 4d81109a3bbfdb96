// The calendar page: FullCalendar (week and month) over the events endpoint. Dropping or resizing an
// event posts its new time; a refusal puts it back and says why. Without JavaScript, or when
// FullCalendar did not load, the server-rendered list of the period stays on the page.
(() => {
  "use strict";

  const WEEK_HEIGHT = 680;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function toast(text, danger) {
    const element = document.getElementById("calendar-toast");
    if (!element || !window.bootstrap) { if (danger) window.alert(text); return; }
    element.classList.toggle("text-bg-danger", Boolean(danger));
    element.classList.toggle("text-bg-success", !danger);
    element.querySelector("[data-toast-text]").textContent = text;
    window.bootstrap.Toast.getOrCreateInstance(element).show();
  }

  function isoDate(date) {
    const pad = (number) => String(number).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  // Keep the address in step with what is shown, so a reload or a bookmark opens the same period.
  function rememberPeriod(info) {
    const url = new URL(window.location.href);
    url.searchParams.set("view", info.view.type === "dayGridMonth" ? "month" : "week");
    const middle = new Date((info.view.currentStart.getTime() + info.view.currentEnd.getTime()) / 2);
    url.searchParams.set("date", isoDate(info.view.type === "dayGridMonth" ? middle : info.view.currentStart));
    window.history.replaceState(window.history.state, "", url);
  }

  // A drop keeps the duration (only the start is sent); a resize sends the new end as well.
  async function move(info, texts, resized) {
    const body = new URLSearchParams();
    body.set("start", info.event.start.toISOString());
    if (resized && info.event.end) body.set("end", info.event.end.toISOString());
    let response;
    let payload = {};
    try {
      response = await fetch(info.event.extendedProps.moveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body,
      });
      payload = await response.json().catch(() => ({}));
    } catch (error) {
      info.revert();
      toast(texts.error, true);
      return;
    }
    if (!response.ok) {
      info.revert();
      toast(payload.error || texts.error, true);
      return;
    }
    info.event.setProp("classNames", payload.classNames || []);
    toast(texts.moved, false);
  }

  function decorate(info) {
    const props = info.event.extendedProps;
    const parts = [props.type, info.event.title, props.card].filter(Boolean);
    info.el.setAttribute("title", parts.join(" · "));
    info.el.dataset.activity = info.event.id;
    const title = info.el.querySelector(".fc-event-title");
    if (title && props.icon) {
      const icon = document.createElement("i");
      icon.className = `bi ${props.icon} me-1`;
      icon.setAttribute("aria-hidden", "true");
      title.prepend(icon);
    }
  }

  // A week of seven columns is unreadable on a phone: there the week is a list (no dragging).
  const narrow = () => window.matchMedia("(max-width: 767.98px)").matches;

  function init() {
    const element = document.getElementById("calendar");
    if (!element || !window.FullCalendar) return;
    const data = element.dataset;
    const texts = { error: data.errorText, moved: data.movedText, load: data.loadErrorText };
    let businessHours = true;
    try { businessHours = JSON.parse(data.businessHours || "true"); } catch (error) { /* default */ }

    const weekView = narrow() ? "listWeek" : "timeGridWeek";
    document.querySelectorAll("[data-calendar-fallback]").forEach((node) => { node.hidden = true; });
    element.hidden = false;

    const calendar = new window.FullCalendar.Calendar(element, {
      initialView: data.view === "month" ? "dayGridMonth" : weekView,
      initialDate: data.date,
      locale: data.locale || "en",
      firstDay: 1,
      headerToolbar: { left: "prev,next today", center: "title", right: `${weekView},dayGridMonth` },
      buttonText: { today: data.todayText, week: data.weekText, month: data.monthText, list: data.weekText },
      height: data.view === "month" || weekView !== "timeGridWeek" ? "auto" : WEEK_HEIGHT,
      allDaySlot: false,
      nowIndicator: true,
      scrollTime: data.scrollTime || "08:00:00",
      businessHours,
      slotDuration: "00:30:00",
      snapDuration: "00:15:00",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      dayMaxEvents: true,
      editable: true,
      eventDurationEditable: true,
      events: { url: data.eventsUrl, failure: () => toast(texts.load, true) },
      eventDidMount: decorate,
      eventDrop: (info) => move(info, texts, false),
      eventResize: (info) => move(info, texts, true),
      datesSet: (info) => {
        rememberPeriod(info);
        // The week scrolls inside a fixed height (opened at the working day); a month shows whole.
        const height = info.view.type === "timeGridWeek" ? WEEK_HEIGHT : "auto";
        if (info.view.calendar.getOption("height") !== height) info.view.calendar.setOption("height", height);
      },
    });
    calendar.render();
    element.tandemCalendar = calendar;
  }

  // The "whose calendar" select opens the chosen calendar at once.
  document.addEventListener("change", (event) => {
    const select = event.target.closest("[data-autosubmit]");
    if (!select) return;
    const form = select.form;
    const calendar = document.getElementById("calendar");
    if (calendar && calendar.tandemCalendar) {
      const url = new URL(window.location.href);
      form.querySelector("[name=view]").value = url.searchParams.get("view") || form.querySelector("[name=view]").value;
      form.querySelector("[name=date]").value = url.searchParams.get("date") || form.querySelector("[name=date]").value;
    }
    form.submit();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
