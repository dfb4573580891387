/* Typing less: "Giống người nộp hồ sơ" on the pages of a person who may be the requester (the
   form's `same_as`), and the profile the applicant may choose to keep on this device (name, ID
   number, phone, address) to fill the next application. The profile lives only in this
   browser's localStorage: it is written after a submission the applicant asked it for, read
   when a new application starts, and never sent anywhere (catalogue/du-lieu-ca-nhan.md). */
import { answers, communeName, fill, raw } from "./apply-answers.js";
import { status } from "./apply-errors.js";
import { rules } from "./apply-state.js";
import { $, el, read, write } from "./apply-util.js";

export const PROFILE_KEY = "motcua.ho-so-ca-nhan";
// The profile's parts, each the requester's question of that kind: the first of the form (the
// requester comes first in every form; the API names the applicant with the same name rule).
const NAME_LABEL = /họ.*tên/i;
const PARTS = [
  ["name", "Họ và tên", (item) => item.type === "text" && NAME_LABEL.test(item.label)],
  ["id", "Số định danh cá nhân", (item) => item.type === "cccd"],
  ["phone", "Số điện thoại", (item) => item.type === "phone"],
  ["address", "Địa chỉ", (item) => item.type === "address"],
];

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function blank(value) {
  return !value || (typeof value === "object" && !value.province && !value.street);
}

/* --- "Giống người nộp hồ sơ" ------------------------------------------------------------ */

function samePages(s) {
  return s.pages.filter((page) => page.same_as);
}

function setAnswer(s, id, value) {
  const item = s.fieldsById[id].item;
  if (!same(raw(item), value)) fill(s, item, value);
}

function copy(s, rule) {
  Object.keys(rule.values || {}).forEach((id) => {
    setAnswer(s, id, String(rule.values[id]));
  });
  Object.keys(rule.fields).forEach((id) => {
    setAnswer(s, id, raw(s.fieldsById[rule.fields[id]].item));
  });
}

/* Shows each box where its condition holds, and keeps the ticked ones' answers in step with
   the requester's: called on every change of the form. */
export function syncSame(s) {
  const current = answers(s);
  samePages(s).forEach((page) => {
    const box = $(`f-same-${page.id}`);
    const offered = rules.shown({ when: page.same_as.when }, {}, current);
    $(`q-same-${page.id}`).hidden = !offered;
    if (!offered) box.checked = false;
    if (box.checked) copy(s, page.same_as);
  });
}

/* An answer typed into a copied question: the person is no longer "the same", so the box
   unticks and says so. */
export function untickEdited(s, node) {
  const id = (node.name || "").replace(/\.(province|commune|street)$/, "");
  samePages(s).forEach((page) => {
    const box = $(`f-same-${page.id}`);
    if (
      box.checked &&
      (page.same_as.fields[id] !== undefined || id in (page.same_as.values || {}))
    ) {
      box.checked = false;
      status("Đã bỏ chọn “Giống người nộp hồ sơ” vì bạn sửa thông tin ở trang này.");
    }
  });
}

/* A restored draft: a box is ticked again where every copied answer still matches. */
export function deriveSame(s) {
  samePages(s).forEach((page) => {
    const rule = page.same_as;
    const ids = Object.keys(rule.fields);
    const sources = ids.map((id) => raw(s.fieldsById[rule.fields[id]].item));
    $(`f-same-${page.id}`).checked =
      sources.some((v) => !blank(v)) &&
      ids.every((id, i) => same(raw(s.fieldsById[id].item), sources[i]));
  });
  syncSame(s);
}

/* --- the profile kept on this device ------------------------------------------------------- */

function profileFields(s) {
  const found = {};
  Object.keys(s.fieldsById).forEach((id) => {
    const item = s.fieldsById[id].item;
    PARTS.forEach(([part, , matches]) => {
      if (!found[part] && matches(item)) found[part] = item;
    });
  });
  return found;
}

export function profile(s) {
  return read(s.store, PROFILE_KEY);
}

/* After a submission, if the applicant ticked "Ghi nhớ": the requester's answers, as sent. */
export function keepProfile(s, sent) {
  if (!$("f-ap-remember")?.checked || !s.store) return;
  const fields = profileFields(s);
  const kept = { v: 1, saved: new Date().toISOString() };
  PARTS.forEach(([part]) => {
    const item = fields[part];
    if (item && sent[item.id] !== undefined) kept[part] = sent[item.id];
  });
  if (kept.address) kept.addressText = communeName(s, kept.address);
  write(s.store, PROFILE_KEY, kept);
}

/* A new application: the profile's values go into the requester's empty questions (and the
   choice that asks for a question, such as "Loại giấy tờ" for the ID number). */
export function prefill(s) {
  const kept = profile(s);
  if (!kept) return false;
  const fields = profileFields(s);
  let filled = false;
  PARTS.forEach(([part]) => {
    const item = fields[part];
    if (!item || kept[part] === undefined || !blank(raw(item))) return;
    if (item.when && s.fieldsById[item.when.field]) {
      const control = s.fieldsById[item.when.field].item;
      if (blank(raw(control))) fill(s, control, String(item.when.in[0]));
    }
    fill(s, item, kept[part]);
    filled = true;
  });
  return filled;
}

export function drawProfile(s) {
  const kept = profile(s);
  $("ap-profile").hidden = !kept;
  const remember = $("f-ap-remember");
  if (remember) remember.checked = !!kept;
  const list = $("ap-profile-list");
  list.textContent = "";
  if (!kept) return;
  PARTS.forEach(([part, label]) => {
    const value = part === "address" ? kept.addressText : kept[part];
    if (value) list.append(el("dt", { text: label }), el("dd", { text: value }));
  });
}

export function toggleProfile(button) {
  const list = $("ap-profile-list");
  list.hidden = !list.hidden;
  button.setAttribute("aria-expanded", String(!list.hidden));
  button.textContent = list.hidden ? "Xem thông tin đã lưu" : "Ẩn thông tin đã lưu";
}

export function eraseProfile(s) {
  try {
    if (s.store) s.store.removeItem(PROFILE_KEY);
  } catch (_e) {
    /* nothing to remove */
  }
  drawProfile(s);
  status("Đã xóa thông tin đã lưu khỏi thiết bị này.");
}
