// Client-base pages: bulk selection, phone/email rows, confirmations. Delegated listeners, so
// content swapped in by htmx works without re-binding.
(() => {
  "use strict";

  // --- bulk actions ------------------------------------------------------------------------------
  const bulkRows = () => document.querySelectorAll("[data-bulk-row]");

  function refreshBulkBar() {
    const bar = document.querySelector("[data-bulk-bar]");
    if (!bar) return;
    const checked = [...bulkRows()].filter((box) => box.checked).length;
    const count = bar.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = checked
        ? count.dataset.templateSome.replace("%s", checked)
        : count.dataset.templateNone;
    }
    const submit = bar.querySelector("[data-bulk-submit]");
    if (submit) submit.disabled = checked === 0;
    const all = document.querySelector("[data-bulk-all]");
    if (all) {
      all.checked = checked > 0 && checked === bulkRows().length;
      all.indeterminate = checked > 0 && checked < bulkRows().length;
    }
  }

  function refreshBulkFields(select) {
    document.querySelectorAll("[data-bulk-for]").forEach((element) => {
      element.hidden = element.dataset.bulkFor !== select.value;
    });
  }

  document.addEventListener("change", (event) => {
    const target = event.target;
    if (target.matches("[data-bulk-all]")) {
      bulkRows().forEach((box) => { box.checked = target.checked; });
    }
    if (target.matches("[data-bulk-all], [data-bulk-row]")) refreshBulkBar();
    if (target.matches("[data-bulk-action]")) refreshBulkFields(target);
  });

  // --- phone and email rows ----------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-formset-add]");
    if (add) {
      const prefix = add.dataset.formsetAdd;
      const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
      const max = document.getElementById(`id_${prefix}-MAX_NUM_FORMS`);
      const template = document.querySelector(`[data-formset-template="${prefix}"]`);
      const rows = document.querySelector(`[data-formset-rows="${prefix}"]`);
      if (!total || !template || !rows) return;
      const index = Number(total.value);
      if (max && index >= Number(max.value)) return;
      const holder = document.createElement("div");
      holder.innerHTML = template.innerHTML.replaceAll("__prefix__", String(index));
      const row = holder.firstElementChild;
      rows.appendChild(row);
      total.value = String(index + 1);
      if (window.htmx) window.htmx.process(row);
      const first = row.querySelector("input");
      if (first) first.focus();
      return;
    }
    const clear = event.target.closest("[data-formset-clear]");
    if (clear) {
      const row = clear.closest("[data-formset-row]");
      row.querySelectorAll("input").forEach((input) => { input.value = ""; });
      row.querySelectorAll(".invalid-feedback").forEach((element) => element.remove());
      row.querySelectorAll("[aria-invalid]").forEach((element) => element.removeAttribute("aria-invalid"));
    }
  });

  // --- small form behaviours ---------------------------------------------------------------------
  // Enter in a chooser's search box searches; it must not submit the whole form.
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("[data-no-submit]")) event.preventDefault();
  });

  document.addEventListener("submit", (event) => {
    const message = event.target.dataset && event.target.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  document.addEventListener("DOMContentLoaded", refreshBulkBar);
  document.addEventListener("htmx:afterSettle", refreshBulkBar);
})();
