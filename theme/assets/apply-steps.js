/* The steps: one per form page shown under its conditions, where to file (when more than one
   office accepts the procedure), then check your answers; the URL's hash names the step, so
   back and reload work. */
import { answers } from "./apply-answers.js";
import { receipt, save } from "./apply-draft.js";
import { clearErrors, focusField, status } from "./apply-errors.js";
import { hasOfficeStep, suggestOffice } from "./apply-office.js";
import { drawAnswers, drawReceipt, drawStart } from "./apply-review.js";
import { rules } from "./apply-state.js";
import { $ } from "./apply-util.js";

export function shownPages(s) {
  const current = answers(s);
  return s.pages.filter((page) => rules.shown({}, page, current));
}

export function stepOf(s, hash) {
  const id = (hash || "").replace(/^#/, "");
  if (id === "kiem-tra" || id === "xac-nhan" || id === "bat-dau") return id;
  if (id === "noi-nop" && hasOfficeStep()) return id;
  return s.pages.some((p) => `trang-${p.id}` === id) ? id : "bat-dau";
}

export function go(s, step) {
  if (`#${step}` === location.hash) show(s, step);
  else location.hash = step;
}

export function show(s, step) {
  if (step !== "bat-dau" && step !== "xac-nhan" && !s.draft) step = "bat-dau";
  if (step === "xac-nhan" && !receipt(s)) step = "bat-dau";
  s.app.querySelectorAll(".ap-step").forEach((s) => {
    s.hidden = s.id !== step;
  });
  // What to know before starting, and the form's scope: on the start step only.
  for (const id of ["ap-about", "ap-covers"]) if ($(id)) $(id).hidden = step !== "bat-dau";
  clearErrors(s);
  status("");
  let list = shownPages(s),
    index = -1;
  list.forEach((p, i) => {
    if (`trang-${p.id}` === step) index = i;
  });
  const progress = $("ap-progress");
  const title = $(`t-${step.replace(/^trang-/, "")}`).textContent;
  const total = list.length + (hasOfficeStep() ? 1 : 0);
  if (index >= 0) progress.textContent = `Phần ${index + 1} trên ${total}`;
  else if (step === "noi-nop") progress.textContent = `Phần ${total} trên ${total}`;
  else if (step === "kiem-tra") progress.textContent = "Bước cuối: kiểm tra và nộp";
  else progress.textContent = "";
  if (step === "noi-nop") suggestOffice(s);
  if (step === "kiem-tra") drawAnswers(s);
  if (step === "xac-nhan") drawReceipt(s, receipt(s));
  if (step === "bat-dau") drawStart(s);
  document.title = `${title} – ${s.baseTitle}`;
  if (s.draft && step !== "xac-nhan") {
    s.draft.step = step;
    save(s);
  }
  const heading = $(`t-${step.replace(/^trang-/, "")}`);
  if (s.focusAfter) {
    const id = s.focusAfter;
    s.focusAfter = null;
    return focusField(id);
  }
  if (heading && document.readyState !== "loading") heading.focus();
}

export function next(s, from) {
  let list = shownPages(s),
    index = -1;
  list.forEach((p, i) => {
    if (p.id === from) index = i;
  });
  if (s.returnToCheck || from === "noi-nop") {
    s.returnToCheck = false;
    return go(s, "kiem-tra");
  }
  if (index === list.length - 1) return go(s, hasOfficeStep() ? "noi-nop" : "kiem-tra");
  go(s, `trang-${list[index + 1].id}`);
}

export function back(s) {
  const step = stepOf(s, location.hash);
  if (step === "kiem-tra" && hasOfficeStep()) return go(s, "noi-nop");
  if (step === "kiem-tra" || step === "noi-nop") {
    const list = shownPages(s);
    return go(s, `trang-${list[list.length - 1].id}`);
  }
  let all = shownPages(s),
    index = -1;
  all.forEach((p, i) => {
    if (`trang-${p.id}` === step) index = i;
  });
  go(s, index > 0 ? `trang-${all[index - 1].id}` : "bat-dau");
}
