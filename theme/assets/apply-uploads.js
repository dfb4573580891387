/* Choosing files, uploading each to the signed target the API hands out (with progress), then
   having the API verify it (upload-file.js, the flow the status page and the back office use
   too); and the small JSON client of the API. */
import { save } from "./apply-draft.js";
import { clearError, showErrors, status } from "./apply-errors.js";
import { drawFiles, kindOf } from "./apply-files.js";
import { $, megabytes } from "./apply-util.js";
import { postJson, problem, uploadFile } from "./upload-file.js";

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
  return postJson(s.cfg.api, path, body, headers);
}

export { problem };

// Deletes a draft's uploaded files on the server ("Xóa", "bắt đầu lại"), without waiting: a
// file the request misses (no connection) is removed by the server's purge later.
export function discard(s, draft, keys) {
  if (!draft) return;
  keys.forEach((key) => {
    if (key) api(s, "uploads/delete", { key: key, draft: draft }).catch(() => {});
  });
}

// Every uploaded file of a saved draft (what "bắt đầu lại" throws away).
export function draftKeys(saved) {
  const files = saved?.files || {};
  return Object.keys(files).reduce((keys, slot) => keys.concat(files[slot].map((f) => f.key)), []);
}

export function send(s, slotId, entry) {
  entry.state = "uploading";
  entry.progress = 0;
  drawFiles(s, slotId);
  uploadFile(s.cfg.api, "uploads", entry.file, {
    type: entry.type,
    // The file is bound to this draft: only its submission (same Idempotency-Key) may use it.
    fields: { procedure: s.cfg.procedure, slot: slotId, draft: s.draft.key },
    progress: (percent) => {
      entry.progress = percent;
      const bar = $(`d-${slotId}`).querySelector(
        `li:nth-child(${s.files[slotId].indexOf(entry) + 1}) progress`,
      );
      if (bar) bar.value = entry.progress;
    },
    waiting: (message) => {
      entry.state = "scanning";
      entry.note = message;
      drawFiles(s, slotId);
    },
  }).then((result) => {
    if (result.error) {
      entry.state = "failed";
      entry.error = result.error;
      drawFiles(s, slotId);
      save(s);
      return;
    }
    entry.key = result.key;
    entry.state = "done";
    entry.progress = 100;
    entry.file = null;
    drawFiles(s, slotId);
    save(s);
    clearError(slotId);
    status(`Đã tải lên tệp ${entry.name}.`);
  });
}
