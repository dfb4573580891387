/* The application journey on nop-ho-so/<code>/ (buildlib/apply.py renders the questions):
   one step per form page, a draft kept in localStorage while typing, uploads with progress to the
   signed targets the API hands out, check your answers, one submission per draft (its
   Idempotency-Key is made once), and a confirmation with a printable receipt.

   ES modules, no bundler (the page preloads every one: apply.html.j2), over one state object
   (apply-state.js):
     apply-util.js     DOM, dates, sizes, storage that may be refused
     apply-answers.js  reading and writing the questions, conditions, communes, the rules' check
     apply-errors.js   the error summary and the messages next to fields, the status line
     apply-files.js    the list of a slot's files
     apply-draft.js    the draft and the receipt in localStorage
     apply-uploads.js  choosing files, uploading them to the signed targets, the API client
     apply-review.js   check your answers, the confirmation and its printable receipt, the start
     apply-office.js   where to file: the office chosen, suggested from the address
     apply-steps.js    which step shows, moving between steps
     apply-submit.js   the submission (once per draft) and the server's answers to it
     apply-reuse.js    "Giống người nộp hồ sơ" and the profile kept on this device
   This module wires the page's events to them and shows the first step. It is started, with
   the page's configuration (cau-hinh.js beside the page, run first), by apply-load.js.
   Rules and messages: apply-rules.js, from the same source as the server's. */
import { fill, fillChoices, loadCommunes, raw, refresh } from "./apply-answers.js";
import { forgetReceipt, fresh, receipt, restore, save, saveSoon } from "./apply-draft.js";
import { focusField, showErrors, status, validatePage } from "./apply-errors.js";
import { drawFiles } from "./apply-files.js";
import { OFFICE, officeError } from "./apply-office.js";
import {
  deriveSame,
  drawProfile,
  eraseProfile,
  prefill,
  syncSame,
  toggleProfile,
  untickEdited,
} from "./apply-reuse.js";
import { drawForgotten, saveImage } from "./apply-review.js";
import { createState, rules } from "./apply-state.js";
import { back, go, next, show, shownPages, stepOf } from "./apply-steps.js";
import { submit } from "./apply-submit.js";
import { discard, draftKeys, pick, send } from "./apply-uploads.js";
import { $, read } from "./apply-util.js";

const app = document.getElementById("ap-app");
// The page's configuration, run by apply-load.js before these modules (it says so if it fails).
if (rules && app && window.applyConfig) start(createState(app, window.applyConfig));

function start(s) {
  fillChoices(s);
  s.app.addEventListener("input", (event) => {
    if (event.target.type !== "file") {
      untickEdited(s, event.target);
      syncSame(s);
      refresh(s);
      saveSoon(s);
    }
  });
  s.app.addEventListener("change", (event) => {
    const node = event.target;
    if (node.type === "file") {
      pick(s, node.name, node.files);
      node.value = "";
      return;
    }
    if (/\.province$/.test(node.name)) loadCommunes(s, node.name.replace(/\.province$/, ""));
    if (node.hasAttribute("data-same") && node.checked)
      status("Đã chép thông tin người nộp hồ sơ.");
    else untickEdited(s, node);
    syncSame(s);
    refresh(s);
    saveSoon(s);
  });
  s.app.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.target.id === "noi-nop") {
      const problem = officeError(s);
      save(s);
      if (problem) return showErrors(s, [[OFFICE, problem]]);
      return next(s, "noi-nop");
    }
    const page = s.pages.filter((p) => p.id === event.target.getAttribute("data-page"))[0];
    const found = validatePage(s, page);
    save(s);
    if (found.length) return showErrors(s, found);
    next(s, page.id);
  });
  s.app.addEventListener("click", (event) => {
    const node = event.target.closest(
      "[data-action], [data-focus], [data-change], [data-remove], [data-retry], [data-copy]",
    );
    if (!node) return;
    const action = node.getAttribute("data-action");
    if (node.hasAttribute("data-focus")) {
      event.preventDefault();
      const page = node.getAttribute("data-page");
      const step = page === "noi-nop" ? page : `trang-${page}`;
      if (page && stepOf(s, location.hash) !== step) {
        s.returnToCheck = stepOf(s, location.hash) === "kiem-tra";
        s.focusAfter = node.getAttribute("data-focus");
        return go(s, step);
      }
      return focusField(node.getAttribute("data-focus"));
    }
    if (node.hasAttribute("data-change")) {
      event.preventDefault();
      s.returnToCheck = true;
      s.focusAfter = node.getAttribute("data-change");
      return go(s, node.getAttribute("href").slice(1));
    }
    if (node.hasAttribute("data-remove") || node.hasAttribute("data-retry")) {
      const slot = node.getAttribute("data-remove") || node.getAttribute("data-retry");
      const entry = s.files[slot][+node.getAttribute("data-index")];
      if (node.hasAttribute("data-retry")) return send(s, slot, entry);
      s.files[slot].splice(s.files[slot].indexOf(entry), 1);
      discard(s, s.draft?.key, [entry.key]);
      drawFiles(s, slot);
      save(s);
      status(`Đã xóa tệp ${entry.name}.`);
      return $(`f-${slot}`).focus();
    }
    if (node.hasAttribute("data-copy")) {
      const from = raw(s.fieldsById[node.getAttribute("data-copy")].item);
      fill(s, s.fieldsById[node.getAttribute("data-to")].item, from);
      saveSoon(s);
      return status("Đã chép địa chỉ.");
    }
    if (action === "start" || action === "restart") {
      const saved = read(s.store, s.draftKey) || s.draft;
      if (saved) discard(s, saved.key, draftKeys(saved));
      fresh(s);
      const filled = prefill(s);
      syncSame(s);
      refresh(s);
      if (filled) save(s);
      s.prefilled = filled ? `trang-${shownPages(s)[0].id}` : "";
      return go(s, `trang-${shownPages(s)[0].id}`);
    }
    if (action === "resume") {
      restore(s, read(s.store, s.draftKey));
      deriveSame(s);
      return go(
        s,
        s.draft.step && s.draft.step !== "bat-dau" ? s.draft.step : `trang-${shownPages(s)[0].id}`,
      );
    }
    if (action === "back") {
      event.preventDefault();
      s.returnToCheck = false;
      return back(s);
    }
    if (action === "submit") return submit(s);
    if (action === "profile-show") return toggleProfile(node);
    if (action === "profile-erase") {
      eraseProfile(s);
      return $("t-bat-dau").focus();
    }
    if (action === "print") return window.print();
    if (action === "save-image") return saveImage(s, receipt(s));
    if (action === "forget-receipt") {
      const code = receipt(s).result.code;
      forgetReceipt(s);
      drawForgotten(s, code);
      status("Đã xóa biên nhận và mã tra cứu khỏi máy này.");
      return $("t-xac-nhan").focus();
    }
  });
  window.addEventListener("hashchange", () => {
    show(s, stepOf(s, location.hash));
    $("ap-prefilled").hidden = !s.prefilled || stepOf(s, location.hash) !== s.prefilled;
  });
  window.addEventListener("pagehide", () => save(s));

  // A reload mid-form comes back to the same step with the draft; a new visit offers to resume.
  s.app.hidden = false;
  $("ap-nojs").hidden = true;
  const saved = read(s.store, s.draftKey),
    step = stepOf(s, location.hash);
  if (saved && step !== "bat-dau" && step !== "xac-nhan") {
    restore(s, saved);
    deriveSame(s);
  }
  drawProfile(s);
  show(s, step);
  if (!s.store)
    status(
      "Trình duyệt đang chặn lưu trữ trên thiết bị: bản nháp sẽ không được lưu nếu bạn đóng trang.",
    );
}
