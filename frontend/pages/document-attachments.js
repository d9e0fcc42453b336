// The document page's attachments panel (templates/collaboration/attachments/): "Copy
// Markdown link" buttons, and a question before deleting a file. Without this script the
// links can still be selected in their fields, and the forms still work.

/** Copies `text`; answers whether it worked (the clipboard API needs a secure context). */
export async function copyText(text, { clipboard = globalThis.navigator?.clipboard, field } = {}) {
  try {
    await clipboard.writeText(text);
    return true;
  } catch {
    if (!field) return false;
    field.select();
    return Boolean(globalThis.document?.execCommand?.("copy"));
  }
}

function wireCopyButtons(panel) {
  for (const button of panel.querySelectorAll("button[data-copy-target]")) {
    const field = panel.ownerDocument.getElementById(button.dataset.copyTarget);
    if (!field) continue;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const copied = await copyText(field.value, { field });
      button.textContent = copied ? "Copied" : "Select the link and copy it";
      setTimeout(() => {
        button.textContent = label;
      }, 2000);
    });
  }
}

function wireDeleteQuestions(panel) {
  for (const form of panel.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!globalThis.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
}

if (typeof document !== "undefined") {
  const panel = document.getElementById("attachments");
  if (panel) {
    wireCopyButtons(panel);
    wireDeleteQuestions(panel);
  }
}
