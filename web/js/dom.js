// Tiny DOM helpers: elements are built with textContent only, so no API text is ever parsed as HTML.

/** h('li', { class: 'x', onclick: fn }, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export const $ = (id) => document.getElementById(id);

export function time(iso) {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A file size as people read it: 812 B, 4.2 KB, 31 KB, 2.5 MB. */
export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Shows an error (an ApiError or anything else) in a role=alert element; null clears it. */
export function showError(el, err) {
  el.textContent = err ? err.message || String(err) : '';
}

const LABELS = { ONLINE: 'Online', AWAY: 'Away', BUSY: 'Busy', OFFLINE: 'Offline' };

/** A presence dot that also says its status to screen readers. */
export function presenceDot(status = 'OFFLINE') {
  return h('span', {
    class: `dot ${status.toLowerCase()}`,
    role: 'img',
    'aria-label': LABELS[status] ?? status,
    title: LABELS[status] ?? status,
  });
}

export const presenceLabel = (status) => LABELS[status] ?? status;

/** Calls fn at most once per `ms` (trailing calls dropped). */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
