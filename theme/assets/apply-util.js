/* Small helpers of the application page (apply.js) that hold no state: DOM, dates, sizes, and
   storage the browser may refuse (private mode, full quota). */
export function $(id) {
  return document.getElementById(id);
}

export function storage(backend) {
  try {
    backend.setItem("motcua.thu", "1");
    backend.removeItem("motcua.thu");
    return backend;
  } catch (_e) {
    return null;
  }
}

export function read(backend, key) {
  try {
    return backend ? JSON.parse(backend.getItem(key) || "null") : null;
  } catch (_e) {
    return null;
  }
}

export function write(backend, key, value) {
  try {
    if (backend) backend.setItem(key, JSON.stringify(value));
  } catch (_e) {
    /* full: keep going */
  }
}

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach((k) => {
    if (k === "text") node.textContent = attrs[k];
    else node.setAttribute(k, attrs[k]);
  });
  (children || []).forEach((c) => {
    if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  });
  return node;
}

export function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.prototype.map.call(bytes, (b) => `0${b.toString(16)}`.slice(-2)).join("");
}

export function today() {
  const now = new Date(Date.now() + 7 * 3600 * 1000); // the calendar day in Việt Nam
  return now.toISOString().slice(0, 10);
}

export function megabytes(size) {
  if (size < 1048576) return `${Math.max(1, Math.round(size / 1024))} KB`;
  return `${(size / 1048576).toFixed(1).replace(".", ",")} MB`;
}

export function isoToVn(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text || "");
  return m ? `${m[3]}/${m[2]}/${m[1]}` : "";
}

export function dateTimeVn(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || "");
  return m ? `${m[4]}:${m[5]} ngày ${m[3]}/${m[2]}/${m[1]}` : "";
}
