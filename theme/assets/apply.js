/* The application journey on nop-ho-so/<code>/ (buildlib/apply.py renders the questions):
   one step per form page, a draft kept in localStorage while typing, uploads with progress to the
   signed targets the API hands out, check your answers, one submission per draft (its
   Idempotency-Key is made once), and a confirmation with a printable receipt.
   Rules and messages: apply-rules.js, from the same source as the server's. */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not an ES module
  "use strict";
  const rules = window.ApplyRules;
  const app = document.getElementById("ap-app");
  const configNode = document.getElementById("ap-config");
  if (!rules || !app || !configNode) return;
  const cfg = JSON.parse(configNode.textContent);
  const DRAFT = `motcua.nhap.${cfg.procedure}`;
  const RECEIPT = `motcua.bien-nhan.${cfg.procedure}`;
  const store = storage(window.localStorage);
  const session = storage(window.sessionStorage);
  const pages = cfg.pages;
  const fieldsById = {},
    slotsById = {};
  pages.forEach((page) => {
    page.fields.forEach((f) => {
      fieldsById[f.id] = { item: f, page: page };
    });
    page.uploads.forEach((s) => {
      slotsById[s.id] = { slot: s, page: page };
    });
  });
  const communes = {}; // province code -> {commune code: name}, loaded on demand
  let files = {}; // slot id -> [{key, name, size, type, state, progress, file, error}]
  let lastReceipt = null; // if sessionStorage is blocked, the confirmation still shows once
  let focusAfter = null; // a field to focus once its step shows (change links, error links)
  let draft = null,
    returnToCheck = false,
    sending = false,
    saveTimer = null;
  const baseTitle = document.title;

  function $(id) {
    return document.getElementById(id);
  }
  function storage(backend) {
    try {
      backend.setItem("motcua.thu", "1");
      backend.removeItem("motcua.thu");
      return backend;
    } catch (_e) {
      return null;
    }
  }
  function read(backend, key) {
    try {
      return backend ? JSON.parse(backend.getItem(key) || "null") : null;
    } catch (_e) {
      return null;
    }
  }
  function write(backend, key, value) {
    try {
      if (backend) backend.setItem(key, JSON.stringify(value));
    } catch (_e) {
      /* full: keep going */
    }
  }
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach((c) => {
      if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, (b) => `0${b.toString(16)}`.slice(-2)).join("");
  }
  function today() {
    const now = new Date(Date.now() + 7 * 3600 * 1000); // the calendar day in Việt Nam
    return now.toISOString().slice(0, 10);
  }
  function megabytes(size) {
    if (size < 1048576) return `${Math.max(1, Math.round(size / 1024))} KB`;
    return `${(size / 1048576).toFixed(1).replace(".", ",")} MB`;
  }
  function isoToVn(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text || "");
    return m ? `${m[3]}/${m[2]}/${m[1]}` : "";
  }
  function dateTimeVn(text) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || "");
    return m ? `${m[4]}:${m[5]} ngày ${m[3]}/${m[2]}/${m[1]}` : "";
  }

  // --- reading and writing the questions ---------------------------------------------------

  function raw(item) {
    const id = item.id;
    if (item.type === "address") {
      const select = $(`f-${id}-xa`); // while its communes load, the answer is the one restored
      const commune = select.hasAttribute("data-pending")
        ? select.getAttribute("data-pending")
        : select.value;
      return {
        province: $(`f-${id}`).value,
        commune: commune,
        street: $(`f-${id}-duong`).value,
      };
    }
    const radios = document.querySelectorAll(`input[type=radio][name="${id}"]`);
    if (radios.length) {
      for (let i = 0; i < radios.length; i++) if (radios[i].checked) return radios[i].value;
      return "";
    }
    return $(`f-${id}`).value;
  }

  function fill(item, value) {
    const id = item.id;
    if (value === undefined || value === null) return;
    if (item.type === "address") {
      $(`f-${id}`).value = value.province || "";
      $(`f-${id}-duong`).value = value.street || "";
      loadCommunes(id, value.commune || "");
      return;
    }
    const radios = document.querySelectorAll(`input[type=radio][name="${id}"]`);
    if (radios.length) {
      for (let i = 0; i < radios.length; i++) radios[i].checked = radios[i].value === value;
      return;
    }
    $(`f-${id}`).value = value;
  }

  // The answer as the API takes it; what cannot be read stays as typed, so the rules say why.
  function typed(item, value) {
    if (item.type === "address") {
      if (!value.province && !value.commune && !rules.strip(value.street)) return undefined;
      return value;
    }
    if (value === "" || value === undefined) return undefined;
    if (item.type === "yes_no") return value === "true";
    if (item.type === "number") {
      const text = rules.strip(value).replace(",", ".");
      return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : value;
    }
    if (item.type === "date") {
      const m = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/.exec(rules.strip(value));
      return m ? `${m[3]}-${(`0${m[2]}`).slice(-2)}-${(`0${m[1]}`).slice(-2)}` : value;
    }
    if (item.type === "cccd" || item.type === "phone") return value.replace(/[\s.]/g, "");
    return value;
  }

  function answers() {
    const result = {};
    Object.keys(fieldsById).forEach((id) => {
      const value = typed(fieldsById[id].item, raw(fieldsById[id].item));
      if (value !== undefined) result[id] = value;
    });
    return result;
  }

  function context() {
    const known = {};
    cfg.provinces.forEach((p) => {
      known[p[0]] = true;
    });
    return {
      today: today(),
      unit: (code) => (known[code] ? communes[code] || null : undefined),
    };
  }

  function check() {
    const result = rules.checkAnswers(cfg, answers(), context());
    const uploads = uploadKeys(result.kept);
    const uploadErrors = rules.checkUploads(cfg, result.kept, uploads);
    Object.keys(uploadErrors).forEach((k) => {
      result.errors[k] = uploadErrors[k];
    });
    Object.keys(files).forEach((slot) => {
      if (files[slot].some((f) => f.state === "uploading")) {
        result.errors[`/uploads/${slot}`] = "Tệp đang được tải lên; vui lòng đợi tải xong.";
      }
    });
    result.uploads = uploads;
    return result;
  }

  function uploadKeys(kept) {
    const result = {};
    pages.forEach((page) => {
      page.uploads.forEach((slot) => {
        if (!rules.shown(slot, page, kept)) return;
        result[slot.id] = (files[slot.id] || [])
          .filter((f) => f.state === "done")
          .map((f) => f.key);
      });
    });
    return result;
  }

  // --- conditions, communes ------------------------------------------------------------------

  function refresh() {
    const current = answers();
    pages.forEach((page) => {
      page.fields.concat(page.uploads).forEach((item) => {
        $(`q-${item.id}`).hidden = !rules.shown(item, page, current);
      });
    });
  }

  function loadCommunes(id, chosen) {
    const province = $(`f-${id}`).value,
      select = $(`f-${id}-xa`);
    function show(list) {
      select.removeAttribute("data-pending");
      select.textContent = "";
      select.appendChild(
        el("option", {
          value: "",
          text: list ? "Chọn xã, phường, đặc khu" : "Chọn tỉnh, thành phố trước",
        }),
      );
      Object.keys(list || {}).forEach((code) => {
        select.appendChild(el("option", { value: code, text: list[code] }));
      });
      select.disabled = !list;
      if (chosen && list?.[chosen]) select.value = chosen;
    }
    if (!province) return show(null);
    if (communes[province]) return show(communes[province]);
    select.disabled = true;
    select.setAttribute("data-pending", chosen || "");
    select.firstChild.textContent = "Đang tải danh sách xã, phường…";
    return fetch(`${cfg.root}du-lieu/don-vi/${province}.json`)
      .then((r) => {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then((body) => {
        const map = {};
        body.communes.forEach((c) => {
          map[c[0]] = c[1];
        });
        communes[province] = map;
        if ($(`f-${id}`).value === province) show(map);
      })
      .catch(() => {
        select.disabled = true;
        select.removeAttribute("data-pending");
        select.firstChild.textContent =
          "Không tải được danh sách xã, phường: chọn lại tỉnh để thử lại";
      });
  }

  function communeName(value) {
    const list = communes[value.province] || {};
    const province = cfg.provinces.filter((p) => p[0] === value.province)[0];
    return [
      value.street,
      list[value.commune] || value.commune,
      province ? province[1] : value.province,
    ]
      .filter(Boolean)
      .join(", ");
  }

  // --- the draft -------------------------------------------------------------------------------

  function save() {
    if (!draft) return;
    const values = {};
    Object.keys(fieldsById).forEach((id) => {
      values[id] = raw(fieldsById[id].item);
    });
    draft.values = values;
    draft.files = {};
    Object.keys(files).forEach((slot) => {
      draft.files[slot] = files[slot]
        .filter((f) => f.state === "done")
        .map((f) => ({ key: f.key, name: f.name, size: f.size }));
    });
    draft.saved = new Date().toISOString();
    write(store, DRAFT, draft);
  }
  function saveSoon() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 300);
  }

  function restore(saved) {
    draft = saved;
    Object.keys(saved.values || {}).forEach((id) => {
      if (fieldsById[id]) fill(fieldsById[id].item, saved.values[id]);
    });
    files = {};
    Object.keys(saved.files || {}).forEach((slot) => {
      if (!slotsById[slot]) return;
      files[slot] = saved.files[slot].map((f) => ({
        key: f.key,
        name: f.name,
        size: f.size,
        state: "done",
        progress: 100,
      }));
      drawFiles(slot);
    });
    refresh();
  }

  function fresh() {
    draft = { v: 1, key: newKey(), values: {}, files: {}, step: "", saved: null };
    files = {};
    app.querySelectorAll("form").forEach((form) => {
      form.reset();
    });
    Object.keys(fieldsById).forEach((id) => {
      if (fieldsById[id].item.type === "address") loadCommunes(id);
    });
    Object.keys(slotsById).forEach(drawFiles);
    refresh();
    save();
  }

  // --- steps -----------------------------------------------------------------------------------

  function shownPages() {
    const current = answers();
    return pages.filter((page) => rules.shown({}, page, current));
  }

  function stepOf(hash) {
    const id = (hash || "").replace(/^#/, "");
    if (id === "kiem-tra" || id === "xac-nhan" || id === "bat-dau") return id;
    return pages.some((p) => `trang-${p.id}` === id) ? id : "bat-dau";
  }

  function go(step) {
    if (`#${step}` === location.hash) show(step);
    else location.hash = step;
  }

  function show(step) {
    if (step !== "bat-dau" && step !== "xac-nhan" && !draft) step = "bat-dau";
    if (step === "xac-nhan" && !receipt()) step = "bat-dau";
    app.querySelectorAll(".ap-step").forEach((s) => {
      s.hidden = s.id !== step;
    });
    clearErrors();
    status("");
    let list = shownPages(),
      index = -1;
    list.forEach((p, i) => {
      if (`trang-${p.id}` === step) index = i;
    });
    const progress = $("ap-progress");
    const title = $(`t-${step.replace(/^trang-/, "")}`).textContent;
    if (index >= 0) progress.textContent = `Phần ${index + 1} trên ${list.length}`;
    else if (step === "kiem-tra") progress.textContent = "Bước cuối: kiểm tra và nộp";
    else progress.textContent = "";
    if (step === "kiem-tra") drawAnswers();
    if (step === "xac-nhan") drawReceipt(receipt());
    if (step === "bat-dau") drawStart();
    document.title = `${title} – ${baseTitle}`;
    if (draft && step !== "xac-nhan") {
      draft.step = step;
      save();
    }
    const heading = $(`t-${step.replace(/^trang-/, "")}`);
    if (focusAfter) {
      const id = focusAfter;
      focusAfter = null;
      return focusField(id);
    }
    if (heading && document.readyState !== "loading") heading.focus();
  }

  function next(from) {
    let list = shownPages(),
      index = -1;
    list.forEach((p, i) => {
      if (p.id === from) index = i;
    });
    if (returnToCheck || index === list.length - 1) {
      returnToCheck = false;
      return go("kiem-tra");
    }
    go(`trang-${list[index + 1].id}`);
  }

  function back() {
    const step = stepOf(location.hash);
    if (step === "kiem-tra") {
      const list = shownPages();
      return go(`trang-${list[list.length - 1].id}`);
    }
    let all = shownPages(),
      index = -1;
    all.forEach((p, i) => {
      if (`trang-${p.id}` === step) index = i;
    });
    go(index > 0 ? `trang-${all[index - 1].id}` : "bat-dau");
  }

  // --- errors ----------------------------------------------------------------------------------

  function target(pointer) {
    const parts = pointer.split("/");
    return parts[2] ? decodeURIComponent(parts[2].replace(/~1/g, "/").replace(/~0/g, "~")) : "";
  }

  function clearErrors() {
    const summary = $("ap-errors");
    summary.hidden = true;
    summary.textContent = "";
    app.querySelectorAll(".ap-error").forEach((p) => {
      p.hidden = true;
      p.textContent = "";
    });
    app.querySelectorAll(".ap-field--error").forEach((q) => {
      q.classList.remove("ap-field--error");
    });
    app.querySelectorAll("[aria-invalid]").forEach((i) => {
      i.removeAttribute("aria-invalid");
    });
    document.title = document.title.replace(/^Lỗi: /, "");
  }

  // errors: [[field or slot id, message]]; links go to the field (on another step: `onPage`).
  function showErrors(errors, heading, onPage) {
    clearErrors();
    const summary = $("ap-errors");
    const list = el("ul", { class: "ap-summary__list" });
    errors.forEach((pair) => {
      const id = pair[0],
        message = pair[1];
      const link = el("a", { href: `#f-${id}`, "data-focus": id, text: message });
      if (onPage?.(id)) link.setAttribute("data-page", onPage(id));
      list.appendChild(el("li", {}, [link]));
      const slot = $(`e-${id}`);
      if (slot) {
        slot.textContent = "";
        slot.appendChild(el("span", { class: "ap-visually-hidden", text: "Lỗi: " }));
        slot.appendChild(document.createTextNode(message));
        slot.hidden = false;
        $(`q-${id}`).classList.add("ap-field--error");
        $(`q-${id}`)
          .querySelectorAll("input, select, textarea")
          .forEach((input) => {
            if (input.type !== "radio") input.setAttribute("aria-invalid", "true");
            const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
            if (ids.indexOf(`e-${id}`) < 0)
              input.setAttribute("aria-describedby", ids.concat(`e-${id}`).join(" "));
          });
      }
    });
    summary.appendChild(
      el("h2", { class: "ap-summary__title", text: heading || "Có lỗi cần sửa" }),
    );
    summary.appendChild(list);
    summary.hidden = false;
    document.title = `Lỗi: ${document.title.replace(/^Lỗi: /, "")}`;
    summary.focus();
  }

  // A slot that now has its file: its error (and its line in the summary) goes away.
  function clearError(id) {
    const slot = $(`e-${id}`);
    if (slot) {
      slot.hidden = true;
      slot.textContent = "";
    }
    if ($(`q-${id}`)) $(`q-${id}`).classList.remove("ap-field--error");
    const summary = $("ap-errors");
    summary.querySelectorAll(`[data-focus="${id}"]`).forEach((a) => {
      a.parentNode.remove();
    });
    if (!summary.querySelector("li")) {
      summary.hidden = true;
      summary.textContent = "";
    }
  }

  function focusField(id) {
    const node = $(`f-${id}`) || $(id) || $(`q-${id}`);
    if (!node) return;
    node.scrollIntoView({ block: "center" });
    node.focus();
  }

  function validatePage(page) {
    const result = check(),
      found = [];
    const current = result.kept;
    page.fields.forEach((item) => {
      const message = result.errors[`/answers/${item.id}`];
      if (message && rules.shown(item, page, answers())) found.push([item.id, message]);
    });
    page.uploads.forEach((slot) => {
      const message = result.errors[`/uploads/${slot.id}`];
      if (message && rules.shown(slot, page, current)) found.push([slot.id, message]);
    });
    return found;
  }

  // --- uploads ---------------------------------------------------------------------------------

  function drawFiles(slotId) {
    const list = $(`d-${slotId}`);
    list.textContent = "";
    (files[slotId] || []).forEach((f, index) => {
      const status =
        f.state === "done"
          ? "Đã tải lên"
          : f.state === "failed"
            ? `Chưa tải lên được: ${f.error}`
            : `Đang tải lên ${f.progress}%`;
      const item = el("li", { class: `ap-file-item ap-file-item--${f.state}` }, [
        el("span", { class: "ap-file-name", text: f.name }),
        el("span", { class: "ap-file-meta", text: `${megabytes(f.size)} · ${status}` }),
      ]);
      if (f.state === "uploading") {
        item.appendChild(
          el("progress", {
            max: "100",
            value: String(f.progress),
            "aria-label": `Tiến độ tải lên ${f.name}`,
          }),
        );
      }
      const actions = el("span", { class: "ap-file-actions" });
      if (f.state === "failed" && f.file) {
        actions.appendChild(
          el("button", {
            type: "button",
            class: "ap-link",
            "data-retry": slotId,
            "data-index": String(index),
            text: "Thử lại",
          }),
        );
      }
      if (f.state !== "uploading") {
        actions.appendChild(
          el(
            "button",
            {
              type: "button",
              class: "ap-link",
              "data-remove": slotId,
              "data-index": String(index),
            },
            ["Xóa", el("span", { class: "ap-visually-hidden", text: ` tệp ${f.name}` })],
          ),
        );
      }
      item.appendChild(actions);
      list.appendChild(item);
    });
  }

  function kindOf(file, slot) {
    const name = file.name.toLowerCase();
    const ext = name.slice(name.lastIndexOf("."));
    const byExt = {
      ".pdf": "application/pdf",
      ".jpg": "image/jpeg",
      ".jpeg": "image/jpeg",
      ".png": "image/png",
    }[ext];
    const type = slot.mime.indexOf(file.type) >= 0 ? file.type : byExt;
    return slot.mime.indexOf(type) >= 0 && slot.extensions.indexOf(ext) >= 0 ? type : null;
  }

  function pick(slotId, chosen) {
    files[slotId] = files[slotId] || [];
    const slot = slotsById[slotId].slot,
      list = files[slotId],
      refused = [];
    Array.prototype.forEach.call(chosen, (file) => {
      const active = list.filter((f) => f.state !== "failed").length;
      const type = kindOf(file, slot);
      if (active >= slot.max_files) refused.push(`Tệp “${file.name}”: ${slot.messages.files_max}`);
      else if (!type) refused.push(`Tệp “${file.name}”: ${slot.messages.type}`);
      else if (file.size > slot.max_bytes)
        refused.push(`Tệp “${file.name}” (${megabytes(file.size)}): ${slot.messages.size}`);
      else if (file.size < 1) refused.push(`Tệp “${file.name}” rỗng.`);
      else {
        const entry = {
          name: file.name,
          size: file.size,
          type: type,
          file: file,
          state: "uploading",
          progress: 0,
        };
        list.push(entry);
        send(slotId, entry);
      }
    });
    drawFiles(slotId);
    if (refused.length)
      showErrors(
        refused.map((m) => [slotId, m]),
        "Có tệp không được nhận",
      );
  }

  function api(path, body, headers) {
    return fetch(cfg.api + path, {
      method: "POST",
      headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
      body: JSON.stringify(body),
    }).then((response) =>
      response
        .json()
        .catch(() => ({}))
        .then((json) => ({ status: response.status, body: json })),
    );
  }

  function problem(reply) {
    const fields = reply.body.fields || {};
    const first = Object.keys(fields)[0];
    return (
      (first && fields[first]) || reply.body.message || `Máy chủ từ chối tệp (mã ${reply.status}).`
    );
  }

  function send(slotId, entry) {
    entry.state = "uploading";
    entry.progress = 0;
    drawFiles(slotId);
    function fail(message) {
      entry.state = "failed";
      entry.error = message;
      drawFiles(slotId);
      save();
    }
    api("uploads", {
      procedure: cfg.procedure,
      slot: slotId,
      content_type: entry.type,
      size: entry.size,
    }).then(
      (reply) => {
        if (reply.status !== 200) return fail(problem(reply));
        const target = reply.body,
          form = new FormData();
        Object.keys(target.fields).forEach((k) => {
          form.append(k, target.fields[k]);
        });
        form.append("file", entry.file, entry.name);
        const xhr = new XMLHttpRequest();
        xhr.open("POST", target.url);
        xhr.upload.onprogress = (event) => {
          if (!event.lengthComputable) return;
          entry.progress = Math.min(99, Math.round((event.loaded / event.total) * 100));
          const bar = $(`d-${slotId}`).querySelector(
            `li:nth-child(${files[slotId].indexOf(entry) + 1}) progress`,
          );
          if (bar) bar.value = entry.progress;
        };
        xhr.onerror = () => {
          fail("mất kết nối mạng khi tải lên.");
        };
        xhr.onload = () => {
          if (xhr.status < 200 || xhr.status >= 300) {
            let body = {};
            try {
              body = JSON.parse(xhr.responseText);
            } catch (_e) {
              body = {};
            }
            return fail(problem({ status: xhr.status, body: body }));
          }
          api("uploads/verify", { key: target.key }).then(
            (verified) => {
              if (verified.status !== 200) return fail(problem(verified));
              entry.key = target.key;
              entry.state = "done";
              entry.progress = 100;
              entry.file = null;
              drawFiles(slotId);
              save();
              clearError(slotId);
              status(`Đã tải lên tệp ${entry.name}.`);
            },
            () => {
              fail("mất kết nối mạng khi kiểm tra tệp.");
            },
          );
        };
        xhr.send(form);
      },
      () => {
        fail("mất kết nối mạng.");
      },
    );
  }

  function receipt() {
    return read(session, RECEIPT) || lastReceipt;
  }

  function status(text) {
    $("ap-status").textContent = text;
  }

  // --- check your answers ----------------------------------------------------------------------

  function display(item, value) {
    if (value === undefined) return "Không khai";
    if (item.type === "yes_no") return value ? "Có" : "Không";
    if (item.type === "select") {
      const option = item.options.filter((o) => o.value === value)[0];
      return option ? option.label : String(value);
    }
    if (item.type === "date") return isoToVn(value) || String(value);
    if (item.type === "address") return communeName(value);
    return String(value);
  }

  function drawAnswers() {
    const box = $("ap-answers"),
      current = answers(),
      kept = rules.checkAnswers(cfg, current, context()).kept;
    box.textContent = "";
    pages.forEach((page) => {
      if (!rules.shown({}, page, kept)) return;
      const rows = el("dl", { class: "ap-answers" });
      page.fields.forEach((item) => {
        if (!rules.shown(item, page, current)) return;
        rows.appendChild(row(item.label, display(item, current[item.id]), page.id, item.id));
      });
      page.uploads.forEach((slot) => {
        if (!rules.shown(slot, page, kept)) return;
        const names = (files[slot.id] || []).filter((f) => f.state === "done").map((f) => f.name);
        rows.appendChild(
          row(slot.label, names.length ? names.join("; ") : "Không có tệp", page.id, slot.id),
        );
      });
      box.appendChild(el("h3", { text: page.title }));
      box.appendChild(rows);
    });
  }

  function row(label, value, pageId, id) {
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

  // --- submitting ------------------------------------------------------------------------------

  function submit() {
    if (sending) return;
    const result = check(),
      errors = Object.keys(result.errors);
    if (errors.length)
      return reportServer(result.errors, "Hồ sơ còn thông tin cần sửa trước khi nộp");
    const body = { procedure: cfg.procedure, answers: result.kept, uploads: result.uploads };
    sending = true;
    const button = $("ap-submit");
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    status("Đang gửi hồ sơ, vui lòng không đóng trang…");
    const attempt = (payload) => api("submissions", payload, { "Idempotency-Key": draft.key });
    if (!draft.sent) {
      draft.sent = body;
      save();
    }
    attempt(body)
      .then((reply) => {
        if (reply.status === 409 && draft.sent) {
          // Sent earlier with other answers and that dossier exists: show it.
          return attempt(draft.sent).then((again) => {
            again.earlier = true;
            return again;
          });
        }
        return reply;
      })
      .then(
        (reply) => {
          sending = false;
          button.disabled = false;
          button.removeAttribute("aria-disabled");
          if (reply.status === 201 || reply.status === 200) return done(reply.body, reply.earlier);
          if (reply.status === 422) {
            draft.sent = null;
            save();
            status("");
            return reportServer(
              reply.body.fields || {},
              reply.body.message || "Máy chủ chưa nhận hồ sơ vì còn thông tin cần sửa",
            );
          }
          failed(reply.body.message || `Máy chủ tạm thời không nhận hồ sơ (mã ${reply.status}).`);
        },
        () => {
          sending = false;
          button.disabled = false;
          button.removeAttribute("aria-disabled");
          failed("Mất kết nối mạng khi gửi hồ sơ.");
        },
      );
  }

  function failed(reason) {
    status("");
    showErrors(
      [
        [
          "ap-submit",
          reason +
            " Câu trả lời và tệp của bạn vẫn được giữ nguyên. Bấm “Xác nhận và nộp hồ sơ” để gửi lại: hồ sơ sẽ không bị nộp hai lần.",
        ],
      ],
      "Chưa gửi được hồ sơ",
    );
  }

  function reportServer(errors, heading) {
    const pairs = [];
    Object.keys(errors).forEach((pointer) => {
      const id = target(pointer);
      pairs.push([fieldsById[id] || slotsById[id] ? id : "ap-submit", errors[pointer]]);
    });
    showErrors(pairs, heading, (id) => {
      const owner = fieldsById[id] || slotsById[id];
      return owner ? owner.page.id : "";
    });
  }

  function done(result, earlier) {
    const receipt = {
      result: result,
      earlier: !!earlier,
      applicant: applicant(),
      slots: Object.keys(result.uploads || {}),
      files: Object.keys(files)
        .map((slot) => {
          const count = files[slot].filter((f) => f.state === "done").length;
          return count ? [slotsById[slot].slot.label, count] : null;
        })
        .filter(Boolean),
    };
    lastReceipt = receipt;
    status("");
    write(session, RECEIPT, receipt);
    try {
      if (store) store.removeItem(DRAFT);
    } catch (_e) {
      /* nothing to remove */
    }
    draft = null;
    files = {};
    go("xac-nhan");
  }

  function applicant() {
    let current = answers(),
      name = "",
      phone = "";
    Object.keys(fieldsById).forEach((id) => {
      const item = fieldsById[id].item;
      if (!name && item.type === "text" && /họ.*tên/i.test(item.label) && current[id])
        name = current[id];
      if (!phone && item.type === "phone" && current[id]) phone = current[id];
    });
    return { name: name, phone: phone };
  }

  // --- confirmation and receipt ----------------------------------------------------------------

  function drawReceipt(saved) {
    const box = $("ap-receipt"),
      r = saved.result;
    const statusPath =
      cfg.root +
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
          text: "Mã tra cứu chỉ hiện một lần, ngay bây giờ: chúng tôi không lưu và không gửi lại được. Hãy ghi lại, in giấy tiếp nhận hoặc chụp màn hình. Cần cả mã hồ sơ và mã tra cứu để xem tình trạng hồ sơ.",
        }),
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
    box.appendChild(
      el("p", { class: "ap-nav" }, [
        el("button", {
          type: "button",
          class: "md-button md-button--primary",
          "data-action": "print",
          text: "In giấy tiếp nhận",
        }),
      ]),
    );
    box.appendChild(receiptSheet(saved, due));
  }

  function receiptSheet(saved, due) {
    const r = saved.result;
    const rows = [
      ["Mã hồ sơ", r.code],
      ["Thủ tục", `${r.procedure_name || cfg.name} (mã ${r.procedure})`],
      ["Cơ quan giải quyết", cfg.agencies.join("; ")],
      ["Người nộp", saved.applicant.name || "—"],
      ["Số điện thoại", saved.applicant.phone || "—"],
      ["Hình thức nộp", "Trực tuyến"],
      ["Thời điểm nộp", dateTimeVn(r.received_at)],
      ["Ngày hẹn trả kết quả", due || "Cơ quan thông báo khi tiếp nhận"],
      ["Tình trạng", r.status_label],
      ["Mã tra cứu", r.secret],
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
        el("p", { text: cfg.agencies[0] || "" }),
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
    if (r.receipt?.qr_svg) {
      const img = el("img", {
        src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.receipt.qr_svg)}`,
        alt: `Mã QR mở trang tra cứu hồ sơ ${r.code}`,
        width: "120",
        height: "120",
      });
      sheet.appendChild(
        el("figure", { class: "ap-receipt__qr" }, [
          img,
          el("figcaption", { text: "Quét mã để xem tình trạng hồ sơ" }),
        ]),
      );
    }
    sheet.appendChild(
      el("p", {
        class: "ap-receipt__note",
        text: "Giấy này do hệ thống tạo khi hồ sơ được nộp trực tuyến (trạng thái “Mới đăng ký”). Bộ phận một cửa sẽ kiểm tra và tiếp nhận hồ sơ; ngày hẹn trả kết quả tính theo ngày làm việc.",
      }),
    );
    return sheet;
  }

  // --- start -----------------------------------------------------------------------------------

  function drawStart() {
    const saved = read(store, DRAFT);
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

  // --- events ----------------------------------------------------------------------------------

  app.addEventListener("input", (event) => {
    if (event.target.type !== "file") {
      refresh();
      saveSoon();
    }
  });
  app.addEventListener("change", (event) => {
    const node = event.target;
    if (node.type === "file") {
      pick(node.name, node.files);
      node.value = "";
      return;
    }
    if (/\.province$/.test(node.name)) loadCommunes(node.name.replace(/\.province$/, ""));
    refresh();
    saveSoon();
  });
  app.addEventListener("submit", (event) => {
    event.preventDefault();
    const page = pages.filter((p) => p.id === event.target.getAttribute("data-page"))[0];
    const found = validatePage(page);
    save();
    if (found.length) return showErrors(found);
    next(page.id);
  });
  app.addEventListener("click", (event) => {
    const node = event.target.closest(
      "[data-action], [data-focus], [data-change], [data-remove], [data-retry], [data-copy]",
    );
    if (!node) return;
    const action = node.getAttribute("data-action");
    if (node.hasAttribute("data-focus")) {
      event.preventDefault();
      const page = node.getAttribute("data-page");
      if (page && stepOf(location.hash) !== `trang-${page}`) {
        returnToCheck = stepOf(location.hash) === "kiem-tra";
        focusAfter = node.getAttribute("data-focus");
        return go(`trang-${page}`);
      }
      return focusField(node.getAttribute("data-focus"));
    }
    if (node.hasAttribute("data-change")) {
      event.preventDefault();
      returnToCheck = true;
      focusAfter = node.getAttribute("data-change");
      return go(node.getAttribute("href").slice(1));
    }
    if (node.hasAttribute("data-remove") || node.hasAttribute("data-retry")) {
      const slot = node.getAttribute("data-remove") || node.getAttribute("data-retry");
      const entry = files[slot][+node.getAttribute("data-index")];
      if (node.hasAttribute("data-retry")) return send(slot, entry);
      files[slot].splice(files[slot].indexOf(entry), 1);
      drawFiles(slot);
      save();
      status(`Đã xóa tệp ${entry.name}.`);
      return $(`f-${slot}`).focus();
    }
    if (node.hasAttribute("data-copy")) {
      const from = raw(fieldsById[node.getAttribute("data-copy")].item);
      fill(fieldsById[node.getAttribute("data-to")].item, from);
      saveSoon();
      return status("Đã chép địa chỉ.");
    }
    if (action === "start") {
      fresh();
      return go(`trang-${shownPages()[0].id}`);
    }
    if (action === "resume") {
      restore(read(store, DRAFT));
      return go(
        draft.step && draft.step !== "bat-dau" ? draft.step : `trang-${shownPages()[0].id}`,
      );
    }
    if (action === "restart") {
      fresh();
      return go(`trang-${shownPages()[0].id}`);
    }
    if (action === "back") {
      event.preventDefault();
      returnToCheck = false;
      return back();
    }
    if (action === "submit") return submit();
    if (action === "print") return window.print();
  });
  window.addEventListener("hashchange", () => {
    show(stepOf(location.hash));
  });
  window.addEventListener("pagehide", save);

  // A reload mid-form comes back to the same step with the draft; a new visit offers to resume.
  app.hidden = false;
  $("ap-nojs").hidden = true;
  const saved = read(store, DRAFT),
    step = stepOf(location.hash);
  if (saved && step !== "bat-dau" && step !== "xac-nhan") restore(saved);
  show(step);
  if (!store)
    status(
      "Trình duyệt đang chặn lưu trữ trên thiết bị: bản nháp sẽ không được lưu nếu bạn đóng trang.",
    );
})();
