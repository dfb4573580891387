/* can-bo/hang-doi/: the queue of one office (GET /api/office/queue), sorted by due date by the
   API. Filters by status, procedure, due date (within 1 working day, overdue) and channel, kept in
   the address so a dossier's "back" returns to the same list; counts per status; "Xem thêm"
   loads the next page. Each row is a link to the dossier; arrow keys move between rows. */
import { call, checked, failure, whoami } from "./bo-api.js";
import { $, config, DUE_FLAGS, el, problem, progress, root, when } from "./bo-util.js";

const form = $("bo-loc"),
  table = $("bo-bang"),
  more = $("bo-xem-them");
const FILTERS = ["office", "status", "procedure", "due", "channel"];
let after = null;

function options(select, pairs) {
  pairs.forEach((pair) => {
    select.appendChild(el("option", pair[1], { value: pair[0] }));
  });
}

function filters() {
  const out = {};
  FILTERS.forEach((name) => {
    const value = form.elements[name].value;
    if (value) out[name] = value;
  });
  return out;
}

function query(values, extra) {
  const q = new URLSearchParams(values);
  Object.keys(extra || {}).forEach((k) => {
    q.set(k, extra[k]);
  });
  return q.toString();
}

function row(item) {
  const tr = el("tr"),
    href = `${root}can-bo/ho-so/?ma=${encodeURIComponent(item.code)}`;
  const code = el("td"),
    a = el("a", item.code, { href: href, class: "bo-row-link" });
  code.appendChild(a);
  tr.appendChild(code);
  tr.appendChild(el("td", item.procedure_name || item.procedure));
  tr.appendChild(el("td", item.applicant || ""));
  tr.appendChild(el("td", config.channels[item.channel] || item.channel || ""));
  tr.appendChild(el("td", item.status_label || config.statuses[String(item.status)]));
  tr.appendChild(el("td", item.unit_label || config.units[item.unit] || ""));
  tr.appendChild(el("td", when(item.received_at)));
  const due = el("td", item.due_at ? when(item.due_at) : "Chưa có");
  if (item.due_flag && DUE_FLAGS[item.due_flag]) {
    due.appendChild(document.createTextNode(" "));
    due.appendChild(
      el("span", DUE_FLAGS[item.due_flag], { class: `bo-flag bo-flag--${item.due_flag}` }),
    );
    tr.className = `bo-row--${item.due_flag}`;
  }
  tr.appendChild(due);
  tr.addEventListener("click", (event) => {
    if (event.target.closest("a") || window.getSelection().toString()) return;
    location.assign(href);
  });
  return tr;
}

function counts(data, office) {
  const list = $("bo-dem").querySelector("ul");
  list.textContent = "";
  const c = data || {};
  Object.keys(config.statuses).forEach((status) => {
    if (!c[status]) return;
    const li = el("li"),
      a = el("a", `${config.statuses[status]}: ${c[status]}`, {
        href: `?${query({ office: office, status: status })}`,
      });
    li.appendChild(a);
    list.appendChild(li);
  });
  ["soon", "overdue"].forEach((flag) => {
    if (!c[flag]) return;
    const li = el("li", null, { class: `bo-count--${flag}` });
    li.appendChild(
      el("a", `${DUE_FLAGS[flag]}: ${c[flag]}`, {
        href: `?${query({ office: office, due: flag })}`,
      }),
    );
    list.appendChild(li);
  });
  if (!list.children.length) list.appendChild(el("li", "Chưa có hồ sơ nào."));
  $("bo-dem").hidden = false;
}

function load(append) {
  const values = filters();
  const extra = { limit: 50 };
  if (append && after) extra.after = after;
  progress("Đang tải danh sách hồ sơ…");
  return call("GET", `office/queue?${query(values, extra)}`)
    .then(checked)
    .then((reply) => {
      progress("");
      if (reply.status !== 200) {
        problem(failure(reply));
        return;
      }
      problem("");
      const body = reply.body,
        tbody = table.querySelector("tbody");
      if (!append) tbody.textContent = "";
      const first = tbody.children.length;
      (body.items || []).forEach((item) => {
        tbody.appendChild(row(item));
      });
      after = body.next || null;
      more.hidden = !after;
      $("bo-ds-trong").hidden = tbody.children.length > 0;
      table.hidden = tbody.children.length === 0;
      const office = values.office || body.office?.id || "";
      counts(body.counts, office);
      $("bo-in-so").href = `${root}can-bo/in/?${query(values, { mau: "07", office: office })}`;
      $("bo-danh-sach").hidden = false;
      if (append && tbody.children[first]) tbody.children[first].querySelector("a").focus();
    });
}

// Arrow keys move between the rows' links (the links are also plain Tab stops).
table.addEventListener("keydown", (event) => {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  const links = Array.prototype.slice.call(table.querySelectorAll("a.bo-row-link"));
  const at = links.indexOf(document.activeElement);
  if (at < 0) return;
  const to = links[at + (event.key === "ArrowDown" ? 1 : -1)];
  if (to) {
    event.preventDefault();
    to.focus();
  }
});

function start(me) {
  const offices = me.offices || [];
  const picker = $("co-quan");
  options(
    picker,
    offices.map((o) => [o.id, o.name]),
  );
  $("nhom-co-quan").hidden = offices.length < 2;
  options(
    $("loc-trang-thai"),
    Object.keys(config.statuses).map((k) => [k, config.statuses[k]]),
  );
  options($("loc-thu-tuc"), config.procedures);
  options(
    $("loc-kenh"),
    Object.keys(config.channels).map((k) => [k, config.channels[k]]),
  );
  const params = new URLSearchParams(location.search);
  FILTERS.forEach((name) => {
    const select = form.elements[name];
    if (
      params.get(name) &&
      select.querySelector(`option[value="${CSS.escape(params.get(name))}"]`)
    ) {
      select.value = params.get(name);
    }
  });
  if (!offices.length) {
    problem("Tài khoản của bạn chưa được giao cơ quan nào. Liên hệ quản trị viên.");
    return;
  }
  form.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `?${query(filters())}`);
    load(false).then(() => {
      $("bo-ds-tieu-de").setAttribute("tabindex", "-1");
      $("bo-ds-tieu-de").focus();
    });
  });
  more.addEventListener("click", () => {
    load(true);
  });
  load(false);
}

if (form) {
  $("bo-khong-js").hidden = true;
  whoami().then(start, (error) => {
    problem(error.message);
  });
}
