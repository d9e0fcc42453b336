// Small DOM and text helpers shared by the editor page's modules (frontend/editor.js).

export function $(id) {
  return document.getElementById(id);
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

export function initials(name) {
  return (name || "?").slice(0, 2).toUpperCase();
}

export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function throttle(fn, ms) {
  let timer = null;
  let last = 0;
  return () => {
    const wait = last + ms - Date.now();
    if (wait <= 0 && timer === null) {
      last = Date.now();
      fn();
    } else if (timer === null) {
      timer = setTimeout(
        () => {
          timer = null;
          last = Date.now();
          fn();
        },
        Math.max(wait, 0),
      );
    }
  };
}
