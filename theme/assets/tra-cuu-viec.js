/* The status page's "what you must do now" (tra-cuu/): shown from the dossier tra-cuu.js looked
   up (event "tra-cuu:ho-so"), from the API's `todo` and `actions`:
     supplement  the officer's list, the files uploaded as the application form uploads them
                 (upload-file.js: a target from dossiers/<code>/supplement-uploads, then verify),
                 then POST dossiers/<code>/actions/supplement {version, data: {uploads, note}}
     payment     the amount; collect: how the result comes back
     withdraw    behind a confirmation, POST .../actions/withdraw {version, data: {reason}}
   Every request carries the lookup secret in X-Lookup-Secret, as the lookup does. The new view
   goes back to tra-cuu.js ("tra-cuu:cap-nhat"), which shows it and focuses its heading. */
import { uploadFile } from "./upload-file.js";

const byId = (id) => document.getElementById(id);
const todo = byId("tra-cuu-viec-can-lam"),
  withdrawBox = byId("tra-cuu-rut");
const supplementForm = byId("tra-cuu-bo-sung"),
  confirmForm = byId("tra-cuu-rut-xac-nhan");
const fileInput = byId("tep-bo-sung"),
  fileList = byId("tra-cuu-tep-da-tai");
const CONFLICT =
  "Hồ sơ vừa được cơ quan cập nhật nên thao tác chưa được ghi nhận. Đây là tình trạng mới nhất; hãy xem lại rồi thực hiện lại nếu vẫn cần.";
const COLLECT = {
  truc_tiep: "Mang theo giấy tờ tùy thân và mã hồ sơ đến Bộ phận Một cửa của cơ quan giải quyết.",
  buu_chinh:
    "Kết quả được gửi qua bưu chính đến địa chỉ ghi trong quá trình giải quyết bên dưới; hãy để ý điện thoại khi bưu tá liên hệ.",
  truc_tuyen: "Kết quả là bản điện tử, tải về bằng đường dẫn dưới đây.",
};
let current = null,
  secret = "",
  api = "",
  files = [];

function money(n) {
  return `${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".")} đồng`;
}

function post(path, body) {
  return fetch(api + path, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-Lookup-Secret": secret,
    },
    body: JSON.stringify(body),
  }).then(
    (r) =>
      r
        .json()
        .catch(() => ({}))
        .then((b) => ({ status: r.status, body: b || {} })),
    () => ({ status: 0, body: {} }),
  );
}

function say(message, done) {
  document.dispatchEvent(
    new CustomEvent("tra-cuu:cap-nhat", { detail: { dossier: done, message: message } }),
  );
}

function failure(reply) {
  if (reply.status === 0)
    return "Không kết nối được với hệ thống. Kiểm tra kết nối mạng rồi thử lại.";
  const fields = reply.body.fields || {};
  const first = Object.keys(fields)[0];
  return (
    (first && fields[first]) ||
    reply.body.message ||
    `Hệ thống đang gặp sự cố (mã ${reply.status}).`
  );
}

function act(action, data, done, problem) {
  return post(`dossiers/${encodeURIComponent(current.code)}/actions/${action}`, {
    version: current.version,
    data: data,
  }).then((reply) => {
    // A handed-over dossier's request is sent to the province's system: its own message.
    if (reply.status === 200) say(reply.body.message || done, reply.body);
    else if (reply.status === 409 && reply.body.dossier) say(CONFLICT, reply.body.dossier);
    else problem(failure(reply));
  });
}

// --- supplement ---------------------------------------------------------------------------------

function drawFiles() {
  fileList.textContent = "";
  files.forEach((f) => {
    const li = document.createElement("li");
    li.textContent = `${f.name}: ${f.state}`;
    if (f.error) li.className = "tthc-upload-failed";
    fileList.appendChild(li);
  });
}

function supplementErrors(message) {
  const summary = byId("tra-cuu-bo-sung-loi"),
    error = byId("tep-bo-sung-loi");
  summary.querySelector("ul").textContent = "";
  error.textContent = "";
  error.hidden = !message;
  summary.hidden = !message;
  byId("nhom-tep-bo-sung").classList.toggle("tthc-field--error", !!message);
  fileInput.setAttribute(
    "aria-describedby",
    message ? "tep-bo-sung-goi-y tep-bo-sung-loi" : "tep-bo-sung-goi-y",
  );
  if (!message) {
    fileInput.removeAttribute("aria-invalid");
    return;
  }
  fileInput.setAttribute("aria-invalid", "true");
  const prefix = document.createElement("span");
  prefix.className = "tthc-visually-hidden";
  prefix.textContent = "Lỗi: ";
  error.appendChild(prefix);
  error.appendChild(document.createTextNode(message));
  const li = document.createElement("li"),
    a = document.createElement("a");
  a.href = "#tep-bo-sung";
  a.textContent = message;
  a.addEventListener("click", (event) => {
    event.preventDefault();
    fileInput.focus();
  });
  li.appendChild(a);
  summary.querySelector("ul").appendChild(li);
  summary.focus();
}

fileInput.addEventListener("change", () => {
  Array.prototype.forEach.call(fileInput.files, (file) => {
    const entry = { name: file.name, state: "đang tải lên…" };
    files.push(entry);
    uploadFile(api, `dossiers/${encodeURIComponent(current.code)}/supplement-uploads`, file, {
      headers: { "X-Lookup-Secret": secret },
      progress: (p) => {
        entry.state = `đang tải lên ${p}%`;
        drawFiles();
      },
      waiting: () => {
        entry.state = "đang quét mã độc…";
        drawFiles();
      },
    }).then((result) => {
      if (result.key) {
        entry.key = result.key;
        entry.state = "đã tải lên";
      } else {
        entry.error = result.error;
        entry.state = `không tải lên được: ${result.error}`;
      }
      drawFiles();
    });
  });
  fileInput.value = "";
  drawFiles();
});

supplementForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (files.some((f) => !f.key && !f.error)) {
    return supplementErrors("Chờ các tệp tải lên xong rồi gửi bổ sung.");
  }
  const keys = files.filter((f) => f.key).map((f) => f.key);
  if (!keys.length) return supplementErrors("Chọn ít nhất một tệp giấy tờ bổ sung.");
  supplementErrors("");
  const note = byId("ghi-chu-bo-sung").value.trim();
  const data = note ? { uploads: keys, note: note } : { uploads: keys };
  act("supplement", data, "Đã gửi bổ sung. Cơ quan tiếp tục giải quyết hồ sơ.", supplementErrors);
});

// --- withdraw -----------------------------------------------------------------------------------

function withdrawError(message) {
  const error = byId("tra-cuu-rut-loi");
  error.textContent = message || "";
  error.hidden = !message;
}

byId("tra-cuu-rut-mo").addEventListener("click", () => {
  confirmForm.hidden = false;
  byId("tra-cuu-rut-mo").setAttribute("aria-expanded", "true");
  byId("tra-cuu-rut-hoi").focus();
});
byId("tra-cuu-rut-huy").addEventListener("click", () => {
  confirmForm.hidden = true;
  byId("tra-cuu-rut-mo").setAttribute("aria-expanded", "false");
  byId("tra-cuu-rut-mo").focus();
});
confirmForm.addEventListener("submit", (event) => {
  event.preventDefault();
  withdrawError("");
  const reason = byId("ly-do-rut").value.trim();
  act("withdraw", reason ? { reason: reason } : {}, "Đã rút hồ sơ.", withdrawError);
});

// --- a dossier was shown ------------------------------------------------------------------------

document.addEventListener("tra-cuu:ho-so", (event) => {
  const d = event.detail,
    dossier = d.dossier,
    kind = dossier.todo?.kind;
  if (!current || current.code !== dossier.code || current.version !== dossier.version) {
    files = [];
    drawFiles();
    supplementErrors("");
    supplementForm.reset();
    confirmForm.reset();
  }
  current = dossier;
  secret = d.secret || "";
  api = d.api;
  const actions = dossier.actions || [];
  todo.querySelectorAll("[data-todo]").forEach((node) => {
    node.hidden = node.getAttribute("data-todo") !== kind;
  });
  if (kind === "supplement") {
    const list = todo.querySelector(".tthc-todo-items");
    list.textContent = "";
    (dossier.todo.items || []).forEach((item) => {
      const li = document.createElement("li");
      li.textContent = item;
      list.appendChild(li);
    });
    todo.querySelector(".tthc-todo-reason").textContent = dossier.todo.reason
      ? `Lý do: ${dossier.todo.reason}`
      : "";
    supplementForm.hidden = !actions.includes("supplement");
  }
  if (kind === "payment") {
    todo.querySelector(".tthc-todo-amount").textContent =
      typeof dossier.todo.amount === "number"
        ? money(dossier.todo.amount)
        : "theo thông báo của cơ quan";
  }
  if (kind === "collect") {
    const t = dossier.todo,
      node = todo.querySelector(".tthc-todo-collect");
    node.textContent = t.method
      ? `${t.label || ""}. ${COLLECT[t.method] || ""}`
      : "Kết quả đã có. Cơ quan trả kết quả theo cách bạn chọn khi nộp hồ sơ và sẽ báo cho bạn; bạn cũng có thể hỏi Bộ phận Một cửa của cơ quan giải quyết.";
    if (t.download) {
      const link = document.createElement("a");
      link.href = t.download;
      link.textContent = "Tải kết quả điện tử";
      node.appendChild(document.createTextNode(" "));
      node.appendChild(link);
    }
  }
  todo.hidden = !kind;
  withdrawBox.hidden = !actions.includes("withdraw");
  confirmForm.hidden = true;
  byId("tra-cuu-rut-mo").setAttribute("aria-expanded", "false");
});
// tra-cuu.js may have shown a dossier before this module ran: ask for it again.
document.dispatchEvent(new CustomEvent("tra-cuu:san-sang"));
