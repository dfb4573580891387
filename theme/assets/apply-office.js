/* Where to file: the office chosen on the "noi-nop" step (apply.html.j2), among the offices the
   procedure accepts (cfg.offices, from the office register); suggested from the commune of the
   form's first address when the applicant has not chosen. With one office there is no step and
   that office is the one. */
import { raw } from "./apply-answers.js";
import { $ } from "./apply-util.js";

export const OFFICE = "ap-office"; // the question's id: f-ap-office, e-ap-office, q-ap-office

export function hasOfficeStep() {
  return !!$("noi-nop");
}

export function officeId(s) {
  if (!hasOfficeStep()) return s.cfg.offices.length ? s.cfg.offices[0].id : "";
  return $(`f-${OFFICE}`).value;
}

export function chosenOffice(s) {
  const id = officeId(s);
  return s.cfg.offices.filter((o) => o.id === id)[0] || null;
}

export function setOffice(id) {
  if (hasOfficeStep()) $(`f-${OFFICE}`).value = id || "";
}

/* Nothing chosen yet: the office of the commune in the first address, if it is one of them. */
export function suggestOffice(s) {
  const note = $(`g-${OFFICE}`);
  if (!hasOfficeStep() || !s.cfg.office_from || !s.fieldsById[s.cfg.office_from]) return;
  const address = raw(s.fieldsById[s.cfg.office_from].item);
  const match = s.cfg.offices.filter(
    (o) => address.province === s.cfg.province && o.unit === address.commune,
  )[0];
  note.hidden = !match;
  if (!match) return;
  note.textContent = `Gợi ý theo địa chỉ bạn đã khai: ${match.label}. Bạn có thể chọn nơi khác.`;
  if (!officeId(s)) setOffice(match.id);
}

export function officeError(s) {
  return officeId(s) ? "" : "Chọn nơi nộp hồ sơ.";
}
