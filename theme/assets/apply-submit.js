/* The submission: once per draft (its Idempotency-Key), kept and sent again as it was if the
   network failed, and the server's answers (created, errors per field, refused). */
import { answers, check } from "./apply-answers.js";
import { save } from "./apply-draft.js";
import { showErrors, status, target } from "./apply-errors.js";
import { OFFICE, officeError, officeId } from "./apply-office.js";
import { keepProfile } from "./apply-reuse.js";
import { go } from "./apply-steps.js";
import { api } from "./apply-uploads.js";
import { $, write } from "./apply-util.js";

// The optional contact for notifications (the review step's "Nhận thông báo"), or null.
const NOTIFY = ["email", "phone"];

function contact() {
  const given = {};
  NOTIFY.forEach((name) => {
    const value = $(`f-ap-notify-${name}`)?.value.trim();
    if (value) given[name] = value;
  });
  return Object.keys(given).length ? given : null;
}

export function submit(s) {
  if (s.sending) return;
  const result = check(s);
  if (officeError(s)) result.errors["/office"] = officeError(s);
  if (Object.keys(result.errors).length)
    return reportServer(s, result.errors, "Hồ sơ còn thông tin cần sửa trước khi nộp");
  const body = {
    procedure: s.cfg.procedure,
    answers: result.kept,
    uploads: result.uploads,
    office: officeId(s),
  };
  const notify = contact();
  if (notify) body.notify = notify;
  s.sending = true;
  const button = $("ap-submit");
  button.disabled = true;
  button.setAttribute("aria-disabled", "true");
  status("Đang gửi hồ sơ, vui lòng không đóng trang…");
  const attempt = (payload) => api(s, "submissions", payload, { "Idempotency-Key": s.draft.key });
  if (!s.draft.sent) {
    s.draft.sent = body;
    save(s);
  }
  attempt(body)
    .then((reply) => {
      if (reply.status === 409 && s.draft.sent) {
        // Sent earlier with other answers and that dossier exists: show it.
        return attempt(s.draft.sent).then((again) => {
          again.earlier = true;
          return again;
        });
      }
      return reply;
    })
    .then(
      (reply) => {
        s.sending = false;
        button.disabled = false;
        button.removeAttribute("aria-disabled");
        if (reply.status === 201 || reply.status === 200) return done(s, reply.body, reply.earlier);
        if (reply.status === 422) {
          s.draft.sent = null;
          save(s);
          status("");
          return reportServer(
            s,
            reply.body.fields || {},
            reply.body.message || "Máy chủ chưa nhận hồ sơ vì còn thông tin cần sửa",
          );
        }
        failed(s, reply.body.message || `Máy chủ tạm thời không nhận hồ sơ (mã ${reply.status}).`);
      },
      () => {
        s.sending = false;
        button.disabled = false;
        button.removeAttribute("aria-disabled");
        failed(s, "Mất kết nối mạng khi gửi hồ sơ.");
      },
    );
}

export function failed(s, reason) {
  status("");
  showErrors(
    s,
    [
      [
        "ap-submit",
        reason +
          " Câu trả lời và tệp của bạn vẫn được giữ nguyên. Bấm “Xác nhận và nộp hồ sơ” để gửi lại: hồ sơ sẽ không bị nộp hai lần.",
      ],
    ],
    "Chưa gửi được hồ sơ",
  );
}

export function reportServer(s, errors, heading) {
  const pairs = [];
  Object.keys(errors).forEach((pointer) => {
    const notify = /^\/notify\/(email|phone)$/.exec(pointer);
    const id = notify
      ? `ap-notify-${notify[1]}`
      : pointer === "/office" && $(`f-${OFFICE}`)
        ? OFFICE
        : target(pointer);
    const known = s.fieldsById[id] || s.slotsById[id] || id === OFFICE || notify;
    pairs.push([known ? id : "ap-submit", errors[pointer]]);
  });
  showErrors(s, pairs, heading, (id) => {
    if (id === OFFICE) return "noi-nop";
    if (id.startsWith("ap-notify-")) return ""; // on the review step, where the error shows
    const owner = s.fieldsById[id] || s.slotsById[id];
    return owner ? owner.page.id : "";
  });
}

export function done(s, result, earlier) {
  const receipt = {
    result: result,
    earlier: !!earlier,
    applicant: applicant(s),
    slots: Object.keys(result.uploads || {}),
    files: Object.keys(s.files)
      .map((slot) => {
        const count = s.files[slot].filter((f) => f.state === "done").length;
        return count ? [s.slotsById[slot].slot.label, count] : null;
      })
      .filter(Boolean),
  };
  s.lastReceipt = receipt;
  keepProfile(s, s.draft?.sent?.answers || {});
  status("");
  // Kept in this browser, across reloads and closed tabs, until the applicant says it is saved
  // ("Đã lưu, xóa khỏi máy này"); in the tab only if localStorage is refused.
  write(s.store || s.session, s.receiptKey, receipt);
  try {
    if (s.store) s.store.removeItem(s.draftKey);
  } catch (_e) {
    /* nothing to remove */
  }
  s.draft = null;
  s.files = {};
  go(s, "xac-nhan");
}

export function applicant(s) {
  let current = answers(s),
    name = "",
    phone = "";
  Object.keys(s.fieldsById).forEach((id) => {
    const item = s.fieldsById[id].item;
    if (!name && item.type === "text" && /họ.*tên/i.test(item.label) && current[id])
      name = current[id];
    if (!phone && item.type === "phone" && current[id]) phone = current[id];
  });
  return { name: name, phone: phone };
}
