/* The back office pages (can-bo/, buildlib/site/backoffice.py): DOM, dates and sizes, the page's
   JSON configuration (labels from chalicelib.workflow) and the error summary. */

export const $ = (id) => document.getElementById(id);

export const config = (() => {
  const node = $("bo-config");
  return node ? JSON.parse(node.textContent) : null;
})();

// The site's root URL (the page's `data-root`, relative to the page).
export const root = (() => {
  const app = $("bo-app");
  return new URL(app?.getAttribute("data-root") || "/", location.href).href;
})();

export function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  Object.keys(attrs || {}).forEach((k) => {
    node.setAttribute(k, attrs[k]);
  });
  return node;
}

export function param(name) {
  return new URLSearchParams(location.search).get(name) || "";
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

// "dd/mm/yyyy HH:mm" in Vietnam time (UTC+7, no daylight saving) from an ISO 8601 string.
export function when(iso, dateOnly) {
  if (!iso) return "";
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso);
  const v = new Date(t.getTime() + 7 * 3600000);
  const day = `${pad(v.getUTCDate())}/${pad(v.getUTCMonth() + 1)}/${v.getUTCFullYear()}`;
  return dateOnly ? day : `${day} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}`;
}

// "ngày 06 tháng 12 năm 2026", for printed forms.
export function longDate(iso) {
  const d = when(iso || new Date().toISOString(), true).split("/");
  return `ngày ${d[0]} tháng ${d[1]} năm ${d[2]}`;
}

export function size(bytes) {
  if (typeof bytes !== "number") return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1048576) return `${(bytes / 1024).toFixed(1).replace(".", ",")} KB`;
  return `${(bytes / 1048576).toFixed(1).replace(".", ",")} MB`;
}

export function money(n) {
  return `${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".")} đồng`;
}

export const DUE_FLAGS = { overdue: "Quá hạn", soon: "Sắp đến hạn" };

export function problem(message) {
  const box = $("bo-su-co");
  box.querySelector("p").textContent = message;
  box.hidden = !message;
  if (message && box.hasAttribute("tabindex")) box.focus();
}

export function progress(text) {
  const node = $("bo-dang-tai");
  if (node) node.textContent = text || "";
}

// GOV.UK error summary: one link per problem, to its field; the message also next to the field.
// `errors`: [[input, errorNode, message], ...]
export function showErrors(errors, scope) {
  const summary = $("bo-loi");
  const list = summary.querySelector("ul");
  (scope || document).querySelectorAll(".bo-field-error").forEach((node) => {
    node.hidden = true;
    node.textContent = "";
    const field = node.closest(".bo-field");
    if (field) field.classList.remove("bo-field--error");
  });
  (scope || document).querySelectorAll("[aria-invalid]").forEach((node) => {
    node.removeAttribute("aria-invalid");
  });
  list.textContent = "";
  errors.forEach((e) => {
    const input = e[0],
      error = e[1],
      message = e[2];
    if (error) {
      error.appendChild(el("span", "Lỗi: ", { class: "bo-visually-hidden" }));
      error.appendChild(document.createTextNode(message));
      error.hidden = false;
      const field = error.closest(".bo-field");
      if (field) field.classList.add("bo-field--error");
    }
    if (input) {
      input.setAttribute("aria-invalid", "true");
      if (error && !(input.getAttribute("aria-describedby") || "").includes(error.id)) {
        const described = input.getAttribute("aria-describedby");
        input.setAttribute("aria-describedby", described ? `${described} ${error.id}` : error.id);
      }
    }
    const li = el("li"),
      a = el("a", message, { href: `#${input ? input.id : ""}` });
    a.addEventListener("click", (event) => {
      event.preventDefault();
      if (input) input.focus();
    });
    li.appendChild(a);
    list.appendChild(li);
  });
  summary.hidden = errors.length === 0;
  if (errors.length) summary.focus();
}
