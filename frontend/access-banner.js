// Rights that change while the page is open. The server may take the right to edit away
// (the socket stays, read-only), give it back, or take the document away altogether (the
// socket closes): the editor follows at once and #access-banner says why, in the server's
// words (#readonly-banner is only on pages served read-only).

import { SIGNED_OUT_REASONS } from "./client.js";
import { $ } from "./dom-helpers.js";

/** Keeps the editor's read-only state and the access banners in step with the client. */
export function mountAccessBanner({ client, setReadOnly }) {
  const accessBanner = $("access-banner");
  const accessText = $("access-message");
  const accessSignIn = $("access-signin");
  const readonlyBanner = $("readonly-banner"); // only on pages served read-only
  function renderAccess() {
    const { status, canEdit, accessReason, accessMessage, accessLost } = client.snapshot();
    setReadOnly(!canEdit || status === "conflict" || status === "not_found");
    let message = null;
    if (accessLost) message = accessMessage ?? "You no longer have access to this document.";
    else if (!canEdit && accessMessage) message = accessMessage;
    else if (!canEdit && !readonlyBanner && status === "connected")
      message = "You may read this document, but no longer edit it."; // changed while away
    if (readonlyBanner) readonlyBanner.hidden = canEdit || message !== null;
    if (!accessBanner) return;
    const signIn = accessLost && SIGNED_OUT_REASONS.has(accessReason);
    accessBanner.hidden = message === null;
    accessBanner.dataset.reason = message === null ? "" : (accessReason ?? "read_only");
    accessBanner.classList.toggle("danger", accessLost);
    accessBanner.classList.toggle("warn", !accessLost);
    if (accessText.textContent !== (message ?? "")) accessText.textContent = message ?? "";
    if (accessSignIn) accessSignIn.hidden = !signIn;
  }
  client.on("access", renderAccess);
  client.on("status", renderAccess);

  return renderAccess;
}
