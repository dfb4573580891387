/* What the steps draw from the state: "check your answers", the confirmation with its printable
   receipt (print, save as an image, forget), and the start (resume or begin). */
import { answers, communeName, context } from "./apply-answers.js";
import { chosenOffice, hasOfficeStep } from "./apply-office.js";
import { rules } from "./apply-state.js";
import { $, dateTimeVn, el, isoToVn, read } from "./apply-util.js";

export function display(s, item, value) {
  if (value === undefined) return "Không khai";
  if (item.type === "yes_no") return value ? "Có" : "Không";
  if (item.type === "select") {
    const option = item.options.filter((o) => o.value === value)[0];
    return option ? option.label : String(value);
  }
  if (item.type === "date") return isoToVn(value) || String(value);
  if (item.type === "address") return communeName(s, value);
  return String(value);
}

export function drawAnswers(s) {
  const box = $("ap-answers"),
    current = answers(s),
    kept = rules.checkAnswers(s.cfg, current, context(s)).kept;
  box.textContent = "";
  s.pages.forEach((page) => {
    if (!rules.shown({}, page, kept)) return;
    const rows = el("dl", { class: "ap-answers" });
    page.fields.forEach((item) => {
      if (!rules.shown(item, page, current)) return;
      rows.appendChild(row(item.label, display(s, item, current[item.id]), page.id, item.id));
    });
    page.uploads.forEach((slot) => {
      if (!rules.shown(slot, page, kept)) return;
      const names = (s.files[slot.id] || []).filter((f) => f.state === "done").map((f) => f.name);
      rows.appendChild(
        row(slot.label, names.length ? names.join("; ") : "Không có tệp", page.id, slot.id),
      );
    });
    box.appendChild(el("h3", { text: page.title }));
    box.appendChild(rows);
  });
  const office = chosenOffice(s);
  const where = el("dl", { class: "ap-answers" }, [
    row("Nơi nộp hồ sơ", office ? office.name : "Chưa chọn", "", "ap-office"),
  ]);
  if (!hasOfficeStep()) where.querySelector(".ap-answers__change").textContent = "";
  else where.querySelector("a").setAttribute("href", "#noi-nop");
  box.appendChild(el("h3", { text: "Nơi nộp hồ sơ" }));
  box.appendChild(where);
}

export function row(label, value, pageId, id) {
  const change = el("a", { href: `#trang-${pageId}`, "data-change": id }, [
    "Thay đổi",
    el("span", { class: "ap-visually-hidden", text: ` ${label}` }),
  ]);
  return el("div", { class: "ap-answers__row" }, [
    el("dt", { text: label }),
    el("dd", { text: value }),
    el("dd", { class: "ap-answers__change" }, [change]),
  ]);
}

export function drawReceipt(s, saved) {
  const box = $("ap-receipt"),
    r = saved.result;
  const statusPath =
    s.cfg.root +
    "tra-cuu/#ma=" +
    encodeURIComponent(r.code) +
    "&khoa=" +
    encodeURIComponent(r.secret);
  const due = r.due_at ? isoToVn(r.due_at) : "";
  box.textContent = "";
  box.appendChild(
    el("div", { class: "ap-panel ap-panel--done" }, [
      el("p", { class: "ap-panel__title", text: "Hồ sơ đã được gửi" }),
      el("p", {}, ["Mã hồ sơ: ", el("strong", { class: "ap-code", text: r.code })]),
      r.office ? el("p", { text: `Nơi nhận hồ sơ: ${r.office.name}` }) : null,
    ]),
  );
  if (saved.earlier) {
    box.appendChild(
      el("p", {
        class: "tthc-notice",
        text: "Hồ sơ này đã được nộp ở lần gửi trước (khi mạng bị gián đoạn), với nội dung đã khai lúc đó. Những thay đổi sau đó chưa được gửi; nếu cần sửa, hãy liên hệ bộ phận một cửa.",
      }),
    );
  }
  box.appendChild(
    el("div", { class: "ap-secret" }, [
      el("p", {}, ["Mã tra cứu: ", el("strong", { class: "ap-code", text: r.secret })]),
      el("p", {
        text: "Cơ quan không lưu mã tra cứu và không gửi lại được: hãy ghi lại, lưu ảnh hoặc in biên nhận. Cần cả mã hồ sơ và mã tra cứu để xem tình trạng hồ sơ; gõ chữ hoa hay chữ thường, có hay không có dấu gạch đều được.",
      }),
      el("p", {
        id: "ap-kept",
        text: "Biên nhận này được giữ trên trình duyệt của máy này để bạn mở lại (kể cả khi tải lại trang). Khi đã ghi lại mã, nhất là trên máy dùng chung, hãy xóa nó khỏi máy.",
      }),
      el("p", { class: "ap-nav" }, [
        el("button", {
          type: "button",
          class: "md-button md-button--primary",
          "data-action": "print",
          text: "In biên nhận",
        }),
        " ",
        el("button", {
          type: "button",
          class: "md-button",
          "data-action": "save-image",
          text: "Lưu ảnh biên nhận",
        }),
        " ",
        el("button", {
          type: "button",
          class: "md-button",
          "data-action": "forget-receipt",
          text: "Đã lưu, xóa khỏi máy này",
        }),
      ]),
    ]),
  );
  box.appendChild(
    el("p", {
      text: due
        ? "Ngày hẹn trả kết quả (dự kiến): " +
          due +
          ". Thời hạn tính từ khi hồ sơ được tiếp nhận; nếu phải bổ sung giấy tờ, ngày hẹn sẽ thay đổi."
        : "Ngày hẹn trả kết quả: cơ quan sẽ thông báo khi tiếp nhận (thời hạn giải quyết của thủ tục chưa được công bố bằng ngày làm việc).",
    }),
  );
  box.appendChild(el("h3", { text: "Tiếp theo sẽ thế nào" }));
  box.appendChild(
    el("ol", {}, [
      el("li", {
        text: "Bộ phận một cửa kiểm tra hồ sơ và báo cho bạn hồ sơ được tiếp nhận hay cần bổ sung, qua số điện thoại hoặc thư điện tử đã khai.",
      }),
      el("li", { text: "Nếu thủ tục có phí, lệ phí, cơ quan sẽ hướng dẫn cách nộp." }),
      el("li", {}, [
        "Xem tình trạng hồ sơ bất cứ lúc nào ở trang ",
        el("a", { href: statusPath, text: "Tra cứu hồ sơ" }),
        " với mã hồ sơ và mã tra cứu.",
      ]),
      el("li", {
        text: "Khi nhận kết quả, mang theo giấy tờ tùy thân và bản chính các giấy tờ đã tải lên nếu được yêu cầu.",
      }),
    ]),
  );
  box.appendChild(receiptSheet(s, saved, due));
}

/* After "Đã lưu, xóa khỏi máy này": the receipt is gone from this browser, and from the page
   but for the dossier code, which alone finds nothing. */
export function drawForgotten(s, code) {
  const box = $("ap-receipt");
  box.textContent = "";
  box.appendChild(
    el("div", { class: "ap-panel ap-panel--done" }, [
      el("p", { class: "ap-panel__title", text: "Đã xóa biên nhận khỏi máy này" }),
      el("p", {}, ["Mã hồ sơ: ", el("strong", { class: "ap-code", text: code })]),
    ]),
  );
  box.appendChild(
    el("p", {}, [
      "Xem tình trạng hồ sơ ở trang ",
      el("a", { href: `${s.cfg.root}tra-cuu/`, text: "Tra cứu hồ sơ" }),
      " với mã hồ sơ và mã tra cứu bạn đã ghi lại.",
    ]),
  );
}

/* "Lưu ảnh biên nhận": the receipt's essentials (code, secret, dates, the QR code when it was
   loaded) drawn on a canvas and downloaded as a PNG, which a phone keeps in its photos. */
export function saveImage(s, saved) {
  const r = saved.result,
    width = 720,
    pad = 40,
    scale = 2;
  const canvas = document.createElement("canvas");
  const g = canvas.getContext("2d");
  const font = getComputedStyle(document.body).fontFamily || "sans-serif";
  const lines = [
    ["GIẤY TIẾP NHẬN HỒ SƠ TRỰC TUYẾN", 22, "bold"],
    [r.office ? r.office.name : s.cfg.agencies[0] || "", 15, ""],
    [`${r.procedure_name || s.cfg.name} (mã ${r.procedure})`, 15, ""],
    ["Mã hồ sơ", 14, ""],
    [r.code, 24, "bold"],
    ["Mã tra cứu", 14, ""],
    [r.secret, 30, "bold"],
    [`Nộp lúc ${dateTimeVn(r.received_at)}`, 15, ""],
    [r.due_at ? `Hẹn trả kết quả (dự kiến): ${isoToVn(r.due_at)}` : "", 15, ""],
    [`Tra cứu: ${statusPage(s, r)}`, 13, ""],
  ];
  const qr = document.querySelector("#ap-receipt .ap-receipt__qr img");
  const qrSize = qr?.complete && qr.naturalWidth ? 240 : 0;
  const wrapped = [];
  lines.forEach((line) => {
    if (!line[0]) return;
    g.font = `${line[2]} ${line[1] * scale}px ${font}`;
    let current = "";
    line[0].split(" ").forEach((word) => {
      const next = current ? `${current} ${word}` : word;
      if (current && g.measureText(next).width > (width - 2 * pad) * scale) {
        wrapped.push([current, line[1], line[2]]);
        current = word;
      } else current = next;
    });
    wrapped.push([current, line[1], line[2]]);
  });
  const height = pad * 2 + wrapped.reduce((sum, line) => sum + line[1] * 1.6, 0) + qrSize;
  canvas.width = width * scale;
  canvas.height = Math.ceil(height * scale);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = "#000";
  g.textBaseline = "top";
  let y = pad;
  wrapped.forEach((line) => {
    g.font = `${line[2]} ${line[1] * scale}px ${font}`;
    g.fillText(line[0], pad * scale, y * scale);
    y += line[1] * 1.6;
  });
  if (qrSize)
    g.drawImage(qr, (width / 2 - qrSize / 2) * scale, y * scale, qrSize * scale, qrSize * scale);
  const link = el("a", { download: `bien-nhan-${r.code}.png`, hidden: "" });
  link.href = canvas.toDataURL("image/png");
  document.body.appendChild(link);
  link.click();
  link.remove();
}

export function receiptSheet(s, saved, due) {
  const r = saved.result;
  const rows = [
    ["Mã hồ sơ", r.code],
    ["Thủ tục", `${r.procedure_name || s.cfg.name} (mã ${r.procedure})`],
    ["Nơi nhận hồ sơ", r.office ? r.office.name : s.cfg.agencies.join("; ")],
    ["Người nộp", saved.applicant.name || "—"],
    ["Số điện thoại", saved.applicant.phone || "—"],
    ["Hình thức nộp", "Trực tuyến"],
    ["Thời điểm nộp", dateTimeVn(r.received_at)],
    ["Ngày hẹn trả kết quả", due || "Cơ quan thông báo khi tiếp nhận"],
    ["Tình trạng", r.status_label],
    ["Mã tra cứu", r.secret],
    ["Trang tra cứu", statusPage(s, r)],
  ];
  const table = el("table", { class: "ap-receipt__table" });
  rows.forEach((pair) => {
    table.appendChild(
      el("tr", {}, [el("th", { scope: "row", text: pair[0] }), el("td", { text: pair[1] })]),
    );
  });
  const docs = el("ul", {});
  saved.files.forEach((f) => {
    docs.appendChild(el("li", { text: `${f[0]}: ${f[1]} tệp` }));
  });
  const sheet = el("section", { class: "ap-receipt", "aria-labelledby": "ap-receipt-title" }, [
    el("div", { class: "ap-receipt__head" }, [
      el("p", { text: r.office ? r.office.name : s.cfg.agencies[0] || "" }),
      el("p", { class: "ap-receipt__motto" }, [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        el("br"),
        "Độc lập - Tự do - Hạnh phúc",
      ]),
    ]),
    el("h3", { id: "ap-receipt-title", text: "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" }),
    table,
    saved.files.length ? el("p", { text: "Giấy tờ đã nộp (tệp tải lên):" }) : null,
    saved.files.length ? docs : null,
  ]);
  sheet.appendChild(receiptQr(s, r));
  sheet.appendChild(
    el("p", {
      class: "ap-receipt__note",
      text: "Giấy này do hệ thống tạo khi hồ sơ được nộp trực tuyến (trạng thái “Mới đăng ký”). Bộ phận một cửa sẽ kiểm tra và tiếp nhận hồ sơ; ngày hẹn trả kết quả tính theo ngày làm việc.",
    }),
  );
  return sheet;
}

/* The status page's address, written out on the receipt: with the code and the secret above it,
   enough to find the dossier without the QR code. */
function statusPage(s, r) {
  const url = r.receipt?.status_url;
  return url ? url.split("#")[0] : new URL(`${s.cfg.root}tra-cuu/`, window.location.href).href;
}

/* The receipt's QR code (the status address with the code and secret), made by the API when the
   receipt is shown rather than with every submission: GET dossiers/<code>/receipt-qr with the
   secret in a header, as the status page's lookup. The browser may keep it (private cache), so
   drawing the receipt again costs nothing. If it cannot be had, the receipt says so and prints
   without it. */
export function receiptQr(s, r) {
  const figure = el("figure", { class: "ap-receipt__qr", "aria-busy": "true" }, [
    el("figcaption", { text: "Quét mã để xem tình trạng hồ sơ" }),
  ]);
  fetch(`${s.cfg.api}dossiers/${encodeURIComponent(r.code)}/receipt-qr`, {
    headers: { "X-Lookup-Secret": r.secret },
  })
    .then((response) => {
      if (!response.ok) throw new Error(`receipt-qr ${response.status}`);
      return response.text();
    })
    .then(
      (svg) => {
        const img = el("img", {
          src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`,
          alt: `Mã QR mở trang tra cứu hồ sơ ${r.code}`,
          width: "120",
          height: "120",
        });
        figure.insertBefore(img, figure.firstChild);
        figure.removeAttribute("aria-busy");
      },
      () => {
        figure.replaceWith(
          el("p", {
            class: "ap-receipt__note ap-receipt__no-qr",
            text: "Chưa tải được mã QR. Để xem tình trạng hồ sơ, mở trang tra cứu ghi ở trên và nhập mã hồ sơ cùng mã tra cứu.",
          }),
        );
      },
    );
  return figure;
}

export function drawStart(s) {
  const saved = read(s.store, s.draftKey);
  const has =
    saved?.values &&
    Object.keys(saved.values).some((k) => {
      const v = saved.values[k];
      return v && (typeof v === "string" ? v : v.province || v.street);
    });
  $("ap-resume").hidden = !has;
  $("ap-begin").hidden = !!has;
  if (has) {
    const when = new Date(saved.saved);
    $("ap-resume-text").textContent =
      "Bạn có một bản nháp chưa nộp, lưu lúc " +
      `0${when.getHours()}`.slice(-2) +
      ":" +
      `0${when.getMinutes()}`.slice(-2) +
      " ngày " +
      when.toLocaleDateString("vi-VN") +
      ". Tiếp tục để khai tiếp, hoặc bắt đầu lại để xóa bản nháp (kể cả các tệp đã tải lên).";
  }
}
