/* "Mất mã tra cứu?" on the status page (tra-cuu/): asks for a new lookup secret to be sent to the
   contact given at filing, POST <api>dossiers/resend {code}. The answer is the same whatever the
   code (docs/notifications.md), so the page only says what will happen if it was right. The
   receipt's secret keeps working. */
const byId = (id) => document.getElementById(id);
const box = byId("gui-lai"),
  form = byId("gui-lai-ma"),
  input = byId("gui-lai-ma-ho-so"),
  error = byId("gui-lai-ma-ho-so-loi"),
  group = byId("nhom-gui-lai-ma-ho-so"),
  status = byId("gui-lai-ket-qua");
const script = document.querySelector("script[data-resend-api]");
const MESSAGES = {
  empty: "Nhập mã hồ sơ ghi trên biên nhận.",
  tooMany: "Bạn đã yêu cầu nhiều lần. Vui lòng thử lại sau ít phút.",
  network: "Chưa gửi được yêu cầu: kiểm tra kết nối mạng rồi thử lại.",
  server: "Hệ thống đang gặp sự cố, chưa gửi được yêu cầu. Vui lòng thử lại sau.",
};
let pending = false;

function fieldError(message) {
  error.textContent = message || "";
  error.hidden = !message;
  group.classList.toggle("tthc-field--error", Boolean(message));
  if (message) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", `${error.id} gui-lai-ma-ho-so-goi-y`);
    input.focus();
  } else {
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "gui-lai-ma-ho-so-goi-y");
  }
}

async function send(code) {
  pending = true;
  status.textContent = "Đang gửi yêu cầu…";
  try {
    const response = await fetch(`${script.getAttribute("data-resend-api")}dossiers/resend`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ code }),
    });
    const body = await response.json().catch(() => null);
    if (response.ok && body?.message) {
      status.textContent = body.message;
    } else if (response.status === 429) {
      status.textContent = MESSAGES.tooMany;
    } else if (response.status === 422 && body?.fields?.["/code"]) {
      status.textContent = "";
      fieldError(body.fields["/code"]);
    } else {
      status.textContent = MESSAGES.server;
    }
  } catch (_e) {
    status.textContent = MESSAGES.network;
  } finally {
    pending = false;
  }
}

if (box && form && script) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (pending) return;
    const code = input.value.trim();
    fieldError(code ? "" : MESSAGES.empty);
    if (code) send(code);
  });
  box.hidden = false;
}
