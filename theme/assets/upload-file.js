/* One file to the API's upload flow, as the application form does it (apply-uploads.js): ask the
   API for a signed target (`targetPath`, {content_type, size}), POST the file to it with its
   fields, then have the API verify it (uploads/verify). Resolves to {key} or {error} (a Vietnamese
   sentence). Used by the applicant's supplement (tra-cuu/) and the officer's result file. */

function json(api, path, body, headers) {
  return fetch(api + path, {
    method: "POST",
    credentials: "same-origin",
    headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
    body: JSON.stringify(body),
  }).then((response) =>
    response
      .json()
      .catch(() => ({}))
      .then((body) => ({ status: response.status, body: body || {} })),
  );
}

function refusal(reply) {
  const fields = reply.body.fields || {};
  const first = Object.keys(fields)[0];
  return (
    (first && fields[first]) || reply.body.message || `Máy chủ từ chối tệp (mã ${reply.status}).`
  );
}

export const KINDS = {
  pdf: "application/pdf",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
};

export function kindOf(file) {
  if (file.type && Object.values(KINDS).includes(file.type)) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return KINDS[ext] || "";
}

export function uploadFile(api, targetPath, file, headers, onProgress) {
  const lost = () => ({ error: "Mất kết nối mạng khi tải tệp lên; hãy thử lại." });
  const type = kindOf(file);
  if (!type) return Promise.resolve({ error: "Chỉ nhận tệp PDF, JPG hoặc PNG." });
  return json(api, targetPath, { content_type: type, size: file.size }, headers).then((reply) => {
    if (reply.status !== 200) return { error: refusal(reply) };
    const target = reply.body,
      form = new FormData();
    Object.keys(target.fields || {}).forEach((k) => {
      form.append(k, target.fields[k]);
    });
    form.append("file", file, file.name);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", target.url);
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable && onProgress) {
          onProgress(Math.min(99, Math.round((event.loaded / event.total) * 100)));
        }
      };
      xhr.onerror = () => resolve(lost());
      xhr.onload = () => {
        if (xhr.status < 200 || xhr.status >= 300) {
          let body = {};
          try {
            body = JSON.parse(xhr.responseText) || {};
          } catch (_e) {
            body = {};
          }
          resolve({ error: refusal({ status: xhr.status, body: body }) });
          return;
        }
        json(api, "uploads/verify", { key: target.key }, headers).then(
          (verified) => {
            resolve(verified.status === 200 ? { key: target.key } : { error: refusal(verified) });
          },
          () => resolve(lost()),
        );
      };
      xhr.send(form);
    });
  }, lost);
}
