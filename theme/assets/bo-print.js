/* can-bo/in/?ma=<code>&mau=01..06 (&su-kien=<seq>: the event the form is about, else the last
   one that issued it), or ?mau=07&office=<id> (&filters): a form of TT 03/2025/TT-VPCP, Phụ lục I,
   filled from the officer API (print.html.j2 holds each form's text), and a print button. */
import { call, checked, failure, whoami } from "./bo-api.js";
import { describe } from "./bo-describe.js";
import { $, config, el, longDate, param, problem, progress, root, when } from "./bo-util.js";

const sheet = $("bo-to"),
  form = param("mau");

function put(name, content) {
  sheet.querySelectorAll(`[data-f="${name}"]`).forEach((node) => {
    node.textContent = "";
    if (Array.isArray(content)) node.append(...content);
    else
      node.textContent =
        content === undefined || content === null || content === "" ? "……………" : content;
  });
}

function section() {
  sheet.querySelectorAll("section[data-mau]").forEach((s) => {
    s.hidden = s.getAttribute("data-mau") !== form;
  });
  $("bo-tieu-de").textContent = config.forms[form].toUpperCase();
  document.title = `Mẫu ${form}: ${config.forms[form]} | Bộ phận Một cửa`;
  put("mau", form);
  put("today", longDate());
}

function ready(me) {
  put("officer", me.name || "");
  sheet.hidden = false;
  const button = $("bo-nut-in");
  button.hidden = false;
  button.addEventListener("click", () => window.print());
  $("bo-tieu-de").focus();
}

function office(o) {
  const name = o?.name || "";
  put("office", name);
  put("office_upper", name.toUpperCase());
}

// The event the form is about: ?su-kien=<seq>, else the last one whose action issues this form.
function event(view) {
  const seq = +param("su-kien");
  const steps = (view.timeline || []).filter((s) =>
    seq ? s.seq === seq : config.actions[s.action]?.form === form,
  );
  return steps[steps.length - 1] || null;
}

function handovers(view) {
  return (view.timeline || []).map((step, i, all) => {
    const tr = el("tr"),
      before = i ? all[i - 1] : null;
    const d = step.data || {};
    const from = d.from_unit
      ? config.units[d.from_unit]
      : before
        ? before.unit_label || config.units[before.unit] || ""
        : "Người nộp";
    const to = d.to_unit
      ? config.units[d.to_unit]
      : step.unit_label || config.units[step.unit] || "Bộ phận Một cửa";
    [
      when(step.at),
      from || "Người nộp",
      to,
      [step.label || "Nộp hồ sơ", describe(step, config)].filter(Boolean).join(". "),
      step.actor?.name || "",
      step.status_label || "",
    ].forEach((text) => {
      tr.appendChild(el("td", text));
    });
    return tr;
  });
}

// Form 01 lists what the desk received: the files filed with the form, and a supplement's only if
// it was given before reception (asked at the desk); never later supplements or the result.
function atReception(view, received) {
  const before = received ? received.seq : Number.POSITIVE_INFINITY;
  const early = new Set(
    (view.timeline || [])
      .filter((s) => s.action === "supplement" && s.seq < before)
      .flatMap((s) => s.data?.uploads || []),
  );
  return (view.files || []).filter(
    (f) => f.slot !== "ket-qua" && (f.slot !== "bo-sung" || early.has(f.key)),
  );
}

function dossier(view, me) {
  office(view.office);
  put("code", view.code);
  put("procedure", view.procedure_name || view.procedure);
  put("applicant", view.applicant || "");
  const received = (view.timeline || []).filter((s) => s.action === "receive")[0];
  put("received", when(view.accepted_at || received?.at));
  put("due", view.due_at ? when(view.due_at) : "");
  put(
    "files",
    atReception(view, received).map((f) => el("li", f.label || f.slot || f.key)),
  );
  const step = event(view),
    d = step?.data || {};
  if (["02", "03", "04", "05"].includes(form) && !step) {
    problem(`Hồ sơ chưa có thao tác nào cấp Mẫu ${form}.`);
    return;
  }
  put(
    "items",
    (d.items || []).map((item) => el("li", item)),
  );
  put("reason", d.reason || "");
  put("reason_line", d.reason ? `Lý do: ${d.reason}` : "");
  put("event_at", step ? when(step.at) : "");
  put("old_due", when(d.old_due_at));
  put("new_due", when(d.new_due_at));
  put("handovers", handovers(view));
  ready(me);
}

function register(me) {
  const q = new URLSearchParams(location.search),
    filters = new URLSearchParams();
  ["office", "status", "procedure", "due", "channel"].forEach((k) => {
    if (q.get(k)) filters.set(k, q.get(k));
  });
  const office_ =
    (me.offices || []).filter((o) => o.id === filters.get("office"))[0] || (me.offices || [])[0];
  if (!office_) return problem("Tài khoản của bạn chưa được giao cơ quan nào.");
  filters.set("office", office_.id);
  office(office_);
  $("bo-quay-lai").href = `${root}can-bo/hang-doi/?${filters.toString()}`;
  const rows = [];
  // Every page of the queue (the register is printed whole), at most 40 pages of 50.
  function page(after, n) {
    const query = new URLSearchParams(filters);
    query.set("limit", "50");
    if (after) query.set("after", after);
    return call("GET", `office/queue?${query.toString()}`)
      .then(checked)
      .then((reply) => {
        if (reply.status !== 200) throw new Error(failure(reply));
        (reply.body.items || []).forEach((item) => {
          const tr = el("tr");
          [
            String(rows.length + 1),
            item.code,
            item.procedure_name || item.procedure,
            item.applicant || "",
            config.channels[item.channel] || item.channel || "",
            when(item.received_at),
            item.due_at ? when(item.due_at) : "",
            item.status_label || config.statuses[String(item.status)] || "",
            "",
          ].forEach((text) => {
            tr.appendChild(el("td", text));
          });
          rows.push(tr);
        });
        return reply.body.next && n < 40 ? page(reply.body.next, n + 1) : rows;
      });
  }
  return page(null, 1).then(
    (all) => {
      if (!all.length) {
        all.push(el("tr"));
        all[0].appendChild(el("td", "Không có hồ sơ.", { colspan: "9" }));
      }
      put("register", all);
      ready(me);
    },
    (error) => problem(error.message),
  );
}

function start(me) {
  if (!config.forms[form]) return problem("Không có biểu mẫu này. Chọn biểu mẫu từ trang hồ sơ.");
  section();
  if (form === "07") return register(me);
  const code = param("ma");
  if (!code) return problem("Thiếu mã hồ sơ trong địa chỉ trang. Mở biểu mẫu từ trang hồ sơ.");
  $("bo-quay-lai").href = `${root}can-bo/ho-so/?ma=${encodeURIComponent(code)}`;
  progress("Đang tải hồ sơ…");
  return call("GET", `office/dossiers/${encodeURIComponent(code)}`)
    .then(checked)
    .then((reply) => {
      progress("");
      if (reply.status === 200) dossier(reply.body, me);
      else problem(failure(reply));
    });
}

if (sheet) {
  $("bo-khong-js").hidden = true;
  whoami().then(start, (error) => {
    problem(error.message);
  });
}
