/* Errors as the GOV.UK pattern shows them: a summary on top whose links go to the field (on
   another step if need be), a message next to each field; and the page's status line. */
import { answers, check } from "./apply-answers.js";
import { rules } from "./apply-state.js";
import { $, el } from "./apply-util.js";

export function status(text) {
  $("ap-status").textContent = text;
}

export function target(pointer) {
  const parts = pointer.split("/");
  return parts[2] ? decodeURIComponent(parts[2].replace(/~1/g, "/").replace(/~0/g, "~")) : "";
}

export function clearErrors(s) {
  const summary = $("ap-errors");
  summary.hidden = true;
  summary.textContent = "";
  s.app.querySelectorAll(".ap-error").forEach((p) => {
    p.hidden = true;
    p.textContent = "";
  });
  s.app.querySelectorAll(".ap-field--error").forEach((q) => {
    q.classList.remove("ap-field--error");
  });
  s.app.querySelectorAll("[aria-invalid]").forEach((i) => {
    i.removeAttribute("aria-invalid");
  });
  document.title = document.title.replace(/^Lỗi: /, "");
}

// errors: [[field or slot id, message]]; links go to the field (on another step: `onPage`).
export function showErrors(s, errors, heading, onPage) {
  clearErrors(s);
  const summary = $("ap-errors");
  const list = el("ul", { class: "ap-summary__list" });
  errors.forEach((pair) => {
    const id = pair[0],
      message = pair[1];
    const link = el("a", { href: `#f-${id}`, "data-focus": id, text: message });
    if (onPage?.(id)) link.setAttribute("data-page", onPage(id));
    list.appendChild(el("li", {}, [link]));
    const slot = $(`e-${id}`);
    if (slot) {
      slot.textContent = "";
      slot.appendChild(el("span", { class: "ap-visually-hidden", text: "Lỗi: " }));
      slot.appendChild(document.createTextNode(message));
      slot.hidden = false;
      $(`q-${id}`).classList.add("ap-field--error");
      $(`q-${id}`)
        .querySelectorAll("input, select, textarea")
        .forEach((input) => {
          if (input.type !== "radio") input.setAttribute("aria-invalid", "true");
          const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
          if (ids.indexOf(`e-${id}`) < 0)
            input.setAttribute("aria-describedby", ids.concat(`e-${id}`).join(" "));
        });
    }
  });
  summary.appendChild(el("h2", { class: "ap-summary__title", text: heading || "Có lỗi cần sửa" }));
  summary.appendChild(list);
  summary.hidden = false;
  document.title = `Lỗi: ${document.title.replace(/^Lỗi: /, "")}`;
  summary.focus();
}

// A slot that now has its file: its error (and its line in the summary) goes away.
export function clearError(id) {
  const slot = $(`e-${id}`);
  if (slot) {
    slot.hidden = true;
    slot.textContent = "";
  }
  if ($(`q-${id}`)) $(`q-${id}`).classList.remove("ap-field--error");
  const summary = $("ap-errors");
  summary.querySelectorAll(`[data-focus="${id}"]`).forEach((a) => {
    a.parentNode.remove();
  });
  if (!summary.querySelector("li")) {
    summary.hidden = true;
    summary.textContent = "";
  }
}

export function focusField(id) {
  const node = $(`f-${id}`) || $(id) || $(`q-${id}`);
  if (!node) return;
  node.scrollIntoView({ block: "center" });
  node.focus();
}

export function validatePage(s, page) {
  const result = check(s),
    found = [];
  const current = result.kept;
  page.fields.forEach((item) => {
    const message = result.errors[`/answers/${item.id}`];
    if (message && rules.shown(item, page, answers(s))) found.push([item.id, message]);
  });
  page.uploads.forEach((slot) => {
    const message = result.errors[`/uploads/${slot.id}`];
    if (message && rules.shown(slot, page, current)) found.push([slot.id, message]);
  });
  return found;
}
