/* The list of an upload slot's files, with their progress, and which files a slot takes. */
import { $, el, megabytes } from "./apply-util.js";

export function drawFiles(s, slotId) {
  const list = $(`d-${slotId}`);
  list.textContent = "";
  (s.files[slotId] || []).forEach((f, index) => {
    const status =
      f.state === "done"
        ? "Đã tải lên"
        : f.state === "failed"
          ? `Chưa tải lên được: ${f.error}`
          : f.state === "scanning"
            ? f.note
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
    if (f.state !== "uploading" && f.state !== "scanning") {
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

export function kindOf(file, slot) {
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
