/* can-bo/: an officer logs in. Errors next to the fields and in the summary; a wrong name or
   password get one answer (401), repeated failures lock the account for a while (429). After
   logging in: back to the page that sent here (?tiep=, only a back office page), else the queue. */
import { call, failure, setCsrf } from "./bo-api.js";
import { $, param, progress, root, showErrors } from "./bo-util.js";

const form = $("bo-dang-nhap");
const user = $("ten-dang-nhap"),
  password = $("mat-khau");
const MESSAGES = {
  user: "Nhập tên đăng nhập.",
  password: "Nhập mật khẩu.",
  failed: "Tên đăng nhập hoặc mật khẩu không đúng.",
  locked:
    "Tài khoản tạm khóa vì đăng nhập sai nhiều lần. Hãy thử lại sau ít phút, hoặc đề nghị quản trị viên mở khóa.",
};

function next() {
  const target = param("tiep");
  // Only a page of the back office on this site: never an address someone else chose.
  if (/^\/[^/\\]/.test(target) && target.includes("/can-bo/") && !target.includes("//")) {
    return new URL(target, location.href).href;
  }
  return `${root}can-bo/hang-doi/`;
}

function submit(event) {
  event.preventDefault();
  const errors = [];
  if (!user.value.trim()) errors.push([user, $("ten-dang-nhap-loi"), MESSAGES.user]);
  if (!password.value) errors.push([password, $("mat-khau-loi"), MESSAGES.password]);
  showErrors(errors, form);
  if (errors.length) return;
  progress("Đang đăng nhập…");
  call("POST", "office/login", { username: user.value.trim(), password: password.value }).then(
    (reply) => {
      progress("");
      if (reply.status === 200) {
        setCsrf(reply.body.csrf);
        location.assign(next());
        return;
      }
      password.value = "";
      if (reply.status === 401) {
        showErrors([[user, $("ten-dang-nhap-loi"), MESSAGES.failed]], form);
      } else if (reply.status === 429) {
        const message = reply.body?.message || MESSAGES.locked;
        showErrors([[user, $("ten-dang-nhap-loi"), message]], form);
      } else {
        showErrors([[null, null, failure(reply)]], form);
      }
    },
  );
}

if (form) {
  $("bo-khong-js").hidden = true;
  if (param("da-dang-xuat")) $("bo-thong-bao").textContent = "Bạn đã đăng xuất.";
  form.addEventListener("submit", submit);
  form.hidden = false;
  user.focus();
}
