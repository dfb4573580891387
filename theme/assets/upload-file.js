/* One file through the API's upload flow: ask for a signed target (POST <api><targetPath> with
   {content_type, size} and any `fields`), POST the file to it with the target's fields (progress
   reported), then have the API verify it (POST <api>uploads/verify, again while it answers 202
   scan_pending: the scan is a step of its own on AWS). Resolves to {key} or
   {error}: a Vietnamese phrase that follows the file's name ("mất kết nối mạng khi tải lên.").
   Used by the application form (apply-uploads.js), the applicant's supplement (tra-cuu-viec.js)
   and the officer's electronic result (bo-dossier.js). */

export function postJson(api, path, body, headers) {
  return fetch(api + path, {
    method: "POST",
    credentials: "same-origin",
    headers: Object.assign({ "Content-Type": "application/json" }, headers || {}),
    body: JSON.stringify(body),
  }).then((response) =>
    response
      .json()
      .catch(() => ({}))
      .then((json) => ({ status: response.status, body: json || {} })),
  );
}

// The API's own words for a refusal: the first field's message, else the message.
export function problem(reply) {
  const fields = reply.body.fields || {};
  const first = Object.keys(fields)[0];
  return (
    (first && fields[first]) || reply.body.message || `Máy chủ từ chối tệp (mã ${reply.status}).`
  );
}

const KINDS = { pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" };

// The content type to declare: the browser's, else from the extension; "" when not accepted.
function contentType(file) {
  if (file.type && Object.values(KINDS).includes(file.type)) return file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return KINDS[ext] || "";
}

// How long the form waits for the malware scan where it is a step of its own (AWS): verify
// answers 202 scan_pending with Retry-After until the scanner has seen the file.
const SCAN_WAIT_MS = 3 * 60 * 1000;

// Verifies the uploaded file; while the scan is pending, tells `o.waiting(message)` and asks
// again after the seconds the API gives (1 to 30), until `deadline`.
function verify(api, key, o, deadline) {
  return postJson(api, "uploads/verify", { key: key }, o.headers).then(
    (verified) => {
      if (verified.status === 200) return { key: key };
      if (verified.status !== 202) return { error: problem(verified) };
      if (Date.now() > deadline)
        return { error: "chưa quét xong mã độc; vui lòng thử lại sau ít phút." };
      if (o.waiting) o.waiting(verified.body.message || "Đang quét mã độc…");
      const seconds = Math.min(30, Math.max(1, Number(verified.body.retry_after) || 3));
      return new Promise((wait) => {
        setTimeout(wait, seconds * 1000);
      }).then(() => verify(api, key, o, deadline));
    },
    () => ({ error: "mất kết nối mạng khi kiểm tra tệp." }),
  );
}

// options: {type (default contentType(file)), fields (more of the target request's body),
// headers, progress(percent), waiting(message) while the malware scan is pending}
export function uploadFile(api, targetPath, file, options) {
  const o = options || {},
    type = o.type || contentType(file);
  if (!type) return Promise.resolve({ error: "chỉ nhận tệp PDF, JPG hoặc PNG." });
  const body = Object.assign({}, o.fields || {}, { content_type: type, size: file.size });
  return postJson(api, targetPath, body, o.headers).then(
    (reply) => {
      if (reply.status !== 200) return { error: problem(reply) };
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
          if (event.lengthComputable && o.progress) {
            o.progress(Math.min(99, Math.round((event.loaded / event.total) * 100)));
          }
        };
        xhr.onerror = () => resolve({ error: "mất kết nối mạng khi tải lên." });
        xhr.onload = () => {
          if (xhr.status < 200 || xhr.status >= 300) {
            let answer = {};
            try {
              answer = JSON.parse(xhr.responseText) || {};
            } catch (_e) {
              answer = {};
            }
            resolve({ error: problem({ status: xhr.status, body: answer }) });
            return;
          }
          verify(api, target.key, o, Date.now() + SCAN_WAIT_MS).then(resolve);
        };
        xhr.send(form);
      });
    },
    () => ({ error: "mất kết nối mạng." }),
  );
}
