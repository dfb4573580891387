/* can-bo/ho-so/?ma=<code>: one dossier (GET /api/office/dossiers/<code>): its facts, the actions
   this officer may take now (each a form in the page, dossier.html.j2), the answers, each file
   (size, SHA-256, a download through a short-lived link), the timeline and the printable forms.
   An action posts {version, data}; the answer is the new view. A 409 version_conflict means
   someone acted first: the fresh view (in the error) replaces this one and the officer is told.
   A dossier handed over to a province's system (`handed_over`) has no action: the page says
   where it went. Focus: the chosen form's heading, then the result message (or the first
   error). */
import { call, checked, failure, whoami } from "./bo-api.js";
import { describe } from "./bo-describe.js";
import {
  $,
  config,
  DUE_FLAGS,
  el,
  param,
  problem,
  progress,
  root,
  showErrors,
  size,
  when,
} from "./bo-util.js";
import { uploadFile } from "./upload-file.js";

const code = param("ma");
const box = $("bo-ho-so");
let view = null,
  csrfHeaders = {};
const CONFLICT =
  "Hồ sơ vừa được người khác xử lý. Trang đã tải lại thông tin mới nhất; hãy kiểm tra rồi thực hiện lại nếu vẫn cần.";

function fill(name, content) {
  const node = box.querySelector(`[data-f="${name}"]`);
  node.textContent = "";
  if (content && typeof content === "object") node.appendChild(content);
  else node.textContent = content || "—";
}

function printHref(form, seq) {
  return `${root}can-bo/in/?ma=${encodeURIComponent(view.code)}&mau=${form}${seq ? `&su-kien=${seq}` : ""}`;
}

function answerText(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return value.map(answerText).join(", ");
  if (typeof value === "object") {
    if (value.text) return String(value.text);
    return (
      ["street", "commune_name", "province_name"]
        .map((k) => value[k])
        .filter(Boolean)
        .join(", ") || Object.values(value).map(answerText).filter(Boolean).join(", ")
    );
  }
  if (value === true) return "Có";
  if (value === false) return "Không";
  return String(value);
}

// The answers as [label, value, raw] (the API labels them; a list or a map both read).
function answers() {
  const a = view.answers || [];
  if (Array.isArray(a)) return a.map((x) => [x.label || x.id, x.text || answerText(x.value), x]);
  return Object.keys(a).map((k) => {
    const x = a[k];
    return x && typeof x === "object" && "label" in x
      ? [x.label, answerText(x.value), x]
      : [k, answerText(x), x];
  });
}

// The applicant's address from the answers, for a result sent by post: the first answer to an
// address question (its value has a commune), else the first labelled as an address.
function address() {
  const all = answers().filter((a) => a[1]);
  const found =
    all.filter((a) => a[2] && typeof a[2].value === "object" && a[2].value?.commune)[0] ||
    all.filter((a) => /^địa chỉ/i.test(a[0]))[0];
  return found ? found[1] : "";
}

function clock() {
  if (view.clock_stopped_at) {
    const since = ` từ ${when(view.clock_stopped_at)}`;
    return ` (thời hạn đang tạm dừng${since}, chờ người nộp)`;
  }
  return "";
}

function facts() {
  const status = el("span", view.status_label || config.statuses[String(view.status)]);
  fill("status", status);
  if (view.outcome && config.outcomes[view.outcome]) {
    status.appendChild(document.createTextNode(` — ${config.outcomes[view.outcome]}`));
  }
  fill(
    "handled",
    view.handed_over ? view.handed_over.name : "Tại cơ quan, trên trang cán bộ MotCua",
  );
  const handed = $("bo-ban-giao");
  handed.hidden = !view.handed_over;
  handed.textContent = view.handed_over ? view.handed_over.message : "";
  fill("procedure", `${view.procedure_name || ""} (${view.procedure})`);
  fill("applicant", view.applicant);
  fill("office", view.office ? view.office.name : "");
  fill("unit", view.unit_label || config.units[view.unit] || "Chưa tiếp nhận");
  fill("submitted", when(view.received_at));
  const received = (view.timeline || []).filter((s) => s.action === "receive")[0];
  fill("received", when(view.accepted_at || received?.at) || "Chưa tiếp nhận");
  const due = el(
    "span",
    view.due_at
      ? when(view.due_at) + (view.status === 1 ? " (dự kiến; tính lại khi tiếp nhận)" : clock())
      : "Chưa có (tính khi tiếp nhận)",
  );
  if (view.due_flag && DUE_FLAGS[view.due_flag]) {
    due.appendChild(document.createTextNode(" "));
    due.appendChild(
      el("span", DUE_FLAGS[view.due_flag], { class: `bo-flag bo-flag--${view.due_flag}` }),
    );
  }
  fill("due", due);
}

function actionNames() {
  return (view.actions || []).map((a) => (typeof a === "string" ? a : a.name));
}

function buttons() {
  const list = $("bo-nut");
  list.textContent = "";
  const names = actionNames().filter((n) => $(`tt-${n}`));
  names.forEach((name) => {
    const spec = (view.actions || []).filter((a) => a.name === name)[0] || {};
    const button = el("button", spec.label || config.actions[name].label, {
      type: "button",
      class: "md-button",
      "aria-controls": `tt-${name}`,
      "aria-expanded": "false",
      "data-open": name,
    });
    const li = el("li");
    li.appendChild(button);
    list.appendChild(li);
  });
  $("bo-khong-thao-tac").hidden = names.length > 0;
  document.querySelectorAll("form.bo-action").forEach((f) => {
    f.hidden = true;
  });
}

function open(name) {
  document.querySelectorAll("form.bo-action").forEach((f) => {
    f.hidden = f.getAttribute("data-action") !== name;
  });
  document.querySelectorAll("[data-open]").forEach((b) => {
    b.setAttribute("aria-expanded", String(b.getAttribute("data-open") === name));
  });
  const form = $(`tt-${name}`);
  prepare(name, form);
  showErrors([], form);
  form.querySelector("h3").focus();
}

function itemLine(list, value) {
  const li = el("li", null, { class: "bo-item-line" });
  const n = list.children.length + 1;
  const input = el("input", null, {
    type: "text",
    id: `request_supplement-items-${n}`,
    "aria-label": `Giấy tờ cần bổ sung, dòng ${n}`,
    autocomplete: "off",
  });
  input.value = value || "";
  const remove = el("button", "Xóa dòng", {
    type: "button",
    class: "bo-link",
    "aria-label": `Xóa dòng ${n}`,
  });
  remove.addEventListener("click", () => {
    if (list.children.length > 1) {
      li.remove();
      list.querySelector("input").focus();
    } else {
      input.value = "";
      input.focus();
    }
  });
  li.appendChild(input);
  li.appendChild(remove);
  list.appendChild(li);
  return input;
}

// What a form starts with: one empty line of the supplement list, the fee the catalogue
// publishes, the address from the answers.
function prepare(name, form) {
  if (form.getAttribute("data-ready") === String(view.version)) return;
  form.reset();
  form.setAttribute("data-ready", String(view.version));
  if (name === "request_supplement") {
    const list = form.querySelector(".bo-item-lines");
    list.textContent = "";
    itemLine(list, "");
  }
  if (name === "request_payment") {
    const amount = $("request_payment-amount"),
      fee = view.rules?.fee;
    amount.value = fee ? String(fee) : "";
    amount.readOnly = !!fee;
  }
  if (name === "return_result") {
    $("return_result-address").value = address();
    form.removeAttribute("data-result-key");
    $("return_result-result_file-trang-thai").textContent = "";
    toggleMethod(form);
  }
}

function toggleMethod(form) {
  const method = form.querySelector("input[name=method]:checked")?.value;
  form.querySelectorAll("[data-when]").forEach((node) => {
    node.hidden = node.getAttribute("data-when") !== method;
  });
}

function value(form, name) {
  const node = form.elements[name];
  return node ? String(node.value || "").trim() : "";
}

// The action's data from its form, or the errors to show before asking the API.
function collect(name, form) {
  const data = {},
    errors = [];
  const need = (field, message) => {
    const v = value(form, field);
    if (v) data[field] = v;
    else errors.push([$(`${name}-${field}`), $(`${name}-${field}-loi`), message]);
  };
  const optional = (field) => {
    const v = value(form, field);
    if (v) data[field] = v;
  };
  if (name === "refuse" || name === "stop") need("reason", "Nhập lý do.");
  if (name === "request_supplement") {
    const items = Array.prototype.map
      .call(form.querySelectorAll(".bo-item-lines input"), (i) => i.value.trim())
      .filter(Boolean);
    if (items.length) data.items = items;
    else
      errors.push([
        form.querySelector(".bo-item-lines input"),
        $("request_supplement-items-loi"),
        "Liệt kê ít nhất một giấy tờ cần bổ sung.",
      ]);
    optional("reason");
  }
  if (name === "transfer") need("to_unit", "Chọn bộ phận nhận hồ sơ.");
  if (name === "request_payment") {
    const digits = value(form, "amount").replace(/[.\s]/g, "");
    if (/^\d+$/.test(digits) && +digits > 0) data.amount = +digits;
    else
      errors.push([
        $("request_payment-amount"),
        $("request_payment-amount-loi"),
        "Nhập số tiền bằng chữ số, ví dụ 15000.",
      ]);
  }
  if (name === "return_result") {
    const method = form.querySelector("input[name=method]:checked")?.value;
    if (!method)
      errors.push([
        $("return_result-method-truc_tiep"),
        $("return_result-method-loi"),
        "Chọn cách trả kết quả.",
      ]);
    else data.method = method;
    if (method === "buu_chinh") need("address", "Nhập địa chỉ nhận kết quả qua bưu chính.");
    if (method === "truc_tuyen") {
      const key = form.getAttribute("data-result-key");
      if (key) data.result_file = key;
      else
        errors.push([
          $("return_result-result_file"),
          $("return_result-result_file-loi"),
          "Tải lên tệp kết quả điện tử.",
        ]);
    }
  }
  if (name === "extend") {
    const day = value(form, "new_due_at");
    if (!day)
      errors.push([$("extend-new_due_at"), $("extend-new_due_at-loi"), "Chọn ngày hẹn mới."]);
    else {
      const time = view.due_at ? when(view.due_at).slice(11) : "17:00";
      data.new_due_at = `${day}T${time}:00+07:00`;
    }
    need("reason", "Nêu lý do chậm trễ.");
  }
  if (["transfer", "request_payment", "confirm_payment", "done", "return_result"].includes(name))
    optional("note");
  return { data: data, errors: errors };
}

// The API's field errors (JSON pointers such as /items/0) next to this form's fields.
function serverErrors(name, form, fields) {
  const errors = Object.keys(fields).map((pointer) => {
    const field = pointer.split("/")[1] || "";
    let input = $(`${name}-${field}`);
    if (field === "items") input = form.querySelector(".bo-item-lines input");
    if (field === "method") input = $("return_result-method-truc_tiep");
    return [input, $(`${name}-${field}-loi`), fields[pointer]];
  });
  showErrors(errors, form);
}

function act(name, form) {
  const found = collect(name, form);
  if (found.errors.length) return showErrors(found.errors, form);
  showErrors([], form);
  progress("Đang gửi…");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  call("POST", `office/dossiers/${encodeURIComponent(code)}/actions/${name}`, {
    version: view.version,
    data: found.data,
  })
    .then(checked)
    .then((reply) => {
      progress("");
      button.disabled = false;
      const body = reply.body || {};
      if (reply.status === 200) {
        render(body);
        const spec = config.actions[name];
        const done = $("bo-xong");
        done.textContent = `Đã thực hiện: ${spec.label}. `;
        if (spec.form) {
          done.appendChild(
            el("a", `In ${config.forms[spec.form]} (Mẫu ${spec.form})`, {
              href: printHref(spec.form),
            }),
          );
        }
        done.focus();
      } else if (reply.status === 409 && body.code === "version_conflict") {
        if (body.dossier) render(body.dossier);
        else load();
        problem(CONFLICT);
      } else if (body.fields && Object.keys(body.fields).length) {
        serverErrors(name, form, body.fields);
      } else {
        showErrors([[null, null, failure(reply)]], form);
      }
    });
}

function answersList() {
  const list = $("bo-tra-loi");
  list.textContent = "";
  answers().forEach((a) => {
    list.appendChild(el("dt", a[0]));
    list.appendChild(el("dd", a[1] || "—"));
  });
}

function download(file, index, button) {
  const route =
    file.download || `office/dossiers/${encodeURIComponent(code)}/files/${file.n ?? index}`;
  const path = /^(\/|https?:)/.test(route) ? route : config.api + route;
  button.disabled = true;
  fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) =>
      r.json().then(
        (b) => ({ status: r.status, body: b }),
        () => ({ status: r.status, body: {} }),
      ),
    )
    .then(checked)
    .then(
      (reply) => {
        button.disabled = false;
        if (reply.status === 200 && reply.body.url) location.assign(reply.body.url);
        else problem(failure(reply));
      },
      () => {
        button.disabled = false;
        problem(failure({ status: 0, body: {} }));
      },
    );
}

function files() {
  const tbody = $("bo-tep").querySelector("tbody"),
    list = view.files || [];
  tbody.textContent = "";
  list.forEach((file, index) => {
    const tr = el("tr");
    tr.appendChild(el("td", file.label || file.slot || file.key));
    tr.appendChild(el("td", size(file.size)));
    const hash = el("td", null, { class: "bo-hash" });
    hash.appendChild(el("code", file.sha256 || ""));
    tr.appendChild(hash);
    const cell = el("td"),
      button = el("button", "Tải về", {
        type: "button",
        class: "md-button",
        "aria-label": `Tải về: ${file.label || file.slot || ""} (tệp ${index + 1})`,
      });
    button.addEventListener("click", () => download(file, index, button));
    cell.appendChild(button);
    tr.appendChild(cell);
    tbody.appendChild(tr);
  });
  $("bo-khong-tep").hidden = list.length > 0;
  $("bo-tep").hidden = list.length === 0;
}

function timeline() {
  const tbody = $("bo-qua-trinh").querySelector("tbody");
  tbody.textContent = "";
  (view.timeline || []).forEach((step) => {
    const tr = el("tr");
    const time = el("td");
    time.appendChild(el("time", when(step.at), { datetime: step.at || "" }));
    tr.appendChild(time);
    tr.appendChild(el("td", step.label || config.actions[step.action]?.label || "Nộp hồ sơ"));
    tr.appendChild(el("td", step.status_label || config.statuses[String(step.status)] || ""));
    tr.appendChild(el("td", step.unit_label || config.units[step.unit] || ""));
    tr.appendChild(el("td", step.actor?.name || step.actor_name || ""));
    tr.appendChild(el("td", describe(step, config)));
    tbody.appendChild(tr);
  });
}

// The forms issued so far (one per event that issued one: `printable`), and the control slip.
function printable() {
  const list = $("bo-in");
  list.textContent = "";
  const issued = (view.printable || []).map((p) => (typeof p === "string" ? { form: p } : p));
  if (!issued.length) {
    (view.timeline || []).forEach((step) => {
      const form = config.actions[step.action]?.form;
      if (form) issued.push({ form: form, seq: step.seq });
    });
  }
  if (!issued.some((p) => p.form === "06")) issued.push({ form: "06" });
  issued.forEach((p) => {
    const li = el("li"),
      suffix = p.seq ? ` (thao tác số ${p.seq})` : "";
    const text = `Mẫu ${p.form}: ${config.forms[p.form] || p.label}${suffix}`;
    li.appendChild(el("a", text, { href: printHref(p.form, p.seq) }));
    list.appendChild(li);
  });
}

function render(fresh) {
  view = fresh;
  $("bo-tieu-de").textContent = `Hồ sơ ${view.code}`;
  document.title = `Hồ sơ ${view.code} | Bộ phận Một cửa`;
  facts();
  buttons();
  answersList();
  files();
  timeline();
  printable();
  problem("");
  $("bo-xong").textContent = "";
  box.hidden = false;
}

function load() {
  progress("Đang tải hồ sơ…");
  return call("GET", `office/dossiers/${encodeURIComponent(code)}`)
    .then(checked)
    .then((reply) => {
      progress("");
      if (reply.status === 200) render(reply.body);
      else {
        box.hidden = true;
        $("bo-tieu-de").textContent = "Không mở được hồ sơ";
        problem(failure(reply));
      }
    });
}

function start(me) {
  csrfHeaders = { "X-CSRF-Token": me.csrf || "" };
  $("bo-nut").addEventListener("click", (event) => {
    const button = event.target.closest("[data-open]");
    if (button) open(button.getAttribute("data-open"));
  });
  document.querySelectorAll("form.bo-action").forEach((form) => {
    const name = form.getAttribute("data-action");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      act(name, form);
    });
    form.querySelector("[data-cancel]").addEventListener("click", () => {
      form.hidden = true;
      const opener = document.querySelector(`[data-open="${name}"]`);
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    });
  });
  $("bo-nut")
    .parentNode.querySelector("[data-add-item]")
    .addEventListener("click", () => {
      itemLine($("tt-request_supplement").querySelector(".bo-item-lines"), "").focus();
    });
  $("tt-return_result").addEventListener("change", (event) => {
    if (event.target.name === "method") toggleMethod($("tt-return_result"));
  });
  $("return_result-result_file").addEventListener("change", (event) => {
    const input = event.target,
      form = $("tt-return_result"),
      state = $("return_result-result_file-trang-thai");
    const file = input.files?.[0];
    form.removeAttribute("data-result-key");
    if (!file) return;
    state.textContent = `Đang tải lên ${file.name}…`;
    uploadFile(config.api, `office/dossiers/${encodeURIComponent(code)}/result-upload`, file, {
      headers: csrfHeaders,
      progress: (p) => {
        state.textContent = `Đang tải lên ${file.name}: ${p}%`;
      },
    }).then((result) => {
      if (result.key) {
        form.setAttribute("data-result-key", result.key);
        state.textContent = `Đã tải lên ${file.name}.`;
      } else {
        state.textContent = "";
        const message = `Tệp ${file.name}: ${result.error}`;
        showErrors([[input, $("return_result-result_file-loi"), message]], form);
      }
    });
  });
  if (!code) {
    $("bo-tieu-de").textContent = "Không mở được hồ sơ";
    problem("Thiếu mã hồ sơ trong địa chỉ trang. Mở hồ sơ từ hàng đợi.");
    return;
  }
  load();
}

if (box) {
  $("bo-khong-js").hidden = true;
  whoami().then(start, (error) => {
    problem(error.message);
  });
}
