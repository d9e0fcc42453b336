// The study group pages (templates/community/groups/): each meetup's time shown in the
// reader's own time zone (the server renders it in the organiser's, shown beside), and
// on the meetup form the time zone preset to the browser's own. Everything else on the
// page is plain forms that work without this script.

export function localRange(startIso, endIso, { locale, timeZone } = {}) {
  const start = new Date(startIso);
  const end = new Date(endIso);
  if (Number.isNaN(start.getTime())) return null;
  const day = new Intl.DateTimeFormat(locale, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone,
  });
  const hour = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone });
  const text = Number.isNaN(end.getTime()) ? day.format(start) : `${day.format(start)}–${hour.format(end)}`;
  return `${text} (your time)`;
}

function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    return "";
  }
}

function localiseTimes(root) {
  for (const node of root.querySelectorAll("time[data-local-time]")) {
    const text = localRange(node.getAttribute("datetime"), node.dataset.end || "");
    if (text) {
      node.title = node.textContent.trim();
      node.textContent = text;
    }
  }
}

function presetZone(root) {
  const zone = browserZone();
  for (const select of root.querySelectorAll("select[data-default-zone]")) {
    const untouched = select.value === "UTC" && !select.closest(".has-error");
    if (zone && untouched && [...select.options].some((option) => option.value === zone)) {
      select.value = zone;
    }
  }
}

if (typeof document !== "undefined") {
  localiseTimes(document);
  presetZone(document);
}
