/* The application page's state, in one object that every apply-*.js module's functions take as
   their first argument (`s`): what the page was configured with, the draft being filled, the
   files being uploaded, and where the journey is. Nothing else is shared between the modules. */
import "./apply-rules.js"; // a classic script (node runs it too): it defines window.ApplyRules
import { storage } from "./apply-util.js";

/* The rules and messages the API applies (functions/chalicelib/forms.py), from the same source. */
export const rules = window.ApplyRules;

export function createState(app, cfg) {
  const s = {
    app, // the #ap-app element: every step, form and message is inside it
    cfg, // the page's configuration (#ap-config, written by buildlib/apply.py)
    pages: cfg.pages,
    fieldsById: {}, // field id -> {item, page}
    slotsById: {}, // upload slot id -> {slot, page}
    draftKey: `motcua.nhap.${cfg.procedure}`,
    receiptKey: `motcua.bien-nhan.${cfg.procedure}`,
    store: storage(window.localStorage), // null when the browser refuses: no draft kept
    session: storage(window.sessionStorage),
    baseTitle: document.title,
    communes: {}, // province code -> {commune code: name}, loaded on demand
    files: {}, // slot id -> [{key, name, size, type, state, progress, file, error}]
    draft: null, // {v, key (the Idempotency-Key), values, files, step, saved, sent}
    lastReceipt: null, // if sessionStorage is blocked, the confirmation still shows once
    focusAfter: null, // a field to focus once its step shows (change links, error links)
    returnToCheck: false, // a change made from "check your answers" goes back there
    sending: false, // a submission is on its way
    saveTimer: null,
  };
  for (const page of s.pages) {
    for (const item of page.fields) s.fieldsById[item.id] = { item, page };
    for (const slot of page.uploads) s.slotsById[slot.id] = { slot, page };
  }
  return s;
}
