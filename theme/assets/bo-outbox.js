/* can-bo/thong-bao/: an office's notifications that did not leave (GET /api/office/outbox):
   failed for good, or waiting too long, each with its last error; "Gửi lại" puts one back in the
   queue (POST /api/office/outbox/retry, with the CSRF token), says so in a status message and
   updates its row. docs/notifications.md. */
import { call, checked, failure, whoami } from "./bo-api.js";
import { $, el, problem, progress, root, when } from "./bo-util.js";

const form = $("bo-loc"),
  table = $("bo-bang"),
  done = $("bo-xong");

// Each cell names its column (data-label): on a phone the rows are shown as cards.
const COLUMNS = Array.prototype.map.call(
  table.querySelectorAll("thead th"),
  (th) => th.textContent,
);

function cells(tr, item) {
  tr.textContent = "";
  const put = (td) => {
    td.setAttribute("data-label", COLUMNS[tr.children.length]);
    tr.appendChild(td);
    return td;
  };
  put(el("td")).appendChild(
    el("a", item.code, { href: `${root}can-bo/ho-so/?ma=${encodeURIComponent(item.code)}` }),
  );
  put(el("td", item.kind_label));
  put(el("td", item.channel_label));
  put(el("td", item.to));
  const state = put(el("td", item.state_label));
  if (item.state === "pending" && item.next_at) {
    state.appendChild(el("br"));
    state.appendChild(el("span", `gửi lúc ${when(item.next_at)}`, { class: "bo-hint" }));
  }
  put(el("td", item.attempts));
  put(el("td", item.last_error || "—"));
  put(el("td", when(item.created_at)));
  const action = put(el("td"));
  if (item.state !== "sent" && !(item.state === "pending" && item.attempts === 0)) {
    const button = el("button", "Gửi lại", {
      type: "button",
      class: "md-button",
      "aria-label": `Gửi lại thông báo “${item.kind_label}” của hồ sơ ${item.code} qua ${item.channel_label}`,
    });
    button.addEventListener("click", () => retry(item, tr, button));
    action.appendChild(button);
  }
}

function retry(item, tr, button) {
  button.disabled = true;
  progress("Đang đưa thông báo vào hàng đợi…");
  call("POST", "office/outbox/retry", { id: item.id })
    .then(checked)
    .then((reply) => {
      progress("");
      if (reply.status !== 200) {
        button.disabled = false;
        problem(failure(reply));
        return;
      }
      problem("");
      cells(tr, reply.body.item);
      done.textContent = `Đã đưa thông báo “${item.kind_label}” của hồ sơ ${item.code} (${item.channel_label}) vào hàng đợi gửi lại.`;
      done.focus();
    });
}

function load(office) {
  progress("Đang tải danh sách thông báo…");
  const query = office ? `?office=${encodeURIComponent(office)}` : "";
  return call("GET", `office/outbox${query}`)
    .then(checked)
    .then((reply) => {
      progress("");
      if (reply.status !== 200) {
        problem(failure(reply));
        return;
      }
      problem("");
      const tbody = table.querySelector("tbody");
      tbody.textContent = "";
      (reply.body.items || []).forEach((item) => {
        const tr = el("tr");
        cells(tr, item);
        tbody.appendChild(tr);
      });
      $("bo-ds-trong").hidden = tbody.children.length > 0;
      table.hidden = tbody.children.length === 0;
      $("bo-danh-sach").hidden = false;
    });
}

function start(me) {
  const offices = me.offices || [];
  if (!offices.length) {
    problem("Tài khoản của bạn chưa được giao cơ quan nào. Liên hệ quản trị viên.");
    return;
  }
  const picker = $("co-quan");
  offices.forEach((o) => {
    picker.appendChild(el("option", o.name, { value: o.id }));
  });
  const wanted = new URLSearchParams(location.search).get("office");
  if (wanted && offices.some((o) => o.id === wanted)) picker.value = wanted;
  form.hidden = offices.length < 2;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `?office=${encodeURIComponent(picker.value)}`);
    done.textContent = "";
    load(picker.value).then(() => $("bo-ds-tieu-de").focus());
  });
  return load(picker.value);
}

$("bo-khong-js").hidden = true;
whoami()
  .then(start)
  .catch((error) => problem(error.message));
