/* Dossier status page (tra-cuu/): looks a dossier up by its code and lookup secret
   (GET <api>dossiers/<code> with the header X-Lookup-Secret). The receipt's QR code links here with
   both in the fragment (#ma=...&khoa=...), which browsers never send to a server: the script reads
   it, removes it from the address bar and history, then looks the dossier up. No other request. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  // A dossier code's shape: the API's DOSSIER_CODE (functions/chalicelib/dossiers.py);
  // tests/test_status_rules.py runs both on generated codes and requires the same answer.
  const CODE = /^[A-Za-z0-9.-]{3,60}-[0-9]{6}-[0-9]{4,}$/;
  // The lookup secret's rule: functions/chalicelib/lookup_secret.py (its docstring says why this
  // alphabet); tests/test_status_rules.py runs both on generated texts and requires the same
  // answer. 11 random characters and a Luhn mod 26 check character, in any case, with or without
  // separators; O, I, L read as 0, 1, 1. A secret made before (24 of a-z2-7) is still accepted.
  const ALPHABET = "0123456789BCFGHJKMNPQRSTVX",
    LENGTH = 12,
    ALIASES = { O: "0", I: "1", L: "1" },
    SEPARATORS = /[\t\n\r \u00a0\u2000-\u200b\u202f\u205f\u3000\u2010-\u2015\u2212._-]+/g,
    LEGACY = /^[a-z2-7]{24}$/;

  function isChecked(secret) {
    let total = 0,
      factor = 1;
    for (let i = secret.length - 1; i >= 0; i--) {
      const addend = factor * ALPHABET.indexOf(secret[i]);
      total += Math.floor(addend / ALPHABET.length) + (addend % ALPHABET.length);
      factor = 3 - factor;
    }
    return total % ALPHABET.length === 0;
  }

  // {secret} in the form the API stores, or {problem}: "empty", "format" or "check".
  function parseSecret(text) {
    const compact = text.replace(SEPARATORS, "");
    if (!compact) return { problem: "empty" };
    if ([...compact].some((c) => c.charCodeAt(0) > 127)) return { problem: "format" };
    if (LEGACY.test(compact.toLowerCase())) return { secret: compact.toLowerCase() };
    const canonical = compact
      .toUpperCase()
      .split("")
      .map((c) => ALIASES[c] || c)
      .join("");
    if (canonical.length !== LENGTH || [...canonical].some((c) => !ALPHABET.includes(c))) {
      return { problem: "format" };
    }
    return isChecked(canonical) ? { secret: canonical } : { problem: "check" };
  }

  if (typeof module !== "undefined" && module.exports) {
    module.exports = { CODE, parseSecret }; // under node, for that test: no page to run on
    return;
  }
  const script = document.currentScript || document.querySelector("script[data-api]");
  const api = script.getAttribute("data-api"),
    site = script.getAttribute("data-site");
  const byId = (id) => document.getElementById(id);
  const form = byId("tra-cuu");
  if (!form) {
    return;
  }
  const summary = byId("tra-cuu-loi"),
    progress = byId("tra-cuu-dang-tai");
  const problem = byId("tra-cuu-su-co"),
    result = byId("tra-cuu-ket-qua");
  const heading = byId("tra-cuu-tieu-de");
  const fields = {
    code: { input: byId("ma-ho-so"), error: byId("ma-ho-so-loi"), group: byId("nhom-ma-ho-so") },
    secret: {
      input: byId("ma-tra-cuu"),
      error: byId("ma-tra-cuu-loi"),
      group: byId("nhom-ma-tra-cuu"),
    },
  };
  const TIMEOUT = 20000;
  // What each DVCQG status means for the applicant, and what to do next.
  const EXPLAIN = {
    1: "Hồ sơ đã được gửi tới cơ quan và đang chờ cán bộ kiểm tra để tiếp nhận; bạn chưa cần làm gì, hãy giữ mã hồ sơ và mã tra cứu để theo dõi.",
    2: "Cơ quan đã tiếp nhận hồ sơ và sẽ giải quyết trong thời hạn của thủ tục; bạn chưa cần làm gì, hãy chờ đến ngày hẹn trả kết quả.",
    3: "Cơ quan không tiếp nhận hồ sơ này; hãy xem lý do trong thông báo của cơ quan (tin nhắn, thư điện tử) và nộp hồ sơ mới nếu vẫn cần làm thủ tục.",
    4: "Cán bộ đang giải quyết hồ sơ; bạn chưa cần làm gì, cơ quan sẽ liên hệ nếu cần thêm thông tin.",
    5: "Cơ quan cần bạn bổ sung hoặc sửa giấy tờ; xem danh sách ở mục “Việc bạn cần làm” bên dưới và gửi bổ sung sớm để hồ sơ được giải quyết tiếp.",
    6: "Bạn cần nộp phí, lệ phí hoặc nghĩa vụ tài chính (ví dụ thuế); xem số tiền ở mục “Việc bạn cần làm” bên dưới. Hồ sơ được giải quyết tiếp sau khi bạn nộp.",
    7: "Cơ quan đã nhận yêu cầu rút hồ sơ của bạn và không giải quyết hồ sơ này nữa; nếu vẫn cần làm thủ tục, hãy nộp hồ sơ mới.",
    8: "Cơ quan đã dừng giải quyết hồ sơ này; hãy xem lý do trong thông báo của cơ quan hoặc hỏi Bộ phận Một cửa nơi đã nộp hồ sơ.",
    9: "Hồ sơ đã giải quyết xong và kết quả đang chờ trả; xem cách nhận kết quả ở mục “Việc bạn cần làm” bên dưới.",
    10: "Kết quả đã được trả cho bạn; thủ tục đã hoàn tất, bạn không cần làm gì thêm.",
  };
  const MESSAGES = {
    code: "Nhập mã hồ sơ ghi trên biên nhận.",
    codeFormat:
      "Mã hồ sơ chưa đúng dạng: mã cơ quan, ngày nộp (6 chữ số) và số thứ tự, nối bằng dấu gạch ngang, ví dụ 11383.HCC-260715-0042.",
    secret: "Nhập mã tra cứu ghi trên biên nhận.",
    secretFormat: "Mã tra cứu gồm 12 chữ cái và chữ số, như trên biên nhận (ví dụ 7KQ4-M9XC-2RB8).",
    secretCheck: "Mã tra cứu có một ký tự gõ sai; hãy đối chiếu từng ký tự với biên nhận.",
    notFound:
      "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này. Hãy kiểm tra lại từng ký tự trên biên nhận.",
    notFoundSecret: "Kiểm tra lại mã tra cứu: phải đúng như trên biên nhận.",
    tooMany:
      "Bạn đã thử tra cứu sai quá nhiều lần nên việc tra cứu tạm dừng để bảo vệ hồ sơ. Vui lòng thử lại sau khoảng 10 phút và kiểm tra kỹ mã trên biên nhận.",
    network:
      "Không kết nối được với hệ thống tra cứu. Hãy kiểm tra kết nối mạng rồi bấm “Thử lại”.",
    server: "Hệ thống tra cứu đang tạm thời gặp sự cố. Vui lòng bấm “Thử lại” sau ít phút.",
  };
  let last = null,
    shown = null,
    pending = false;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // "dd/mm/yyyy HH:mm" in Vietnam time (UTC+7, no daylight saving) from an ISO 8601 string.
  function when(iso) {
    const m =
      /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
        iso || "",
      );
    if (!m) {
      return iso || "";
    }
    if (!m[4]) {
      return `${m[3]}/${m[2]}/${m[1]}`;
    }
    if (m[6]) {
      const offset =
        m[6] === "Z" ? 0 : (m[6][0] === "-" ? -1 : 1) * (60 * +m[6].slice(1, 3) + +m[6].slice(4));
      const t = new Date(
        Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) + (7 * 60 - offset) * 60000,
      );
      return (
        pad(t.getUTCDate()) +
        "/" +
        pad(t.getUTCMonth() + 1) +
        "/" +
        t.getUTCFullYear() +
        " " +
        pad(t.getUTCHours()) +
        ":" +
        pad(t.getUTCMinutes())
      );
    }
    return `${m[3]}/${m[2]}/${m[1]} ${m[4]}:${m[5]}`;
  }

  function fieldError(name, message) {
    const field = fields[name],
      hint = `${field.input.id}-goi-y`;
    field.error.textContent = "";
    if (message) {
      const prefix = document.createElement("span");
      prefix.className = "tthc-visually-hidden";
      prefix.textContent = "Lỗi: ";
      field.error.appendChild(prefix);
      field.error.appendChild(document.createTextNode(message));
    }
    field.error.hidden = !message;
    field.group.classList.toggle("tthc-field--error", !!message);
    field.input.setAttribute("aria-describedby", message ? `${hint} ${field.error.id}` : hint);
    if (message) {
      field.input.setAttribute("aria-invalid", "true");
    } else {
      field.input.removeAttribute("aria-invalid");
    }
  }

  // GOV.UK error summary: one link per problem, to the field; focused so it is read out.
  function showErrors(errors, summaryItems) {
    const list = summary.querySelector("ul");
    fieldError("code", errors.code);
    fieldError("secret", errors.secret);
    list.textContent = "";
    summaryItems.forEach((item) => {
      const li = document.createElement("li"),
        a = document.createElement("a");
      a.href = `#${fields[item[0]].input.id}`;
      a.textContent = item[1];
      a.addEventListener("click", (event) => {
        event.preventDefault();
        fields[item[0]].input.focus();
        fields[item[0]].group.scrollIntoView();
      });
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.hidden = summaryItems.length === 0;
    if (summaryItems.length) {
      summary.focus();
    }
  }

  function values() {
    const secret = parseSecret(fields.secret.input.value);
    return {
      code: fields.code.input.value.replace(/\s+/g, ""),
      secret: secret.secret || "",
      secretProblem: secret.problem,
    };
  }

  function check(v) {
    const errors = {},
      items = [];
    if (!v.code) {
      errors.code = MESSAGES.code;
    } else if (!CODE.test(v.code)) {
      errors.code = MESSAGES.codeFormat;
    }
    if (v.secretProblem) {
      errors.secret = {
        empty: MESSAGES.secret,
        format: MESSAGES.secretFormat,
        check: MESSAGES.secretCheck,
      }[v.secretProblem];
    }
    if (errors.code) {
      items.push(["code", errors.code]);
    }
    if (errors.secret) {
      items.push(["secret", errors.secret]);
    }
    return { errors: errors, items: items };
  }

  function trouble(message, retry) {
    problem.querySelector("p").textContent = message;
    problem.querySelector("button").hidden = !retry;
    problem.hidden = false;
    problem.querySelector("h2").focus();
  }

  function text(tag, content, className) {
    const node = document.createElement(tag);
    node.textContent = content;
    if (className) {
      node.className = className;
    }
    return node;
  }

  function fill(name, node) {
    const dd = result.querySelector(`[data-field="${name}"]`);
    dd.textContent = "";
    dd.appendChild(typeof node === "string" ? document.createTextNode(node) : node);
  }

  // The timeline in plain words: what happened, to whom it matters (the applicant).
  const STEPS = {
    receive: "Cơ quan đã tiếp nhận hồ sơ",
    refuse: "Cơ quan từ chối tiếp nhận hồ sơ",
    request_supplement: "Cơ quan yêu cầu bạn bổ sung, hoàn thiện hồ sơ",
    supplement: "Bạn đã gửi giấy tờ bổ sung",
    transfer: "Hồ sơ được chuyển đến bộ phận giải quyết",
    request_payment: "Cơ quan yêu cầu bạn nộp phí, lệ phí",
    confirm_payment: "Cơ quan xác nhận đã nhận phí, lệ phí",
    done: "Hồ sơ đã giải quyết xong, đang chờ trả kết quả",
    return_result: "Cơ quan đã trả kết quả",
    withdraw: "Bạn đã rút hồ sơ",
    stop: "Cơ quan dừng giải quyết hồ sơ",
    extend: "Cơ quan xin lỗi vì chậm trễ và hẹn lại ngày trả kết quả",
  };
  const RETURNS = {
    truc_tiep: "nhận trực tiếp tại Bộ phận Một cửa",
    buu_chinh: "gửi qua bưu chính",
    truc_tuyen: "bản điện tử trực tuyến",
  };

  function money(n) {
    return `${String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".")} đồng`;
  }

  function detail(step) {
    const d = step.data || {},
      parts = [];
    if (d.items?.length) {
      parts.push(`Giấy tờ cần bổ sung: ${d.items.join("; ")}.`);
    }
    if (d.uploads?.length) {
      parts.push(`Đã gửi ${d.uploads.length} tệp.`);
    }
    if (typeof d.amount === "number") {
      parts.push(`Số tiền: ${money(d.amount)}.`);
    }
    if (d.new_due_at) {
      parts.push(`Ngày hẹn mới: ${when(d.new_due_at)}.`);
    }
    if (d.method) {
      parts.push(
        `Cách trả: ${RETURNS[d.method] || d.method}${d.address ? `, đến ${d.address}` : ""}.`,
      );
    }
    if (d.reason) {
      parts.push(`Lý do: ${d.reason}`);
    }
    return parts.join(" ");
  }

  function clockText(dossier) {
    if (!dossier.clock_stopped_at) {
      return "";
    }
    const since = `Từ ${when(dossier.clock_stopped_at)}, thời hạn giải quyết tạm dừng trong khi chờ bạn`;
    const what = dossier.status === 6 ? "nộp phí, lệ phí" : "bổ sung hồ sơ";
    return `${since} ${what}; ngày hẹn sẽ lùi thêm đúng số ngày làm việc đã dừng.`;
  }

  function show(dossier, done) {
    const procedure = document.createElement("a"),
      timeline = result.querySelector(".tthc-timeline");
    heading.textContent = `Tình trạng: ${dossier.status_label || "chưa rõ"}`;
    result.querySelector('[data-field="done"]').textContent = done || "";
    result.querySelector(".tthc-lookup-explain").textContent = EXPLAIN[dossier.status] || "";
    procedure.href = `${site}thu-tuc/${encodeURIComponent(dossier.procedure)}/`;
    procedure.textContent = dossier.procedure_name || dossier.procedure;
    fill("procedure", procedure);
    fill("code", dossier.code);
    fill("received", when(dossier.received_at));
    fill("office", dossier.office?.name || "");
    fill("unit", dossier.unit_label || (dossier.status === 1 ? "Chưa tiếp nhận" : ""));
    result.querySelector('[data-field="due-label"]').textContent =
      dossier.status === 1 ? "Ngày hẹn trả kết quả (dự kiến)" : "Ngày hẹn trả kết quả";
    fill(
      "due",
      dossier.due_at
        ? when(dossier.due_at)
        : "Chưa xác định (thời hạn giải quyết của thủ tục chưa được công bố).",
    );
    const clock = result.querySelector('[data-field="clock"]');
    clock.textContent = clockText(dossier);
    clock.hidden = !clock.textContent;
    // Processed by a province's own system (hand-over): its statuses are the ones shown here.
    const handed = result.querySelector('[data-field="handed-over"]');
    handed.textContent = dossier.handed_over?.message || "";
    handed.hidden = !handed.textContent;
    timeline.textContent = "";
    (dossier.timeline || []).forEach((step, i, all) => {
      const li = document.createElement("li"),
        time = text("time", when(step.at));
      time.setAttribute("datetime", step.at || "");
      const label = i === 0 ? "Bạn đã nộp hồ sơ" : STEPS[step.action] || step.label || "";
      li.appendChild(text("span", label, "tthc-timeline-label"));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(time);
      if (step.unit_label) {
        li.appendChild(text("span", ` — ${step.unit_label}`, "tthc-timeline-unit"));
      }
      const more = detail(step);
      if (more) {
        li.appendChild(text("p", more, "tthc-timeline-detail"));
      }
      if (i === all.length - 1) {
        li.setAttribute("aria-current", "step");
      }
      timeline.appendChild(li);
    });
    result.hidden = false;
    heading.focus();
    // What the applicant can do now (supplement, withdraw): tra-cuu-viec.js, which may load
    // after this answer came back: it asks for the last one then ("tra-cuu:san-sang").
    shown = { dossier: dossier, secret: last?.secret, api: api };
    document.dispatchEvent(new CustomEvent("tra-cuu:ho-so", { detail: shown }));
  }

  function parse(body) {
    try {
      return JSON.parse(body);
    } catch (_e) {
      return null;
    }
  }

  function lookup(v) {
    if (pending) {
      return;
    }
    pending = true;
    last = v;
    problem.hidden = true;
    result.hidden = true;
    progress.textContent = "Đang tra cứu…";
    const request = new XMLHttpRequest();
    request.open("GET", `${api}dossiers/${encodeURIComponent(v.code)}`);
    request.setRequestHeader("Accept", "application/json");
    request.setRequestHeader("X-Lookup-Secret", v.secret);
    request.timeout = TIMEOUT;
    const done = () => {
      pending = false;
      progress.textContent = "";
    };
    request.onload = () => {
      done();
      const body = parse(request.responseText);
      if (request.status === 200 && body && body.code) {
        show(body);
      } else if (request.status === 404 && body) {
        showErrors({ code: MESSAGES.notFound, secret: MESSAGES.notFoundSecret }, [
          ["code", MESSAGES.notFound],
        ]);
      } else if (request.status === 429) {
        trouble(MESSAGES.tooMany, false);
      } else {
        trouble(MESSAGES.server, true);
      }
    };
    request.onerror = request.ontimeout = () => {
      done();
      trouble(MESSAGES.network, true);
    };
    request.send();
  }

  function submit() {
    const v = values(),
      found = check(v);
    showErrors(found.errors, found.items);
    if (!found.items.length) {
      lookup(v);
    } else {
      problem.hidden = true;
      result.hidden = true;
    }
  }

  // The receipt's link: #ma=<code>&khoa=<secret>. Taken out of the address bar (and so out of
  // the history) before anything else happens.
  function fromFragment() {
    if (location.hash.length < 2) {
      return;
    }
    const params = new URLSearchParams(location.hash.slice(1));
    if (!params.has("ma") && !params.has("khoa")) {
      return;
    }
    if (window.history && history.replaceState) {
      history.replaceState(history.state, "", location.pathname + location.search);
    }
    fields.code.input.value = params.get("ma") || "";
    fields.secret.input.value = params.get("khoa") || "";
    submit();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  problem.querySelector("button").addEventListener("click", () => {
    if (last) {
      lookup(last);
    }
  });
  window.addEventListener("hashchange", fromFragment);
  document.addEventListener("tra-cuu:san-sang", () => {
    if (shown) {
      document.dispatchEvent(new CustomEvent("tra-cuu:ho-so", { detail: shown }));
    }
  });
  // After the applicant acted (tra-cuu-viec.js): the dossier as the API now returns it.
  document.addEventListener("tra-cuu:cap-nhat", (event) => {
    show(event.detail.dossier, event.detail.message);
  });
  form.hidden = false;
  fromFragment();
})();
