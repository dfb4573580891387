/* The officer API client (docs/lifecycle.md, section API): JSON in and out, the session cookie
   sent by the browser, the CSRF token from /api/office/me on every state-changing request. A 401
   on any page but the login page goes to the login page, which comes back here after. */
import { $, config, root } from "./bo-util.js";

const LOGIN = `${root}can-bo/`;
let csrf = "";

function loginUrl(next) {
  return next ? `${LOGIN}?tiep=${encodeURIComponent(next)}` : LOGIN;
}

function toLogin() {
  location.assign(loginUrl(location.pathname + location.search));
}

export function call(method, path, body, headers) {
  const options = {
    method: method,
    credentials: "same-origin",
    headers: Object.assign({ Accept: "application/json" }, headers || {}),
  };
  if (method !== "GET") {
    options.headers["Content-Type"] = "application/json";
    if (csrf) options.headers["X-CSRF-Token"] = csrf;
    options.body = JSON.stringify(body || {});
  }
  return fetch(config.api + path, options).then(
    (response) =>
      response
        .json()
        .catch(() => ({}))
        .then((json) => ({ status: response.status, body: json || {} })),
    () => ({ status: 0, body: {} }),
  );
}

export function setCsrf(token) {
  csrf = token || "";
}

// A message for an answer that is not a success, in Vietnamese.
export function failure(reply) {
  if (reply.status === 0)
    return "Không kết nối được với máy chủ. Kiểm tra kết nối mạng rồi thử lại.";
  if (reply.body?.message) return reply.body.message;
  if (reply.status === 404) return "Không tìm thấy hồ sơ, hoặc hồ sơ không thuộc cơ quan của bạn.";
  return `Máy chủ đang gặp sự cố (mã ${reply.status}). Vui lòng thử lại sau ít phút.`;
}

// The officer of this session, with the bar (name, office, log out) filled; to the login page
// when there is none.
export function whoami() {
  return call("GET", "office/me").then((reply) => {
    if (reply.status === 401) {
      toLogin();
      return new Promise(() => {});
    }
    if (reply.status !== 200) throw new Error(failure(reply));
    const me = reply.body;
    setCsrf(me.csrf);
    const bar = $("bo-bar");
    if (bar) {
      $("bo-ten").textContent = me.name || me.id || "";
      $("bo-don-vi").textContent = (me.offices || []).map((o) => o.name).join("; ");
      $("bo-dang-xuat").addEventListener("click", logout);
      bar.hidden = false;
    }
    return me;
  });
}

function logout() {
  call("POST", "office/logout", {}).then(() => {
    location.assign(`${LOGIN}?da-dang-xuat=1`);
  });
}

// After any answer: 401 means the session ended while the page was open.
export function checked(reply) {
  if (reply.status === 401) {
    toLogin();
    return new Promise(() => {});
  }
  return reply;
}
