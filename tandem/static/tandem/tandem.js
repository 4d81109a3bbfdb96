// Tandem's small page helpers. Loaded on every page; no framework, just htmx events.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  if (status === 403 || status === 404) {
    event.detail.target.innerHTML = event.detail.xhr.responseText;
  }
});
