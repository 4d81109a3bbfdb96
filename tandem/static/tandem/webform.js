// Tandem web form: posts a <form data-tandem-form> with fetch and shows the thank-you text in place.
// Without this script the same form posts normally and the visitor sees Tandem's thank-you page.
(() => {
  const UTM = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];

  function fillUtm(form) {
    const params = new URLSearchParams(window.location.search);
    for (const name of UTM) {
      const input = form.elements.namedItem(name);
      if (input && params.get(name)) input.value = params.get(name);
    }
  }

  function clearErrors(form) {
    form.querySelectorAll(".tandem-error").forEach((node) => node.remove());
  }

  function showErrors(form, error) {
    const status = form.querySelector("[data-tandem-status]");
    if (status) status.textContent = error.message || form.dataset.errorText || "";
    for (const [name, messages] of Object.entries(error.fields || {})) {
      const input = form.elements.namedItem(name);
      if (!input || !input.insertAdjacentElement) continue;
      const note = document.createElement("small");
      note.className = "tandem-error";
      note.textContent = messages.join(" ");
      input.insertAdjacentElement("afterend", note);
    }
  }

  async function send(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-tandem-form]")) return;
    event.preventDefault();
    const button = form.querySelector("[type=submit]");
    if (button) button.disabled = true;
    clearErrors(form);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "omit",
      });
      const body = await response.json();
      if (response.ok) {
        const thanks = document.createElement("p");
        thanks.className = "tandem-thanks";
        thanks.setAttribute("role", "status");
        thanks.textContent = body.message;
        form.replaceWith(thanks);
        return;
      }
      showErrors(form, body.error || {});
    } catch {
      showErrors(form, { message: form.dataset.errorText });
    }
    if (button) button.disabled = false;
  }

  document.addEventListener("submit", send);
  document.querySelectorAll("form[data-tandem-form]").forEach(fillUtm);
})();
