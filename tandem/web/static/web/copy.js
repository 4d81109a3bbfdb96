// Copy buttons: <button data-copy-target="#field" data-copied-text="Copied"> copies the field's value.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copyTarget);
  if (!field) return;
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch {
    document.execCommand("copy"); // plain-HTTP installs have no clipboard API
  }
  button.textContent = button.dataset.copiedText || button.textContent;
});
