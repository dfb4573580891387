/* Choosing files, uploading each to the signed target the API hands out (with progress), then
   having the API verify it; and the small JSON client of the API. */
import { save } from "./apply-draft.js";
import { clearError, showErrors, status } from "./apply-errors.js";
import { drawFiles, kindOf } from "./apply-files.js";
import { $, megabytes } from "./apply-util.js";

export function pick(s, slotId, chosen) {
  s.files[slotId] = s.files[slotId] || [];
  const slot = s.slotsById[slotId].slot,
    list = s.files[slotId],
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
      send(s, slotId, entry);
    }
  });
  drawFiles(s, slotId);
  if (refused.length)
    showErrors(
      s,
      refused.map((m) => [slotId, m]),
      "Có tệp không được nhận",
    );
}

export function api(s, path, body, headers) {
  return fetch(s.cfg.api + path, {
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

export function problem(reply) {
  const fields = reply.body.fields || {};
  const first = Object.keys(fields)[0];
  return (
    (first && fields[first]) || reply.body.message || `Máy chủ từ chối tệp (mã ${reply.status}).`
  );
}

export function send(s, slotId, entry) {
  entry.state = "uploading";
  entry.progress = 0;
  drawFiles(s, slotId);
  function fail(message) {
    entry.state = "failed";
    entry.error = message;
    drawFiles(s, slotId);
    save(s);
  }
  api(s, "uploads", {
    procedure: s.cfg.procedure,
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
          `li:nth-child(${s.files[slotId].indexOf(entry) + 1}) progress`,
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
        api(s, "uploads/verify", { key: target.key }).then(
          (verified) => {
            if (verified.status !== 200) return fail(problem(verified));
            entry.key = target.key;
            entry.state = "done";
            entry.progress = 100;
            entry.file = null;
            drawFiles(s, slotId);
            save(s);
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
