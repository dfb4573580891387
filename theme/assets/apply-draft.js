/* The draft kept in localStorage while typing (answers and uploaded files), and the receipt of
   the last submission kept in sessionStorage. */
import { fill, loadCommunes, raw, refresh } from "./apply-answers.js";
import { drawFiles } from "./apply-files.js";
import { officeId, setOffice } from "./apply-office.js";
import { newKey, read, write } from "./apply-util.js";

export function save(s) {
  if (!s.draft) return;
  const values = {};
  Object.keys(s.fieldsById).forEach((id) => {
    values[id] = raw(s.fieldsById[id].item);
  });
  s.draft.values = values;
  s.draft.office = officeId(s);
  s.draft.files = {};
  Object.keys(s.files).forEach((slot) => {
    s.draft.files[slot] = s.files[slot]
      .filter((f) => f.state === "done")
      .map((f) => ({ key: f.key, name: f.name, size: f.size }));
  });
  s.draft.saved = new Date().toISOString();
  write(s.store, s.draftKey, s.draft);
}

export function saveSoon(s) {
  clearTimeout(s.saveTimer);
  s.saveTimer = setTimeout(() => save(s), 300);
}

export function restore(s, saved) {
  s.draft = saved;
  Object.keys(saved.values || {}).forEach((id) => {
    if (s.fieldsById[id]) fill(s, s.fieldsById[id].item, saved.values[id]);
  });
  setOffice(saved.office);
  s.files = {};
  Object.keys(saved.files || {}).forEach((slot) => {
    if (!s.slotsById[slot]) return;
    s.files[slot] = saved.files[slot].map((f) => ({
      key: f.key,
      name: f.name,
      size: f.size,
      state: "done",
      progress: 100,
    }));
    drawFiles(s, slot);
  });
  refresh(s);
}

export function fresh(s) {
  s.draft = { v: 1, key: newKey(), values: {}, files: {}, step: "", saved: null };
  s.files = {};
  s.app.querySelectorAll("form").forEach((form) => {
    form.reset();
  });
  Object.keys(s.fieldsById).forEach((id) => {
    if (s.fieldsById[id].item.type === "address") loadCommunes(s, id);
  });
  for (const slot of Object.keys(s.slotsById)) drawFiles(s, slot);
  refresh(s);
  save(s);
}

export function receipt(s) {
  return read(s.store, s.receiptKey) || read(s.session, s.receiptKey) || s.lastReceipt;
}

/* "Đã lưu, xóa khỏi máy này": the receipt (and its secret) leaves this browser. */
export function forgetReceipt(s) {
  for (const backend of [s.store, s.session]) {
    try {
      if (backend) backend.removeItem(s.receiptKey);
    } catch (_e) {
      /* nothing to remove */
    }
  }
  s.lastReceipt = null;
}
